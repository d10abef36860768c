"""Targets per participant × indicator (fixed, split of a unit target, own baseline,
benchmark × factor); bulk upload; manual values and bonus points. Locked once scoring starts.

Every write checks its actor (:func:`heng.performance.permissions.require_participant_editor`):
``None`` is the system (CLI, demo, background tasks); a user must reach the participant —
HR or a manager of the scored, home or working unit (so a partner store's manager reaches the
chef dispatched to him) — else NotFound/PermissionDenied and nothing is written.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from heng.core.audit import audit_record
from heng.performance.cycle_errors import CycleConflict, TargetInvalid
from heng.performance.documents.model import TARGET_RULES
from heng.performance.models import (
    BonusEntry,
    Cycle,
    CycleState,
    ManualValue,
    Participant,
    ParticipantStatus,
    Result,
    Target,
    TargetMethodChoice,
)
from heng.performance.permissions import participants_editable_by, require_participant_editor
from heng.performance.services.target_files import (
    COLUMNS,
    NUMBER_COLUMNS,
    TargetFile,
    TargetRow,
    parse_target_file,
    read_target_file,
)

# The file reader lives in target_files; its names stay importable from here.
__all__ = [
    "COLUMNS",
    "NUMBER_COLUMNS",
    "BulkReport",
    "TargetFile",
    "TargetPreview",
    "TargetRow",
    "baseline_of",
    "bonus_add",
    "is_manual",
    "manual_range",
    "manual_value_set",
    "needs_target",
    "parse_target_file",
    "participant_comment_set",
    "read_target_file",
    "target_set",
    "target_value",
    "targets_bulk_check",
    "targets_bulk_set",
    "targets_bulk_write",
    "targets_open",
]

Q4 = Decimal("0.0001")
Q2 = Decimal("0.01")
# Largest target the database column holds (18 digits, 4 decimals).
TARGET_MAX = Decimal("1e14")
BONUS_MAX = Decimal("100000")
REASON_MAX = 200
# Manager entries and bonus points are inputs of scoring: accepted while a cycle can be scored.
INPUT_STATES = (CycleState.OPEN, CycleState.SELF_REVIEW, CycleState.MANAGER_SCORING)


def _check_open(cycle: Cycle) -> None:
    if cycle.targets_locked or cycle.state not in (CycleState.OPEN, CycleState.SELF_REVIEW):
        raise CycleConflict(
            _("Targets are locked once manager scoring starts."), code="targets_locked"
        )


def targets_open(cycle: Cycle) -> bool:
    """May targets still be set in this cycle (for pages: show the forms or the lock)?"""
    return not cycle.targets_locked and cycle.state in (CycleState.OPEN, CycleState.SELF_REVIEW)


def _indicator_of(participant: Participant, indicator: str) -> None:
    if indicator not in {line["indicator"] for line in participant.lines}:
        raise TargetInvalid(
            _("%(no)s has no indicator %(code)s in this cycle.")
            % {"no": participant.employee_no, "code": indicator},
            fields={"indicator": indicator},
        )


def needs_target(line: dict[str, Any]) -> bool:
    """Does this resolved line score against a target (same test as scoring)?"""
    return line["rule"] in TARGET_RULES or (
        line["rule"] == "relative" and line["params"].get("against") == "benchmark"
    )


def is_manual(cycle: Cycle, indicator: str) -> bool:
    return cycle.indicators.get(indicator, {}).get("value_source", {}).get("kind") == "manual"


def _baseline(participant: Participant, indicator: str) -> tuple[Decimal, str] | None:
    earlier = (
        Result.objects.filter(
            employee_id=participant.employee_id,
            cycle__cadence=participant.cycle.cadence,
            cycle__period_end__lt=participant.cycle.period_start,
            cycle__state__in=[CycleState.PUBLISHED, CycleState.ARCHIVED],
        )
        .select_related("cycle")
        .order_by("-cycle__period_end")
        .first()
    )
    if earlier is None:
        return None
    for row in earlier.indicator_rows():
        if row["indicator"] == indicator and row.get("actual") is not None:
            return Decimal(str(row["actual"])), earlier.cycle.code
    return None


def baseline_of(participant: Participant, indicator: str) -> Decimal | None:
    """The actual of ``indicator`` in the employee's last published comparable cycle."""
    found = _baseline(participant, indicator)
    return None if found is None else found[0]


