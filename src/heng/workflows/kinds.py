"""What each kind of request carries and what happens when it is finally approved.

A transfer (调岗, A6) moves the employee to another home unit and/or position on the effective
date; a dispatch (驻店, A5) gives him a working unit (e.g. a partner store) from a start to an
end date. Both end in ``people.services.assignment_change``: a future date is stored and
applied by the nightly job, history is kept and the person's records follow him.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from heng.org.models import OrgUnit, Position, UnitKind
from heng.people.models import AssignmentReason, Employee, EmploymentStatus
from heng.people.services import assignment_change
from heng.workflows.errors import RequestInvalid
from heng.workflows.models import ApprovalRequest, RequestKind


def _date(value: Any, field: str, errors: dict[str, str]) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors[field] = _("A date like 2026-07-01 is required.")
        return None


def _unit(value: Any, field: str, errors: dict[str, str]) -> OrgUnit | None:
    unit = OrgUnit.objects.filter(pk=value).first() if str(value).isdigit() else None
    if unit is None:
        errors[field] = _("Unknown unit.")
    return unit


def _after_latest(employee: Employee, start: dt.date, field: str, errors: dict[str, str]) -> None:
    latest = employee.assignments.order_by("-start_date").first()
    if latest is not None and start <= latest.start_date:
        errors[field] = _("Must be after %(d)s, the start of the current placement.") % {
            "d": latest.start_date
        }


def validate_transfer(employee: Employee, payload: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    unit = _unit(payload.get("to_unit_id"), "to_unit_id", errors)
    position = None
    if payload.get("to_position_id"):
        position = Position.objects.filter(pk=payload["to_position_id"]).first()
        if position is None:
            errors["to_position_id"] = _("Unknown position.")
    effective = _date(payload.get("effective_date"), "effective_date", errors)
    if unit is not None and unit.kind == UnitKind.PARTNER_STORE:
        errors["to_unit_id"] = _("Staff go to partner stores by dispatch, not by transfer.")
    if (
        unit is not None
        and unit.pk == employee.unit_id
        and (position is None or position.pk == employee.position_id)
    ):
        errors["to_unit_id"] = _("This is already the employee's unit and position.")
    if effective is not None:
        if effective < timezone.localdate():
            errors["effective_date"] = _("The effective date must not be in the past.")
        else:
            _after_latest(employee, effective, "effective_date", errors)
    if errors:
        raise RequestInvalid(_("The transfer request is incomplete."), fields=errors)
    assert unit is not None
    assert effective is not None
    return {
        "to_unit_id": unit.pk,
        "to_unit_name": unit.name,
        "to_position_id": position.pk if position else None,
        "to_position_name": position.name if position else "",
        "from_unit_id": employee.unit_id,
        "from_unit_name": employee.unit.name,
        "from_position_name": employee.position.name if employee.position else "",
        "effective_date": effective.isoformat(),
    }


def validate_dispatch(employee: Employee, payload: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    unit = _unit(payload.get("working_unit_id"), "working_unit_id", errors)
    start = _date(payload.get("start_date"), "start_date", errors)
    end = _date(payload.get("end_date"), "end_date", errors)
    if unit is not None and unit.pk == employee.unit_id:
        errors["working_unit_id"] = _("The working unit must differ from the home unit.")
    if start is not None:
        if start < timezone.localdate():
            errors["start_date"] = _("The start date must not be in the past.")
        else:
            _after_latest(employee, start, "start_date", errors)
    if start is not None and end is not None and end < start:
        errors["end_date"] = _("End date %(end)s is before start date %(start)s.") % {
            "end": end,
            "start": start,
        }
    if errors:
        raise RequestInvalid(_("The dispatch request is incomplete."), fields=errors)
    assert unit is not None
    assert start is not None
    assert end is not None
    return {
        "working_unit_id": unit.pk,
        "working_unit_name": unit.name,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
    }


def apply_transfer(request: ApprovalRequest, actor: Any) -> str:
    p = request.payload
    assignment = assignment_change(
        employee=request.employee,
        start_date=dt.date.fromisoformat(p["effective_date"]),
        reason=AssignmentReason.TRANSFER,
        home_unit=OrgUnit.objects.get(pk=p["to_unit_id"]),
        position=Position.objects.get(pk=p["to_position_id"]) if p.get("to_position_id") else None,
        note=_("Transfer request #%(n)d") % {"n": request.pk},
        actor=actor,
    )
    return _("Assignment from %(d)s recorded.") % {"d": assignment.start_date}


def apply_dispatch(request: ApprovalRequest, actor: Any) -> str:
    p = request.payload
    assignment = assignment_change(
        employee=request.employee,
        start_date=dt.date.fromisoformat(p["start_date"]),
        reason=AssignmentReason.DISPATCH,
        working_unit=OrgUnit.objects.get(pk=p["working_unit_id"]),
        end_date=dt.date.fromisoformat(p["end_date"]),
        note=_("Dispatch request #%(n)d") % {"n": request.pk},
        actor=actor,
    )
    return _("Dispatch from %(s)s to %(e)s recorded.") % {
        "s": assignment.start_date,
        "e": assignment.end_date,
    }


@dataclass(frozen=True)
class Kind:
    validate: Callable[[Employee, dict[str, Any]], dict[str, Any]]
    apply: Callable[[ApprovalRequest, Any], str]


KINDS: dict[str, Kind] = {
    RequestKind.TRANSFER: Kind(validate_transfer, apply_transfer),
    RequestKind.DISPATCH: Kind(validate_dispatch, apply_dispatch),
}


def check_active(employee: Employee) -> None:
    if employee.status != EmploymentStatus.ACTIVE:
        raise RequestInvalid(fields={"employee_id": _("The employee has left.")})
