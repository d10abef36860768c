"""Reading a rule's raw parameters, with every error naming the rule and the parameter."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from heng.engine.errors import EngineError
from heng.engine.numbers import dec
from heng.engine.plan import MAX_STEPS

__all__ = ["REQUIRED", "Reader", "as_float"]

REQUIRED: Any = object()


class Reader:
    """Reads a raw parameter mapping, naming rule and parameter in every error."""

    def __init__(self, rule: str, raw: Mapping[str, Any]) -> None:
        self.rule = rule
        self.raw = dict(raw)
        self.used: set[str] = set()

    def fail(self, code: str, param: str, why: str) -> EngineError:
        return EngineError(
            code,
            f"rule {self.rule!r}, parameter {param!r}: {why}",
            {"rule": self.rule, "param": param},
        )

    def num(
        self,
        key: str,
        default: Any = REQUIRED,
        *,
        ge: Decimal | None = None,
        gt: Decimal | None = None,
        lt: Decimal | None = None,
    ) -> Decimal:
        self.used.add(key)
        if key not in self.raw or self.raw[key] is None:
            if default is REQUIRED:
                raise self.fail("rule_param_missing", key, "is required")
            return Decimal(default)
        try:
            value = dec(self.raw[key], where=key)
        except EngineError:
            raise self.fail(
                "rule_param_invalid", key, f"expected a number, got {self.raw[key]!r}"
            ) from None
        if ge is not None and value < ge:
            raise self.fail("rule_param_invalid", key, f"must be ≥ {ge}, got {value}")
        if gt is not None and value <= gt:
            raise self.fail("rule_param_invalid", key, f"must be > {gt}, got {value}")
        if lt is not None and value >= lt:
            raise self.fail("rule_param_invalid", key, f"must be < {lt}, got {value}")
        return value

    def choice(self, key: str, options: tuple[str, ...], default: Any = REQUIRED) -> str:
        self.used.add(key)
        value = self.raw.get(key)
        if value is None:
            if default is REQUIRED:
                raise self.fail("rule_param_missing", key, f"is required, one of {options}")
            return str(default)
        if value not in options:
            raise self.fail("rule_param_invalid", key, f"must be one of {options}, got {value!r}")
        return str(value)

    def text(self, key: str) -> str | None:
        self.used.add(key)
        value = self.raw.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise self.fail("rule_param_invalid", key, "must be a non-empty text")
        return value

    def steps(self, key: str) -> tuple[tuple[Decimal, Decimal], ...]:
        self.used.add(key)
        value = self.raw.get(key)
        if value is None:
            raise self.fail("rule_param_missing", key, "is required: a list of [from, score]")
        if not isinstance(value, list | tuple) or not 1 <= len(value) <= MAX_STEPS:
            raise self.fail("rule_param_invalid", key, f"needs 1–{MAX_STEPS} [from, score] pairs")
        out = []
        for i, pair in enumerate(value):
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                raise self.fail("rule_param_invalid", f"{key}[{i}]", "must be [from, score]")
            try:
                out.append((dec(pair[0], where=key), dec(pair[1], where=key)))
            except EngineError:
                raise self.fail("rule_param_invalid", f"{key}[{i}]", "must be numbers") from None
        return tuple(out)

    def finish(self) -> None:
        unknown = sorted(set(self.raw) - self.used)
        if unknown:
            raise self.fail("rule_param_unknown", unknown[0], "is not a parameter of this rule")


def as_float(value: Decimal) -> float:
    return float(value)


# ---------------------------------------------------------------------------------- the rules
