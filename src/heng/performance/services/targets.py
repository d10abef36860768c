"""Targets per participant × indicator (fixed, split of a unit target, own baseline,
benchmark × factor); bulk upload; manual values and bonus points. Locked once scoring starts.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from heng.performance.cycle_errors import CycleConflict, TargetInvalid
from heng.performance.models import (
    BonusEntry,
    Cycle,
    CycleState,
    ManualValue,
    Participant,
    Result,
    Target,
    TargetMethodChoice,
)

Q4 = Decimal("0.0001")


def _check_open(cycle: Cycle) -> None:
    if cycle.targets_locked or cycle.state not in (CycleState.OPEN, CycleState.SELF_REVIEW):
        raise CycleConflict(
            _("Targets are locked once manager scoring starts."), code="targets_locked"
        )


def _indicator_of(participant: Participant, indicator: str) -> None:
    if indicator not in {line["indicator"] for line in participant.lines}:
        raise TargetInvalid(
            _("%(no)s has no indicator %(code)s in this cycle.")
            % {"no": participant.employee_no, "code": indicator},
            fields={"indicator": indicator},
        )


def baseline_of(participant: Participant, indicator: str) -> Decimal | None:
    """The actual of ``indicator`` in the employee's last published comparable cycle."""
    import json

    earlier = (
        Result.objects.filter(
            employee_id=participant.employee_id,
            cycle__cadence=participant.cycle.cadence,
            cycle__period_end__lt=participant.cycle.period_start,
            cycle__state__in=[CycleState.PUBLISHED, CycleState.ARCHIVED],
        )
        .order_by("-cycle__period_end")
        .first()
    )
    if earlier is None:
        return None
    for row in json.loads(earlier.indicators):
        if row["indicator"] == indicator and row.get("actual") is not None:
            return Decimal(str(row["actual"]))
    return None


def target_value(
    *,
    participant: Participant,
    indicator: str,
    method: str,
    value: Decimal | None = None,
    unit_target: Decimal | None = None,
    share: Decimal | None = None,
    growth: Decimal | None = None,
    benchmark: Decimal | None = None,
    factor: Decimal | None = None,
) -> tuple[Decimal, dict[str, Any]]:
    """Compute a target by its method; returns the value and how it was derived."""
    if method == TargetMethodChoice.FIXED:
        if value is None:
            raise TargetInvalid(_("A fixed target needs a value."), fields={"value": ""})
        result, basis = value, {}
    elif method == TargetMethodChoice.SPLIT:
        if unit_target is None:
            raise TargetInvalid(_("Give the unit target to split."), fields={"unit_target": ""})
        if share is None:  # equal split among the unit's participants
            n = participant.cycle.participants.filter(unit=participant.unit_id).count()
            share = Decimal(100) / Decimal(n)
        result = unit_target * share / 100
        basis = {"unit_target": str(unit_target), "share": str(share.quantize(Q4))}
    elif method == TargetMethodChoice.BASELINE:
        base = baseline_of(participant, indicator)
        if base is None:
            raise TargetInvalid(
                _("%(no)s has no published result for %(code)s in an earlier cycle.")
                % {"no": participant.employee_no, "code": indicator},
                code="no_baseline",
                fields={"method": method},
            )
        growth = growth or Decimal(0)
        result = base * (1 + growth / 100)
        basis = {"baseline": str(base), "growth": str(growth)}
    elif method == TargetMethodChoice.BENCHMARK:
        if benchmark is None:
            raise TargetInvalid(_("Give the benchmark."), fields={"benchmark": ""})
        factor = factor if factor is not None else Decimal(1)
        result = benchmark * factor
        basis = {"benchmark": str(benchmark), "factor": str(factor)}
    else:
        raise TargetInvalid(
            _("Unknown target method %(m)s.") % {"m": method}, fields={"method": method}
        )
    if result <= 0:
        raise TargetInvalid(_("A target must be greater than 0."), fields={"value": str(result)})
    return result.quantize(Q4), basis


@transaction.atomic
def target_set(
    *, actor: Any, participant: Participant, indicator: str, method: str, **numbers: Decimal | None
) -> Target:
    cycle = Cycle.objects.select_for_update().get(pk=participant.cycle_id)
    _check_open(cycle)
    _indicator_of(participant, indicator)
    value, basis = target_value(
        participant=participant, indicator=indicator, method=method, **numbers
    )
    target, _created = Target.objects.update_or_create(
        participant=participant,
        indicator=indicator,
        defaults={
            "method": method,
            "value": value,
            "basis": basis,
            "set_by": actor if getattr(actor, "pk", None) else None,
        },
    )
    return target


@dataclass(frozen=True)
class TargetRow:
    employee_no: str
    indicator: str
    method: str
    numbers: dict[str, Decimal | None]


COLUMNS = (
    "employee_no",
    "indicator",
    "method",
    "value",
    "unit_target",
    "share",
    "growth",
    "benchmark",
    "factor",
)


