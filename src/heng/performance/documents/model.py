"""The scheme document: one canonical, plain-data form of a whole scheme.

The same dict is (1) frozen into a :class:`SchemeVersion`, (2) written as the YAML scheme
file and (3) read back from it, so "export → import → export is byte-identical" reduces to
"the document is canonical": fixed key order, sorted lists, numbers as the shortest exact
int/float, JSON objects with sorted keys, dates as ISO text, every key always present.

Shape (``heng.scheme/1``)::

    format: heng.scheme/1
    scheme:     {code, name, name_en, description, framework, applies_to: [{unit, position}]}
    framework:  {code, name, name_en, description, category_weights: {result, process,
                 growth} | null, kpi_weight, review_weight, review_scale: [min, max],
                 review_group_weights: {group: weight} | null, bonus_cap,
                 rating_bands: [{code, min, name_zh, name_en}],
                 target_mix: [{label, bands, share}]}
    indicators: [{code, name, name_en, category, direction, unit,
                  value_source: {kind, metric, formula}, rule, params, description}]
    lines:      [{indicator, weight, rule, params, target: {method, value}, source_set}]
    overrides:  [{code, name, scope: {unit, position, employee}, period: {from, to}, note,
                  changes: [{indicator, action, weight, rule, params,
                             target: {method, value} | null, source_set}]}]
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from heng.engine import RULES
from heng.engine.rules import canonical_json

FORMAT = "heng.scheme/1"
CATEGORIES = ("result", "process", "growth")
DIRECTIONS = ("higher", "lower")
VALUE_KINDS = ("metric", "formula", "manual", "review")
TARGET_METHODS = ("assigned", "fixed", "benchmark", "none")
ACTIONS = ("set", "remove")
DEFAULT_SOURCE_SET = "main"
HUNDRED = Decimal(100)
WEIGHT_PLACES = 4  # the engine checks weights in 1/10,000

# Rules that compare the actual with the line's target (attainment = actual / target).
TARGET_RULES = frozenset({"linear", "lower_better", "threshold_points", "bands"})

Doc = dict[str, Any]


class Directory(Protocol):
    """What the checker needs to know about the organisation (a DB-backed implementation
    lives in selectors; tests may pass a dict-based one)."""

    def unit_path(self, code: str) -> str | None: ...
    def has_position(self, code: str) -> bool: ...
    def employee_unit_path(self, employee_no: str) -> str | None: ...


@dataclass(frozen=True)
class Problem:
    """One refusal: where (a document path such as ``lines[2].weight``), a code, a message."""

    path: str
    code: str
    message: str


class Problems(list[Problem]):
    def add(self, path: str, code: str, message: Any) -> None:
        self.append(Problem(path, code, str(message)))


def to_decimal(value: Any) -> Decimal | None:
    """An exact Decimal from a YAML/JSON number (int, float via its shortest text, Decimal).

    Returns None for anything that is not a finite number (bool, text, NaN, ∞).
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = repr(value)
    elif isinstance(value, Decimal):
        return value if value.is_finite() else None
    elif not isinstance(value, int | str):
        return None
    try:
        result = Decimal(value)
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def number(value: Decimal | int | float | str) -> int | float:
    """The canonical JSON number of an exact number: 20, 69.99, 0.0125."""
    exact = value if isinstance(value, Decimal) else to_decimal(value)
    if exact is None:
        raise ValueError(f"not a finite number: {value!r}")
    normal = exact.normalize()
    if normal == normal.to_integral_value():
        return int(normal)
    return float(format(normal, "f"))


def canonical_value(value: Any) -> Any:
    """Rule parameters and other free JSON: sorted keys, numbers in canonical form."""
    if isinstance(value, Mapping):
        return {str(k): canonical_value(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [canonical_value(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    exact = to_decimal(value)
    return number(exact) if exact is not None else value


def decimal_text(value: Decimal) -> str:
    """100, 99.99, 0.0125 — never 1E+2."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def digest(document: Doc) -> str:
    """SHA-256 of the canonical JSON of the document (what a version is pinned to)."""
    return hashlib.sha256(canonical_json(document).encode()).hexdigest()


def default_target_method(rule: str, params: Mapping[str, Any] | None) -> str:
    """The natural target method for a rule: what a line the user adds gets by default."""
    if rule in TARGET_RULES:
        return "assigned"
    if rule == "relative" and (params or {}).get("against") == "benchmark":
        return "benchmark"
    return "none"


def effective_rule(
    indicator: Mapping[str, Any], rule: str | None, params: Any
) -> tuple[str, dict[str, Any]]:
    """The rule and parameters a line scores with.

    A line (or override change) may override the indicator's rule; then its own params (or
    none: the rule's defaults) apply. Params alone override the indicator's params.
    """
    if rule:
        return rule, dict(params or {})
    if params is not None:
        return str(indicator["rule"]), dict(params)
    return str(indicator["rule"]), dict(indicator.get("params") or {})


def known_rules() -> list[str]:
    return sorted(RULES)


def canonical_order(doc: Doc) -> Doc:
    """Sort the lists whose order carries no meaning (lines keep theirs: it is display order)."""
    doc["scheme"]["applies_to"].sort(key=lambda a: (a["unit"] or "", a["position"] or ""))
    doc["indicators"].sort(key=lambda i: i["code"])
    doc["overrides"].sort(key=lambda o: o["code"])
    for override in doc["overrides"]:
        override["changes"].sort(key=lambda c: c["indicator"])
    return doc
