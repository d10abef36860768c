"""Dispatched mid-cycle (F1, issue 5): score a person on every unit's lines, by days worked.

Someone who worked 10 days at home in store A and 20 days dispatched to store B, where A and
B resolve to different schemes (or overrides), is scored on the lines of both: every line's
weight × that unit's share of the days worked, lines of one indicator merged into one. This
happens when the cycle opens — the combined lines are one more line set of the snapshot — so
scoring and the engine see an ordinary scheme and need no change.

With no framework category weights the combined KPI is exactly the days-weighted mean of the
units' KPIs (up to the 4-decimal weights). With category weights the engine shares each
category's framework weight among its lines by line weight, so the combined set is scored like
any scheme with those line weights.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _

from heng.core.errors import ApplicationError
from heng.org.models import OrgUnit
from heng.people.models import Employee
from heng.performance.cycle_errors import CycleInvalid
from heng.performance.selectors.resolve import ResolvedLine, ResolvedScheme, scheme_resolve_for

Line = dict[str, Any]  # one line as stored in ``Cycle.line_sets``
# The engine accepts at most 4 decimals on a line weight (docs/scoring.md).
WEIGHT_STEPS = 10_000


def line_json(line: ResolvedLine) -> Line:
    """A resolved line as stored in ``Cycle.line_sets`` (texts and decimals as strings)."""
    return {
        "indicator": line.indicator,
        "name": line.name,
        "name_en": line.name_en,
        "category": line.category,
        "direction": line.direction,
        "unit": line.unit,
        "weight": str(line.weight),
        "rule": line.rule,
        "params": line.params,
        "target_method": line.target_method,
        "target_value": None if line.target_value is None else str(line.target_value),
        "source_set": line.source_set,
        "why": line.why,
    }


@dataclass(frozen=True)
class UnitLines:
    """The lines that applied to the person in one unit, and the days he worked there."""

    unit: str
    days: int
    lines: tuple[Line, ...]


def by_precedence(parts: Sequence[UnitLines], *, home: str) -> list[UnitLines]:
    """Most days first; a tie goes to the home unit, then to the unit code (deterministic)."""
    return sorted(parts, key=lambda p: (-p.days, p.unit != home, p.unit))


def lines_differ(parts: Sequence[UnitLines]) -> bool:
    """Whether the units give different lines (the *why* texts alone do not count)."""

    def bare(lines: tuple[Line, ...]) -> list[Line]:
        return [{k: v for k, v in line.items() if k != "why"} for line in lines]

    return any(bare(p.lines) != bare(parts[0].lines) for p in parts[1:])


def _weight(value: Fraction) -> Decimal:
    # round() of a Fraction is exact and rounds half to even, as ADR 0002 rounds numbers.
    return Decimal(round(value * WEIGHT_STEPS)).scaleb(-4)


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def lines_combine(parts: Sequence[UnitLines], *, home: str) -> list[Line]:
    """One line set from several units' lines, weighted by the days worked in each.

    A line's weight is Σ over the units that have it of weight × days / total days. Lines
    of one indicator become one line with the rule, parameters, target and set of the unit
    with the most days (ties: ``home``). Weights are rounded half-even to 4 decimals; the
    rounding residue goes to the largest line, so the total stays exactly what the units'
    totals give (100, as every resolved scheme sums to 100).
    """
    ordered = by_precedence(parts, home=home)
    total_days = sum(p.days for p in ordered)
    exact: dict[str, Fraction] = {}
    chosen: dict[str, tuple[UnitLines, Line]] = {}
    sources: dict[str, list[str]] = {}
    for part in ordered:
        share = Fraction(part.days, total_days)
        for line in part.lines:
            code = line["indicator"]
            weight = Decimal(line["weight"])
            exact[code] = exact.get(code, Fraction(0)) + share * Fraction(weight)
            chosen.setdefault(code, (part, line))
            sources.setdefault(code, []).append(
                _("%(unit)s %(days)s/%(total)s days × %(weight)s")
                % {
                    "unit": part.unit,
                    "days": part.days,
                    "total": total_days,
                    "weight": _text(weight),
                }
            )
    weights = {code: _weight(value) for code, value in exact.items()}
    residue = _weight(sum(exact.values(), Fraction(0))) - sum(weights.values(), Decimal(0))
    if residue:
        largest = max(weights, key=lambda code: weights[code])  # first of equals: line order
        weights[largest] += residue
    combined = []
    for code, (part, line) in chosen.items():
        told = {"parts": ", ".join(sources[code]), "unit": part.unit, "why": line["why"]}
        why = _("combined by days worked: %(parts)s; rule and target as in %(unit)s (%(why)s)")
        why %= told
        combined.append({**line, "weight": _text(weights[code]), "why": why})
    return combined


@dataclass(frozen=True)
class ParticipantLines:
    """What a participant is scored with: his lines and the scheme recorded on him."""

    lines: list[Line]
    scheme: ResolvedScheme  # the scheme of the unit with the most days when combined
    schemes: tuple[tuple[str, int, ResolvedScheme], ...]  # (unit, days, scheme) per unit
    combined: bool

    def framework_refusal(self, framework: Mapping[str, Any]) -> str | None:
        """Why these lines cannot be scored in a cycle run with ``framework`` (None: they can)."""
        for unit, days, found in self.schemes:
            if found.framework != framework:
                return _(
                    "Scheme %(code)s, which applies in unit %(unit)s where the employee worked "
                    "%(days)s days, uses another framework than the rest of the cycle; the "
                    "units' indicator sets cannot be combined."
                ) % {"code": found.scheme_code, "unit": unit, "days": days}
        return None

    def note(self) -> str:
        """The participant's note on combined lines (which scheme is recorded, and why)."""
        return _(
            "Their indicator sets were combined by days worked; scheme %(code)s of %(unit)s, "
            "the unit with the most days, is recorded."
        ) % {"code": self.scheme.scheme_code, "unit": self.scheme.unit_code}