def parse_target_file(data: bytes, filename: str) -> list[TargetRow]:
    """CSV or XLSX with the columns of :data:`COLUMNS` (header row first)."""
    if filename.lower().endswith((".xlsx", ".xls")):
        from python_calamine import CalamineWorkbook

        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        table = [[str(c) if c != "" else "" for c in row] for row in sheet.to_python()]
    else:
        table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    if not table:
        raise TargetInvalid(_("The file is empty."), code="empty_file")
    header = [h.strip() for h in table[0]]
    missing = [c for c in COLUMNS[:3] if c not in header]
    if missing:
        raise TargetInvalid(
            _("Missing columns: %(c)s") % {"c": ", ".join(missing)}, code="columns_missing"
        )
    rows, fields = [], {}
    for n, raw in enumerate(table[1:], start=2):
        rec = dict(zip(header, (c.strip() for c in raw), strict=False))
        if not any(rec.values()):
            continue
        numbers: dict[str, Decimal | None] = {}
        for col in COLUMNS[3:]:
            text = rec.get(col, "")
            try:
                numbers[col] = (
                    Decimal(text.removesuffix(".0") if text.endswith(".0") else text)
                    if text
                    else None
                )
            except InvalidOperation:
                fields[f"line {n}"] = _("%(col)s is not a number") % {"col": col}
        rows.append(TargetRow(rec["employee_no"], rec["indicator"], rec["method"], numbers))
    if fields:
        raise TargetInvalid(next(iter(fields.values())), code="file_invalid", fields=fields)
    return rows


@transaction.atomic
def targets_bulk_set(*, actor: Any, cycle: Cycle, rows: list[TargetRow]) -> int:
    """All rows or none: every problem is named by line."""
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    _check_open(cycle)
    people = {p.employee_no: p for p in cycle.participants.all()}
    fields: dict[str, str] = {}
    made = []
    for n, row in enumerate(rows, start=2):
        p = people.get(row.employee_no)
        if p is None:
            fields[f"line {n}"] = _("%(no)s is not in this cycle") % {"no": row.employee_no}
            continue
        try:
            _indicator_of(p, row.indicator)
            value, basis = target_value(
                participant=p, indicator=row.indicator, method=row.method, **row.numbers
            )
        except TargetInvalid as exc:
            fields[f"line {n}"] = exc.message
            continue
        made.append(
            Target(
                participant=p,
                indicator=row.indicator,
                method=row.method,
                value=value,
                basis=basis,
                set_by=actor if actor else None,
            )
        )
    if fields:
        raise TargetInvalid(
            _("%(count)s line(s) refused; nothing was saved.") % {"count": len(fields)},
            code="rows_invalid",
            fields=fields,
        )
    keys = {(t.participant_id, t.indicator) for t in made}
    for pid, ind in keys:
        Target.objects.filter(participant_id=pid, indicator=ind).delete()
    Target.objects.bulk_create(made, batch_size=1000)
    return len(made)


@transaction.atomic
def manual_value_set(
    *, actor: Any, participant: Participant, indicator: str, value: Decimal, comment: str = ""
) -> ManualValue:
    """A manager's entry of a manual indicator (until calibration starts)."""
    cycle = Cycle.objects.select_for_update().get(pk=participant.cycle_id)
    if cycle.state not in (CycleState.OPEN, CycleState.SELF_REVIEW, CycleState.MANAGER_SCORING):
        raise CycleConflict(_("Manager scores can no longer be entered."), code="scoring_closed")
    _indicator_of(participant, indicator)
    if cycle.indicators.get(indicator, {}).get("value_source", {}).get("kind") != "manual":
        raise TargetInvalid(
            _("%(code)s is not entered by a manager.") % {"code": indicator},
            code="not_manual",
            fields={"indicator": indicator},
        )
    line = next(x for x in participant.lines if x["indicator"] == indicator)
    low = Decimal(str(line["params"].get("min", 0)))
    high = Decimal(str(line["params"].get("max", 100)))
    if not low <= value <= high:
        raise TargetInvalid(
            _("Enter a value from %(low)s to %(high)s.") % {"low": low, "high": high},
            code="out_of_range",
            fields={"value": str(value)},
        )
    row, _c = ManualValue.objects.update_or_create(
        participant=participant,
        indicator=indicator,
        defaults={
            "value": value,
            "comment": comment,
            "entered_by": actor if getattr(actor, "pk", None) else None,
        },
    )
    return row


@transaction.atomic
def bonus_add(*, actor: Any, participant: Participant, points: Decimal, reason: str) -> BonusEntry:
    if points < 0 or not reason.strip():
        raise TargetInvalid(
            _("Bonus points must be ≥ 0 and carry a reason."),
            code="bonus_invalid",
            fields={"points": str(points)},
        )
    return BonusEntry.objects.create(
        participant=participant,
        points=points,
        reason=reason,
        entered_by=actor if getattr(actor, "pk", None) else None,
    )


@transaction.atomic
def participant_comment_set(*, actor: Any, participant: Participant, comment: str) -> Participant:
    """The manager's comment shown on the scorecard (until the cycle is published)."""
    cycle = Cycle.objects.select_for_update().get(pk=participant.cycle_id)
    if cycle.state not in (
        CycleState.OPEN,
        CycleState.SELF_REVIEW,
        CycleState.MANAGER_SCORING,
        CycleState.CALIBRATION,
    ):
        raise CycleConflict(_("Manager comments can no longer be changed."), code="scoring_closed")
    participant.manager_comment = comment.strip()
    participant.save(update_fields=["manager_comment"])
    return participant
