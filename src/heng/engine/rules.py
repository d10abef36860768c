"""The closed registry of scoring rules (B5).

Every rule is a pure function of its validated parameters and the line's direction that
returns a :class:`RulePlan`: *what the actual is compared against* (target, benchmark, a
constant, the peer median or the peer percentile), *which way* (higher or lower is better)
and *how attainment becomes a score* (clip to [floor, cap] or a step function).
:func:`heng.engine.kernel.plan_exprs` turns a plan into Polars expressions with the
parameters as literals; the engine evaluates each distinct rule once, over the contiguous
slice of rows that use it.

Rules never ``eval`` anything: the parameter names and types are fixed here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from heng.engine.columns import HIGHER, LOWER
from heng.engine.errors import EngineError
from heng.engine.params import Reader
from heng.engine.plan import MAX_STEPS, RefKind, RuleParams, RulePlan, Transform
from heng.engine.rule_defs import (
    Bands,
    Frequency,
    Linear,
    LowerBetter,
    Manual,
    Relative,
    Review,
    ThresholdPoints,
    parse_bands,
    parse_frequency,
    parse_linear,
    parse_lower,
    parse_manual,
    parse_relative,
    parse_review,
    parse_threshold,
)

__all__ = [
    "MAX_STEPS",
    "RULES",
    "Bands",
    "CompiledRule",
    "Frequency",
    "Linear",
    "LowerBetter",
    "Manual",
    "RefKind",
    "Relative",
    "Review",
    "RulePlan",
    "ThresholdPoints",
    "Transform",
    "canonical_json",
    "compile_rule",
]


@dataclass(frozen=True)
class RuleDef:
    name: str
    directions: tuple[str, ...]
    parse: Callable[[Reader], RuleParams]


RULES: Mapping[str, RuleDef] = {
    d.name: d
    for d in (
        RuleDef("linear", (HIGHER,), parse_linear),
        RuleDef("lower_better", (LOWER,), parse_lower),
        RuleDef("threshold_points", (HIGHER, LOWER), parse_threshold),
        RuleDef("bands", (HIGHER, LOWER), parse_bands),
        RuleDef("frequency", (HIGHER,), parse_frequency),
        RuleDef("relative", (HIGHER, LOWER), parse_relative),
        RuleDef("manual", (HIGHER,), parse_manual),
        RuleDef("review", (HIGHER,), parse_review),
    )
}


@dataclass(frozen=True)
class CompiledRule:
    rule: str
    direction: str
    params: RuleParams
    params_json: str  # canonical: sorted keys, defaults filled in
    plan: RulePlan


def canonical_json(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 text kept (中文 stays readable)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compile_rule(rule: str, params: Mapping[str, Any] | str | None, direction: str) -> CompiledRule:
    """Validate ``rule`` + ``params`` for a line of ``direction`` and return its plan."""
    definition = RULES.get(rule)
    if definition is None:
        raise EngineError(
            "rule_unknown",
            f"unknown rule {rule!r}; known: {', '.join(sorted(RULES))}",
            {"rule": rule},
        )
    if direction not in (HIGHER, LOWER):
        raise EngineError(
            "direction_invalid",
            f"direction must be 'higher' or 'lower', got {direction!r}",
            {"rule": rule, "direction": direction},
        )
    if direction not in definition.directions:
        raise EngineError(
            "rule_direction_mismatch",
            f"rule {rule!r} only scores direction {definition.directions[0]!r} indicators",
            {"rule": rule, "direction": direction},
        )
    raw: Any = params
    if isinstance(params, str):
        try:
            raw = json.loads(params) if params.strip() else {}
        except json.JSONDecodeError as exc:
            raise EngineError(
                "rule_params_invalid",
                f"rule {rule!r}: params are not valid JSON ({exc.msg})",
                {"rule": rule},
            ) from None
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise EngineError(
            "rule_params_invalid", f"rule {rule!r}: params must be an object", {"rule": rule}
        )
    reader = Reader(rule, raw)
    parsed = definition.parse(reader)
    reader.finish()
    plan = parsed.plan(direction == HIGHER)
    return CompiledRule(rule, direction, parsed, canonical_json(parsed.canonical()), plan)
