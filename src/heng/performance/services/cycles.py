"""Cycle lifecycle (F1): create, open (snapshot everyone), move through the states, remind.

draft → open → self_review → manager_scoring → calibration → published → archived. Every
transition locks the cycle row first (``select_for_update``), re-reads the state and only
then checks and moves, so two clicks on "publish" give exactly one publication.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heng.accounts.models import Role, RoleGrant
from heng.core.audit import audit_record
from heng.core.errors import ApplicationError
from heng.core.notifications import notify
from heng.org.models import OrgUnit, Position
from heng.people.models import Employee
from heng.performance.cycle_errors import CycleConflict, CycleInvalid
from heng.performance.models import (
    Cadence,
    Cycle,
    CycleState,
    LeaverPolicy,
    ManualValue,
    Participant,
    ParticipantStatus,
    SchemeVersion,
)
from heng.performance.selectors.resolve import scheme_resolve_for
from heng.performance.services.dispatch import participant_lines


@transaction.atomic
def cycle_create(
    *,
    actor: Any,
    code: str,
    name: str,
    cadence: str,
    period_start: dt.date,
    period_end: dt.date,
    unit_codes: list[str] | None = None,
    position_codes: list[str] | None = None,
    leaver_policy: str = LeaverPolicy.PRORATE,
    review_deadline: dt.date | None = None,
    scoring_deadline: dt.date | None = None,
    peer_limit: int = 5,
) -> Cycle:
    """A draft cycle for a period and a population (unit subtrees and/or positions)."""
    fields: dict[str, str] = {}
    if cadence not in Cadence.values:
        fields["cadence"] = _("Choose monthly, quarterly or yearly.")
    if period_end < period_start:
        fields["period_end"] = _("The period ends before it starts.")
    units, positions = list(unit_codes or []), list(position_codes or [])
    if not units and not positions:
        fields["population"] = _("Name at least one unit or position.")
    unknown = set(units) - set(
        OrgUnit.objects.filter(code__in=units).values_list("code", flat=True)
    )
    if unknown:
        fields["unit_codes"] = _("Unknown units: %(codes)s") % {"codes": ", ".join(sorted(unknown))}
    unknown = set(positions) - set(
        Position.objects.filter(code__in=positions).values_list("code", flat=True)
    )
    if unknown:
        fields["position_codes"] = _("Unknown positions: %(codes)s") % {
            "codes": ", ".join(sorted(unknown))
        }
    if leaver_policy not in LeaverPolicy.values:
        fields["leaver_policy"] = _("Choose prorate or exclude.")
    if Cycle.objects.filter(code=code).exists():
        fields["code"] = _("A cycle with this code exists.")
    if fields:
        raise CycleInvalid(next(iter(fields.values())), fields=fields)
    cycle = Cycle.objects.create(
        code=code,
        name=name,
        cadence=cadence,
        period_start=period_start,
        period_end=period_end,
        unit_codes=units,
        position_codes=positions,
        leaver_policy=leaver_policy,
        review_deadline=review_deadline,
        scoring_deadline=scoring_deadline,
        peer_limit=peer_limit,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(actor=actor, action="cycle.create", target=cycle)
    return cycle


def population(cycle: Cycle) -> list[Employee]:
    """Everyone employed during the period whose unit (home or working) lies in one of the
    cycle's subtrees and whose position is one of its positions."""
    rows = Employee.objects.filter(hire_date__lte=cycle.period_end).filter(
        Q(leave_date__isnull=True) | Q(leave_date__gte=cycle.period_start)
    )
    if cycle.unit_codes:
        paths = list(
            OrgUnit.objects.filter(code__in=cycle.unit_codes).values_list("path", flat=True)
        )
        cond = Q()
        for path in paths:
            cond |= Q(unit__path__startswith=path) | Q(working_unit__path__startswith=path)
        rows = rows.filter(cond)
    if cycle.position_codes:
        rows = rows.filter(position__code__in=cycle.position_codes)
    return list(rows.select_related("unit", "working_unit", "position").order_by("employee_no"))


def _days(a: dt.date, b: dt.date) -> int:
    return (b - a).days + 1


