"""Override precedence and merging (B4) on a scheme document — pure, no database.

The rule (docs/adr/0003-override-precedence.md): every override that applies to the person
on the date is considered; for each indicator the change of the *highest-ranked* override
touching it wins. Rank, highest first:

1. scope: one employee > a unit (the deeper in the org tree, the more specific; a position
   inside that unit beats the unit alone) > a position anywhere > no scope;
2. period: an override with a date range beats one without; a shorter range beats a longer;
3. code, alphabetically — only so that the answer never depends on storage order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from heng.performance.documents.model import (
    DEFAULT_SOURCE_SET,
    Doc,
    default_target_method,
    effective_rule,
    to_decimal,
)

# An open period end counts as this many days long, i.e. less specific than any real range.
_OPEN_DAYS = 10**7


@dataclass(frozen=True)
class Placement:
    """Where a person works on a date, as the resolver needs it (codes, not rows)."""

    employee_no: str
    position: str | None
    unit: str  # the working unit while dispatched, else the home unit
    chain: Mapping[str, int]  # unit code → tree depth, for the unit and all its ancestors


@dataclass(frozen=True)
class Rank:
    employee: int
    unit_depth: int
    position: int
    has_period: int
    neg_days: int
    code: str

    def key(self) -> tuple[int, int, int, int, int, str]:
        return (
            self.employee,
            self.unit_depth,
            self.position,
            self.has_period,
            self.neg_days,
            self.code,
        )


def period_days(period: Mapping[str, Any]) -> int:
    start, end = period.get("from"), period.get("to")
    if start is None or end is None:
        return _OPEN_DAYS
    return (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days + 1


def rank_of(override: Mapping[str, Any], unit_depth: Callable[[str], int]) -> Rank:
    scope, period = override["scope"], override["period"]
    has_period = int(period.get("from") is not None or period.get("to") is not None)
    return Rank(
        employee=int(scope.get("employee") is not None),
        unit_depth=unit_depth(scope["unit"]) if scope.get("unit") else 0,
        position=int(scope.get("position") is not None),
        has_period=has_period,
        neg_days=-period_days(period),
        code=str(override["code"]),
    )


def ordered(
    overrides: Iterable[Mapping[str, Any]], unit_depth: Callable[[str], int]
) -> list[Mapping[str, Any]]:
    """Highest precedence first. The code breaks ties: "a" outranks "b" (stable, documented)."""
    items = list(overrides)
    items.sort(key=lambda o: str(o["code"]))
    items.sort(key=lambda o: rank_of(o, unit_depth).key()[:5], reverse=True)
    return items


def in_period(period: Mapping[str, Any], on: dt.date) -> bool:
    start, end = period.get("from"), period.get("to")
    return (start is None or dt.date.fromisoformat(start) <= on) and (
        end is None or on <= dt.date.fromisoformat(end)
    )


def applies(override: Mapping[str, Any], placement: Placement, on: dt.date) -> bool:
    scope = override["scope"]
    if scope.get("employee") is not None and scope["employee"] != placement.employee_no:
        return False
    if scope.get("unit") is not None and scope["unit"] not in placement.chain:
        return False
    if scope.get("position") is not None and scope["position"] != placement.position:
        return False
    return in_period(override["period"], on)


@dataclass
class MergedLine:
    indicator: str
    weight: Decimal
    rule: str
    params: dict[str, Any]
    target_method: str
    target_value: Decimal | None
    source_set: str
    origin: str | None = None  # None: the base line; else the winning override's code
    touched_by: list[str] = field(default_factory=list)  # every applicable override on it


@dataclass
class Merged:
    lines: list[MergedLine]
    removed: dict[str, str]  # indicator → override code that removed it
    # Change dicts by indicator that could not be applied (a "set" without weight on a line
    # the base lacks); the checker reports them, the resolver refuses them.
    incomplete: dict[str, str]


def base_lines(doc: Doc) -> list[MergedLine]:
    indicators = {i["code"]: i for i in doc["indicators"]}
    out = []
    for line in doc["lines"]:
        indicator = indicators.get(line["indicator"])
        if indicator is None:
            continue
        rule, params = effective_rule(indicator, line["rule"], line["params"])
        target = line["target"] or {"method": default_target_method(rule, params), "value": None}
        out.append(
            MergedLine(
                indicator=line["indicator"],
                weight=to_decimal(line["weight"]) or Decimal(0),
                rule=rule,
                params=params,
                target_method=target["method"],
                target_value=to_decimal(target["value"]),
                source_set=line["source_set"],
            )
        )
    return out


def merge(doc: Doc, winners_first: Sequence[Mapping[str, Any]]) -> Merged:
    """Apply the overrides (highest precedence first) line by line on the base lines."""
    indicators = {i["code"]: i for i in doc["indicators"]}
    lines = {line.indicator: line for line in base_lines(doc)}
    order = [line.indicator for line in lines.values()]
    decided: set[str] = set()
    removed: dict[str, str] = {}
    incomplete: dict[str, str] = {}
    touched: dict[str, list[str]] = {}
    for override in winners_first:
        for change in override["changes"]:
            code = change["indicator"]
            touched.setdefault(code, []).append(override["code"])
            if code in decided or code not in indicators:
                continue
            decided.add(code)
            if change["action"] == "remove":
                if code in lines:
                    removed[code] = override["code"]
                continue
            base = lines.get(code)
            if base is None:
                if change["weight"] is None:
                    incomplete[code] = override["code"]
                    continue
                rule, params = effective_rule(indicators[code], change["rule"], change["params"])
                target = change["target"] or {
                    "method": default_target_method(rule, params),
                    "value": None,
                }
                lines[code] = MergedLine(
                    indicator=code,
                    weight=to_decimal(change["weight"]) or Decimal(0),
                    rule=rule,
                    params=params,
                    target_method=target["method"],
                    target_value=to_decimal(target["value"]),
                    source_set=change["source_set"] or DEFAULT_SOURCE_SET,
                    origin=override["code"],
                )
                order.append(code)
                continue
            _apply_change(base, change, indicators[code], override["code"])
    kept = [lines[code] for code in order if code not in removed]
    for line in kept:
        line.touched_by = touched.get(line.indicator, [])
    return Merged(kept, removed, incomplete)


def _apply_change(
    line: MergedLine, change: Mapping[str, Any], indicator: Mapping[str, Any], origin: str
) -> None:
    line.origin = origin
    if change["weight"] is not None:
        line.weight = to_decimal(change["weight"]) or Decimal(0)
    if change["rule"] or change["params"] is not None:
        # New params alone keep the line's rule; a new rule brings its own params (or none).
        line.rule, line.params = effective_rule(
            indicator, change["rule"] or line.rule, change["params"]
        )
    # The target is inherited unless the change gives one (the checker refuses a target
    # method that does not suit the new rule).
    if change["target"] is not None:
        line.target_method = change["target"]["method"]
        line.target_value = to_decimal(change["target"]["value"])
    if change["source_set"]:
        line.source_set = change["source_set"]


def total(lines: Iterable[MergedLine]) -> Decimal:
    return sum((line.weight for line in lines), Decimal(0))