def _split_size(participant: Participant, indicator: str, cache: dict[Any, int] | None) -> int:
    """Active participants of the same scored unit who have ``indicator``."""
    key = (participant.unit_id, indicator)
    if cache is not None and key in cache:
        return cache[key]
    cycle = participant.cycle
    sets = [
        k for k, lines in cycle.line_sets.items() if any(x["indicator"] == indicator for x in lines)
    ]
    n = cycle.participants.filter(
        unit_id=participant.unit_id, status=ParticipantStatus.ACTIVE, line_set__in=sets
    ).count()
    n = max(n, 1)
    if cache is not None:
        cache[key] = n
    return n


def _finite(numbers: dict[str, Decimal | None]) -> None:
    for name, number in numbers.items():
        if number is not None and not number.is_finite():
            raise TargetInvalid(
                _("%(col)s is not a number") % {"col": name}, fields={name: str(number)}
            )


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
    """Compute a target by its method; returns the value and how it was derived.

    - fixed: ``value``
    - split: ``unit_target × share / 100``; without ``share`` an equal share among the active
      participants of the same scored unit who have the indicator
    - baseline: the actual of the last published cycle of the same cadence × (1 + growth/100)
    - benchmark: ``benchmark × factor`` (factor 1 when omitted)
    """
    numbers = {
        "value": value,
        "unit_target": unit_target,
        "share": share,
        "growth": growth,
        "benchmark": benchmark,
        "factor": factor,
    }
    return _target_value(participant, indicator, method, numbers, None)


def _target_value(
    participant: Participant,
    indicator: str,
    method: str,
    numbers: dict[str, Decimal | None],
    sizes: dict[Any, int] | None,
) -> tuple[Decimal, dict[str, Any]]:
    value, unit_target, share, growth, benchmark, factor = (numbers.get(c) for c in NUMBER_COLUMNS)
    _finite(numbers)
    basis: dict[str, Any]
    if method == TargetMethodChoice.FIXED:
        if value is None:
            raise TargetInvalid(_("A fixed target needs a value."), fields={"value": ""})
        result, basis = value, {}
    elif method == TargetMethodChoice.SPLIT:
        if unit_target is None:
            raise TargetInvalid(_("Give the unit target to split."), fields={"unit_target": ""})
        basis = {"unit_target": str(unit_target)}
        if share is None:  # equal split among the unit's participants with this indicator
            n = _split_size(participant, indicator, sizes)
            share = Decimal(100) / Decimal(n)
            basis["split_among"] = n
        elif not Decimal(0) < share <= Decimal(100):
            raise TargetInvalid(
                _("A share is a percentage above 0 and at most 100."),
                fields={"share": str(share)},
            )
        result = unit_target * share / 100
        basis["share"] = str(share.quantize(Q4))
    elif method == TargetMethodChoice.BASELINE:
        found = _baseline(participant, indicator)
        if found is None:
            raise TargetInvalid(
                _("%(no)s has no published result for %(code)s in an earlier cycle.")
                % {"no": participant.employee_no, "code": indicator},
                code="no_baseline",
                fields={"method": method},
            )
        base, source = found
        growth = growth or Decimal(0)
        result = base * (1 + growth / 100)
        basis = {"baseline": str(base), "growth": str(growth), "baseline_cycle": source}
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
    if result >= TARGET_MAX:
        raise TargetInvalid(_("The target is too large."), fields={"value": str(result)})
    return result.quantize(Q4), basis


@transaction.atomic
def target_set(
    *, actor: Any, participant: Participant, indicator: str, method: str, **numbers: Decimal | None
) -> Target:
    require_participant_editor(actor, participant)
    cycle = Cycle.objects.select_for_update().get(pk=participant.cycle_id)
    _check_open(cycle)
    _indicator_of(participant, indicator)
    value, basis = target_value(
        participant=participant, indicator=indicator, method=method, **numbers
    )
    before = Target.objects.filter(participant=participant, indicator=indicator).first()
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
    audit_record(
        actor=actor,
        action="target.set",
        target=participant,
        employee_id=participant.employee_id,
        before=None if before is None else {"method": before.method, "value": str(before.value)},
        after={"method": method, "value": str(value), "basis": basis},
        note=indicator,
    )
    return target