def participant_lines(
    *,
    employee: Employee,
    on: dt.date,
    worked: Mapping[str, int],
    at_ref: ResolvedScheme,
) -> ParticipantLines:
    """The lines of a participant who worked in ``worked`` (unit code → days) in the period.

    ``at_ref`` is the scheme where he was on ``on``. In one unit, or when every unit gives
    the same lines, that is all, as for anyone. Otherwise the scheme that applied to him in
    each unit on ``on`` (same position, only the unit swapped) is resolved and the lines are
    combined by days worked (:func:`lines_combine`). Refused with the unit named when a unit
    has no scheme for him.
    """
    home = employee.unit.code
    if len(worked) < 2:
        return ParticipantLines(
            [line_json(x) for x in at_ref.lines],
            at_ref,
            tuple((unit, days, at_ref) for unit, days in worked.items()),
            combined=False,
        )
    units = OrgUnit.objects.in_bulk(list(worked), field_name="code")
    schemes: list[tuple[str, int, ResolvedScheme]] = []
    for code, days in sorted(worked.items()):
        if code == at_ref.unit_code:
            schemes.append((code, days, at_ref))
            continue
        try:
            found = scheme_resolve_for(employee=employee, on=on, in_unit=units[code])
        except ApplicationError as exc:
            raise CycleInvalid(
                _("In unit %(unit)s (%(days)s days worked): %(reason)s")
                % {"unit": code, "days": days, "reason": exc.message},
                code=exc.code,
            ) from None
        schemes.append((code, days, found))
    parts = [
        UnitLines(code, days, tuple(line_json(x) for x in found.lines))
        for code, days, found in schemes
    ]
    if not lines_differ(parts):
        return ParticipantLines(
            [line_json(x) for x in at_ref.lines], at_ref, tuple(schemes), combined=False
        )
    first = by_precedence(parts, home=home)[0].unit
    primary = next(found for code, _days, found in schemes if code == first)
    return ParticipantLines(lines_combine(parts, home=home), primary, tuple(schemes), combined=True)
