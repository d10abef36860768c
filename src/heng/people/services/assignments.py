"""Effective-dated placement changes (transfers, dispatches, returns); history is kept."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from heng.core.audit import audit_record, snapshot
from heng.org.models import OrgUnit, Position
from heng.people.errors import AssignmentInvalid
from heng.people.models import Assignment, AssignmentReason, Employee
from heng.people.services.employees import validate_placement


def _today() -> dt.date:
    return timezone.localdate()


@transaction.atomic
def assignment_change(
    *,
    employee: Employee,
    start_date: dt.date,
    reason: str,
    home_unit: OrgUnit | None = None,
    working_unit: OrgUnit | None = None,
    position: Position | None = None,
    end_date: dt.date | None = None,
    note: str = "",
    actor: Any = None,
) -> Assignment:
    """Close the open assignment the day before ``start_date`` and open a new one.

    Unset ``home_unit``/``position`` keep the current ones; ``working_unit`` is explicit (None =
    not dispatched). A future ``start_date`` is stored now and applied on the day by
    :func:`assignments_apply_due`.
    """
    employee = Employee.objects.select_for_update().get(pk=employee.pk)
    if reason not in AssignmentReason.values:
        raise AssignmentInvalid(fields={"reason": _("Unknown reason: %(r)s.") % {"r": reason}})
    latest = employee.assignments.order_by("-start_date").first()
    if latest is not None and start_date <= latest.start_date:
        raise AssignmentInvalid(
            _("The change must start after the latest assignment (%(d)s).")
            % {"d": latest.start_date},
            fields={"start_date": _("Must be after %(d)s.") % {"d": latest.start_date}},
        )
    home = home_unit or (latest.home_unit if latest else employee.unit)
    new_position = position or (latest.position if latest else employee.position)
    validate_placement(home_unit=home, working_unit=working_unit, start=start_date, end=end_date)
    previous = snapshot(latest) if latest is not None else None
    if latest is not None and (latest.end_date is None or latest.end_date >= start_date):
        latest.end_date = start_date - dt.timedelta(days=1)
        latest.save(update_fields=["end_date", "updated_at"])
    assignment = Assignment.objects.create(
        employee=employee,
        home_unit=home,
        working_unit=working_unit,
        position=new_position,
        start_date=start_date,
        end_date=end_date,
        reason=reason,
        note=note,
    )
    audit_record(
        actor=actor,
        action="assignment.create",
        target=assignment,
        target_label=f"{employee} {start_date:%Y-%m-%d} {reason}",
        employee_id=employee.pk,
        before=previous,
        after=snapshot(assignment),
        note=note,
    )
    if start_date <= _today():
        _apply_current(employee, assignment)
    return assignment


def _apply_current(employee: Employee, assignment: Assignment) -> None:
    employee.unit = assignment.home_unit
    employee.working_unit = assignment.working_unit
    employee.position = assignment.position
    employee.save(update_fields=["unit", "working_unit", "position", "updated_at"])


@transaction.atomic
def assignments_apply_due(*, today: dt.date | None = None) -> int:
    """Bring every employee's current placement in line with the assignment valid today.

    Set-based: one query finds the employees whose denormalised fields disagree with their
    assignment of the day; the worker runs this every night. An expired dispatch with no
    follow-up keeps the home unit and clears the working unit. Each change is audited.
    """
    today = today or _today()
    valid = Assignment.objects.filter(start_date__lte=today).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today)
    )
    changed = 0
    for assignment in valid.select_related("employee").filter(
        _differs("home_unit", "unit") | _differs("position") | _differs("working_unit")
    ):
        employee = assignment.employee
        before = snapshot(employee, ["unit", "working_unit", "position"])
        _apply_current(employee, assignment)
        _audit_applied(employee, before, today)
        changed += 1
    ended = Employee.objects.filter(working_unit__isnull=False).exclude(
        assignments__in=valid.filter(working_unit__isnull=False)
    )
    for employee in ended.select_for_update():
        before = snapshot(employee, ["unit", "working_unit", "position"])
        employee.working_unit = None
        employee.save(update_fields=["working_unit", "updated_at"])
        _audit_applied(employee, before, today)
        changed += 1
    return changed


def _audit_applied(employee: Employee, before: dict[str, Any], today: dt.date) -> None:
    audit_record(
        actor=None,
        action="employee.placement_applied",
        target=employee,
        employee_id=employee.pk,
        before=before,
        after=snapshot(employee, ["unit", "working_unit", "position"]),
        note=f"effective {today:%Y-%m-%d}",
    )


def _differs(assignment_field: str, employee_field: str | None = None) -> Q:
    """NULL-safe "assignment.X is distinct from employee.X" for a join condition."""
    mine, theirs = f"{assignment_field}_id", f"employee__{employee_field or assignment_field}"
    return (
        (Q(**{f"{mine}__isnull": True}) & Q(**{f"{theirs}__isnull": False}))
        | (Q(**{f"{mine}__isnull": False}) & Q(**{f"{theirs}__isnull": True}))
        | (
            Q(**{f"{mine}__isnull": False})
            & Q(**{f"{theirs}__isnull": False})
            & ~Q(**{f"{theirs}_id": F(mine)})
        )
    )