@dataclass(frozen=True)
class TargetPreview:
    line: int
    employee_no: str
    name: str
    indicator: str
    method: str
    value: Decimal
    basis: dict[str, Any]
    previous: Decimal | None


@dataclass
class BulkReport:
    """What a bulk entry would write, and every refused line (``"line N"`` → reason)."""

    rows: list[TargetPreview]
    problems: dict[str, str]
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "written": self.written,
            "count": len(self.rows),
            "rows": [
                {
                    "line": r.line,
                    "employee_no": r.employee_no,
                    "name": r.name,
                    "indicator": r.indicator,
                    "method": r.method,
                    "value": r.value,
                    "basis": r.basis,
                    "previous": r.previous,
                }
                for r in self.rows
            ],
            "errors": [
                {"line": int(key.split()[-1]), "reason": reason}
                for key, reason in self.problems.items()
            ],
        }


def _bulk(
    *, actor: Any, cycle: Cycle, rows: list[TargetRow], problems: dict[int, str] | None
) -> tuple[BulkReport, list[Target]]:
    scope = cycle.participants.all() if actor is None else participants_editable_by(actor, cycle)
    people = {p.employee_no: p for p in scope}
    previous = {
        (pid, ind): value
        for pid, ind, value in Target.objects.filter(participant__cycle=cycle).values_list(
            "participant_id", "indicator", "value"
        )
    }
    found: dict[int, str] = dict(problems or {})
    seen: dict[tuple[str, str], int] = {}
    sizes: dict[Any, int] = {}  # one count per unit × indicator for equal splits
    made: list[Target] = []
    preview: list[TargetPreview] = []
    for n, row in enumerate(rows, start=2):
        line = row.line or n
        p = people.get(row.employee_no)
        if p is None:  # missing and out of the actor's reach read the same
            found[line] = _("%(no)s is not in this cycle") % {"no": row.employee_no}
            continue
        key = (row.employee_no, row.indicator)
        if key in seen:
            found[line] = _("%(no)s %(code)s is already on line %(line)s") % {
                "no": row.employee_no,
                "code": row.indicator,
                "line": seen[key],
            }
            continue
        seen[key] = line
        try:
            _indicator_of(p, row.indicator)
            value, basis = _target_value(p, row.indicator, row.method, row.numbers, sizes)
        except TargetInvalid as exc:
            found[line] = exc.message
            continue
        made.append(
            Target(
                participant=p,
                indicator=row.indicator,
                method=row.method,
                value=value,
                basis=basis,
                set_by=actor if getattr(actor, "pk", None) else None,
            )
        )
        preview.append(
            TargetPreview(
                line=line,
                employee_no=p.employee_no,
                name=p.name,
                indicator=row.indicator,
                method=row.method,
                value=value,
                basis=basis,
                previous=previous.get((p.pk, row.indicator)),
            )
        )
    report = BulkReport(
        rows=preview,
        problems={f"line {n}": reason for n, reason in sorted(found.items())},
    )
    return report, made


def targets_bulk_check(
    *, actor: Any, cycle: Cycle, rows: list[TargetRow], problems: dict[int, str] | None = None
) -> BulkReport:
    """The dry run of :func:`targets_bulk_set`: every row checked, nothing written."""
    cycle = Cycle.objects.get(pk=cycle.pk)
    _check_open(cycle)
    report, _made = _bulk(actor=actor, cycle=cycle, rows=rows, problems=problems)
    return report


@transaction.atomic
def targets_bulk_write(
    *, actor: Any, cycle: Cycle, rows: list[TargetRow], problems: dict[int, str] | None = None
) -> BulkReport:
    """All rows or none: every problem is named by line (``problems`` are lines the file
    reader could not read; they refuse the whole entry too). Returns what was written."""
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    _check_open(cycle)
    report, made = _bulk(actor=actor, cycle=cycle, rows=rows, problems=problems)
    if not report.ok:
        raise TargetInvalid(
            _("%(count)s line(s) refused; nothing was saved.") % {"count": len(report.problems)},
            code="rows_invalid",
            fields=report.problems,
        )
    by_indicator: dict[str, list[int]] = defaultdict(list)
    for t in made:
        by_indicator[t.indicator].append(t.participant_id)
    for indicator, pids in by_indicator.items():
        for i in range(0, len(pids), 1000):
            Target.objects.filter(
                participant_id__in=pids[i : i + 1000], indicator=indicator
            ).delete()
    Target.objects.bulk_create(made, batch_size=1000)
    audit_record(actor=actor, action="targets.upload", target=cycle, note=f"{len(made)} targets")
    report.written = True
    return report