def unit_days(employee: Employee, start: dt.date, end: dt.date) -> dict[str, int]:
    """Days worked per unit inside [start, end] from the effective-dated assignments."""
    found: dict[str, int] = {}
    rows = (
        employee.assignments.filter(start_date__lte=end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
        .select_related("home_unit", "working_unit")
    )
    covered = 0
    for a in rows.order_by("start_date"):
        lo, hi = max(a.start_date, start), min(a.end_date or end, end)
        if hi < lo:
            continue
        code = (a.working_unit or a.home_unit).code
        found[code] = found.get(code, 0) + _days(lo, hi)
        covered += _days(lo, hi)
    if not found:
        found[(employee.working_unit or employee.unit).code] = _days(start, end)
    elif covered < _days(start, end):
        # Days outside any dispatch are spent at the home unit.
        home = employee.unit.code
        found[home] = found.get(home, 0) + _days(start, end) - covered
    return found


def _region(unit: OrgUnit) -> str:
    step = OrgUnit.steplen
    paths = [unit.path[:i] for i in range(step, len(unit.path) + 1, step)]
    region = OrgUnit.objects.filter(path__in=paths, kind="region").order_by("-depth").first()
    return region.code if region is not None else ""


def _manager(unit: OrgUnit) -> Employee | None:
    """The unit head of the nearest unit up the tree (with an employee record)."""
    step = OrgUnit.steplen
    paths = [unit.path[:i] for i in range(step, len(unit.path) + 1, step)]
    grant = (
        RoleGrant.objects.filter(
            role=Role.UNIT_HEAD, unit__path__in=paths, user__employee__isnull=False
        )
        .select_related("user__employee", "unit")
        .order_by("-unit__depth")
        .first()
    )
    return grant.user.employee if grant is not None else None


def _line_set(sets: dict[str, list[dict[str, Any]]], data: list[dict[str, Any]]) -> str:
    key = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
    sets.setdefault(key, data)
    return key


def _lock(cycle: Cycle) -> Cycle:
    return Cycle.objects.select_for_update().get(pk=cycle.pk)


def _expect(cycle: Cycle, *states: str) -> None:
    if cycle.state not in states:
        raise CycleConflict(
            _("The cycle is %(state)s; this step is not possible now.")
            % {"state": cycle.get_state_display()},
        )


@transaction.atomic
def cycle_open(*, actor: Any, cycle: Cycle, on: dt.date | None = None) -> Cycle:
    """Snapshot every participant (units, position, resolved scheme) and open the cycle.

    Refused when someone in the population has no scheme, or when the schemes do not share
    one framework (a cycle is scored in one engine call with one configuration).
    """
    cycle = _lock(cycle)
    _expect(cycle, CycleState.DRAFT)
    people = population(cycle)
    if not people:
        raise CycleInvalid(_("Nobody belongs to this cycle's population."), code="empty_cycle")
    period_days = _days(cycle.period_start, cycle.period_end)
    rows, framework, indicators = [], None, {}
    line_sets: dict[str, list[dict[str, Any]]] = {}
    problems: dict[str, str] = {}
    docs: dict[tuple[str, int | None], dict[str, Any]] = {}
    for emp in people:
        ref = min(cycle.period_end, emp.leave_date or cycle.period_end)
        start = max(cycle.period_start, emp.hire_date)
        end = min(cycle.period_end, emp.leave_date or cycle.period_end)
        worked = unit_days(emp, start, end)
        try:
            resolved = scheme_resolve_for(employee=emp, on=ref)
            # A dispatched person is scored on every unit's lines, weighted by days worked.
            spread = participant_lines(employee=emp, on=ref, worked=worked, at_ref=resolved)
        except ApplicationError as exc:
            problems[emp.employee_no] = exc.message
            continue
        for _unit, _worked, found in spread.schemes:
            key = (found.scheme_code, found.version)
            if key not in docs:
                docs[key] = SchemeVersion.objects.get(
                    scheme__code=found.scheme_code, number=found.version or 0
                ).document
                for ind in docs[key]["indicators"]:
                    indicators[ind["code"]] = {
                        "name": ind["name"],
                        "name_en": ind["name_en"],
                        "unit": ind["unit"],
                        "value_source": ind["value_source"],
                    }
        if framework is None:
            framework = resolved.framework
        if resolved.framework != framework:
            problems[emp.employee_no] = _(
                "Scheme %(code)s uses another framework than the rest of the cycle."
            ) % {"code": resolved.scheme_code}
            continue
        if refusal := spread.framework_refusal(framework):
            problems[emp.employee_no] = refusal
            continue
        notes, status = [], ParticipantStatus.ACTIVE
        factor = Decimal(_days(start, end)) / Decimal(period_days)
        if emp.leave_date is not None and emp.leave_date < cycle.period_end:
            if cycle.leaver_policy == LeaverPolicy.EXCLUDE:
                status = ParticipantStatus.EXCLUDED
                notes.append(
                    _("Left on %(date)s; excluded by the cycle's policy.")
                    % {"date": emp.leave_date.isoformat()}
                )
            else:
                notes.append(
                    _("Left on %(date)s; targets prorated to %(days)s of %(all)s days.")
                    % {
                        "date": emp.leave_date.isoformat(),
                        "days": _days(start, end),
                        "all": period_days,
                    }
                )
        if len(worked) > 1:
            notes.append(
                _("Worked in several units: %(units)s; unit indicators weighted by days worked.")
                % {"units": ", ".join(f"{k} {v}d" for k, v in sorted(worked.items()))}
            )
        if spread.combined:
            notes.append(spread.note())
        unit = OrgUnit.objects.get(code=resolved.unit_code)
        rows.append(
            Participant(
                cycle=cycle,
                employee=emp,
                employee_no=emp.employee_no,
                name=emp.name,
                unit=unit,
                home_unit=emp.unit,
                working_unit=emp.working_unit,
                unit_path=unit.path,
                region_code=_region(unit),
                position_code=resolved.position or "",
                manager=_manager(unit),
                scheme_code=spread.scheme.scheme_code,
                scheme_version=spread.scheme.version,
                line_set=_line_set(line_sets, spread.lines),
                status=status,
                days_factor=factor.quantize(Decimal("0.000001")),
                unit_days=worked,
                note=" ".join(str(n) for n in notes),
            )
        )
    if problems:
        first = next(iter(problems.items()))
        raise CycleInvalid(
            _("%(no)s: %(reason)s (%(count)s problem(s))")
            % {"no": first[0], "reason": first[1], "count": len(problems)},
            code="participants_invalid",
            fields=problems,
        )
    Participant.objects.bulk_create(rows, batch_size=1000)
    cycle.framework = framework or {}
    cycle.indicators = indicators
    cycle.line_sets = line_sets
    cycle.open()
    cycle.opened_at = timezone.now()
    cycle.save()
    audit_record(actor=actor, action="cycle.open", target=cycle, note=f"{len(rows)} participants")
    return cycle


def missing_manual(cycle: Cycle) -> list[tuple[str, str]]:
    """(employee_no, indicator) of manual indicators nobody has entered yet."""
    manual = {c for c, i in cycle.indicators.items() if i["value_source"]["kind"] == "manual"}
    if not manual:
        return []
    have = set(
        ManualValue.objects.filter(participant__cycle=cycle).values_list(
            "participant_id", "indicator"
        )
    )
    out = []
    for p in cycle.participants.filter(status=ParticipantStatus.ACTIVE):
        lines = cycle.line_sets.get(p.line_set, [])
        out += [
            (p.employee_no, line["indicator"])
            for line in lines
            if line["indicator"] in manual and (p.pk, line["indicator"]) not in have
        ]
    return out


STEPS = {
    "self_review": ("start_self_review", (CycleState.OPEN,)),
    "manager_scoring": ("start_manager_scoring", (CycleState.OPEN, CycleState.SELF_REVIEW)),
    "calibration": ("start_calibration", (CycleState.MANAGER_SCORING,)),
    "archived": ("archive", (CycleState.PUBLISHED,)),
}


@transaction.atomic
def cycle_advance(*, actor: Any, cycle: Cycle, to: str) -> Cycle:
    """Move to ``to`` (self_review / manager_scoring / calibration / archived).

    Calibration needs a scored cycle; publishing is :func:`cycle_publish` (ledger).
    """
    if to not in STEPS:
        raise CycleInvalid(_("Unknown step %(to)s.") % {"to": to}, code="unknown_step")
    cycle = _lock(cycle)
    method, sources = STEPS[to]
    _expect(cycle, *sources)
    if to == "calibration" and not cycle.results.exists():
        raise CycleConflict(_("Score the cycle before calibrating it."), code="not_scored")
    getattr(cycle, method)()
    cycle.save()
    audit_record(actor=actor, action=f"cycle.{to}", target=cycle)
    return cycle


REMINDER = gettext_lazy("Appraisal %(cycle)s: %(what)s due on %(date)s")


def cycle_remind(*, cycle: Cycle, today: dt.date | None = None) -> int:
    """In-app reminders for open 360 invitations and missing manager scores (once a day)."""
    from heng.accounts.models import User
    from heng.performance.models import InvitationStatus, ReviewInvitation

    today = today or timezone.localdate()
    sent = 0
    if cycle.state in (CycleState.OPEN, CycleState.SELF_REVIEW) and cycle.review_deadline:
        pending = ReviewInvitation.objects.filter(
            participant__cycle=cycle, status=InvitationStatus.PENDING
        ).values_list("reviewer_id", flat=True)
        users = User.objects.filter(employee_id__in=set(pending))
        sent += notify(
            recipients=users,
            title=REMINDER,
            url="/performance/reviews/",  # "My reviews": the reviewer's to-do list
            params={"cycle": cycle.name, "what": "360", "date": cycle.review_deadline.isoformat()},
            key=f"cycle:{cycle.pk}:360:{today.isoformat()}",
            kind="cycle_reminder",
        )
    if cycle.state == CycleState.MANAGER_SCORING and cycle.scoring_deadline:
        nos = {no for no, _i in missing_manual(cycle)}
        managers = cycle.participants.filter(employee_no__in=nos).values_list(
            "manager_id", flat=True
        )
        users = User.objects.filter(employee_id__in=set(managers))
        sent += notify(
            recipients=users,
            title=REMINDER,
            url=f"/performance/cycles/{cycle.pk}/",
            params={
                "cycle": cycle.name,
                "what": _("manager scores"),
                "date": cycle.scoring_deadline.isoformat(),
            },
            key=f"cycle:{cycle.pk}:manual:{today.isoformat()}",
            kind="cycle_reminder",
        )
    return sent