def targets_bulk_set(
    *, actor: Any, cycle: Cycle, rows: list[TargetRow], problems: dict[int, str] | None = None
) -> int:
    """:func:`targets_bulk_write`, answering how many targets were written."""
    return len(targets_bulk_write(actor=actor, cycle=cycle, rows=rows, problems=problems).rows)


@transaction.atomic
def manual_value_set(
    *, actor: Any, participant: Participant, indicator: str, value: Decimal, comment: str = ""
) -> ManualValue:
    """A manager's entry of a manual indicator (until calibration starts)."""
    require_participant_editor(actor, participant)
    cycle = Cycle.objects.select_for_update().get(pk=participant.cycle_id)
    if cycle.state not in INPUT_STATES:
        raise CycleConflict(_("Manager scores can no longer be entered."), code="scoring_closed")
    _indicator_of(participant, indicator)
    if not is_manual(cycle, indicator):
        raise TargetInvalid(
            _("%(code)s is not entered by a manager.") % {"code": indicator},
            code="not_manual",
            fields={"indicator": indicator},
        )
    line = next(x for x in participant.lines if x["indicator"] == indicator)
    low, high = manual_range(line)
    if not value.is_finite() or not low <= value <= high:
        raise TargetInvalid(
            _("Enter a value from %(low)s to %(high)s.") % {"low": low, "high": high},
            code="out_of_range",
            fields={"value": str(value)},
        )
    before = ManualValue.objects.filter(participant=participant, indicator=indicator).first()
    row, _c = ManualValue.objects.update_or_create(
        participant=participant,
        indicator=indicator,
        defaults={
            "value": value.quantize(Q4),
            "comment": comment.strip(),
            "entered_by": actor if getattr(actor, "pk", None) else None,
        },
    )
    audit_record(
        actor=actor,
        action="manual.set",
        target=participant,
        employee_id=participant.employee_id,
        before=None if before is None else {"value": str(before.value)},
        after={"value": str(row.value)},
        note=indicator,
    )
    return row


def manual_range(line: dict[str, Any]) -> tuple[Decimal, Decimal]:
    """The allowed range of a manual line (``params.min``/``params.max``, default 0–100)."""
    return (
        Decimal(str(line["params"].get("min", 0))),
        Decimal(str(line["params"].get("max", 100))),
    )


@transaction.atomic
def bonus_add(*, actor: Any, participant: Participant, points: Decimal, reason: str) -> BonusEntry:
    """Growth bonus points with a reason. The framework's ``bonus_cap`` limits what counts
    per person at scoring time (the engine adds the points up to the cap)."""
    require_participant_editor(actor, participant)
    cycle = Cycle.objects.select_for_update().get(pk=participant.cycle_id)
    if cycle.state not in INPUT_STATES:
        raise CycleConflict(_("Bonus points can no longer be added."), code="scoring_closed")
    reason = reason.strip()
    if (
        not points.is_finite()
        or points < 0
        or points >= BONUS_MAX
        or points != points.quantize(Q2)
        or not reason
    ):
        raise TargetInvalid(
            _("Bonus points must be ≥ 0 and carry a reason."),
            code="bonus_invalid",
            fields={"points": str(points)} if reason else {"reason": ""},
        )
    if len(reason) > REASON_MAX:
        raise TargetInvalid(
            _("Keep the reason under %(n)s characters.") % {"n": REASON_MAX},
            code="bonus_invalid",
            fields={"reason": reason[:20]},
        )
    entry = BonusEntry.objects.create(
        participant=participant,
        points=points.quantize(Q2),
        reason=reason,
        entered_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action="bonus.add",
        target=participant,
        employee_id=participant.employee_id,
        after={"points": str(points), "reason": reason},
    )
    return entry


@transaction.atomic
def participant_comment_set(*, actor: Any, participant: Participant, comment: str) -> Participant:
    """The manager's comment shown on the scorecard (until the cycle is published)."""
    require_participant_editor(actor, participant)
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
