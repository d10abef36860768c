"""Writes on the e-file: hiring (one or many), edits, and audited reveals of sensitive values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from heng.core.audit import audit_bulk, audit_record, snapshot
from heng.core.crypto import blind_index
from heng.core.errors import PermissionDenied, ValidationFailed
from heng.org.models import OrgUnit, Position
from heng.people.errors import AssignmentInvalid, EmployeeInvalid
from heng.people.models import Assignment, AssignmentReason, Employee, EmploymentStatus, Gender
from heng.people.permissions import can_reveal
from heng.people.validators import id_card_checksum_ok, phone_ok

SENSITIVE_FIELDS = ("id_card_number", "phone", "bank_account")
_EDITABLE = {"name", "gender", "birth_date", "email", "leave_date", *SENSITIVE_FIELDS}


def _today() -> dt.date:
    return timezone.localdate()


def _others(exclude_pk: int | None) -> QuerySet[Employee]:
    people = Employee.objects.all()
    return people.exclude(pk=exclude_pk) if exclude_pk is not None else people


def _validate_person(values: dict[str, Any], *, exclude_pk: int | None = None) -> None:
    errors: dict[str, str] = {}
    if "employee_no" in values:
        number = (values["employee_no"] or "").strip()
        if not number:
            errors["employee_no"] = _("Employee number is required.")
        elif _others(exclude_pk).filter(employee_no=number).exists():
            errors["employee_no"] = _("Employee number %(no)s already exists.") % {"no": number}
    if "name" in values and not (values["name"] or "").strip():
        errors["name"] = _("Name is required.")
    if values.get("gender") and values["gender"] not in Gender.values:
        errors["gender"] = _("Gender must be M or F.")
    id_number = values.get("id_card_number")
    if id_number:
        if not id_card_checksum_ok(id_number):
            # The number itself is not echoed back: error messages end up in logs and screens.
            errors["id_card_number"] = _(
                "The ID-card number is malformed or its check digit is wrong."
            )
        elif _others(exclude_pk).filter(id_card_hash=blind_index(id_number)).exists():
            errors["id_card_number"] = _("Another employee already has this ID-card number.")
    if values.get("phone") and not phone_ok(values["phone"]):
        errors["phone"] = _("Phone number is malformed.")
    birth, hire = values.get("birth_date"), values.get("hire_date")
    if birth and hire and birth >= hire:
        errors["birth_date"] = _("Birth date must be before the hire date.")
    leave = values.get("leave_date")
    if leave and hire and leave < hire:
        errors["leave_date"] = _("Leave date %(end)s is before hire date %(start)s.") % {
            "end": leave,
            "start": hire,
        }
    if errors:
        raise EmployeeInvalid(_("The employee could not be saved."), fields=errors)


def validate_placement(
    *, home_unit: OrgUnit, working_unit: OrgUnit | None, start: dt.date, end: dt.date | None
) -> None:
    errors: dict[str, str] = {}
    if working_unit is not None and working_unit.pk == home_unit.pk:
        errors["working_unit"] = _("The working unit must differ from the home unit.")
    if end is not None and end < start:
        errors["end_date"] = _("End date %(end)s is before start date %(start)s.") % {
            "end": end,
            "start": start,
        }
    if errors:
        raise AssignmentInvalid(_("The assignment could not be saved."), fields=errors)


_TEXT = {"name", "gender", "email", *SENSITIVE_FIELDS}


def _clean(details: dict[str, Any]) -> dict[str, Any]:
    """Trim text; ``None`` for a text field means "empty" (the columns are not nullable)."""
    cleaned: dict[str, Any] = {}
    for key, value in details.items():
        if value is None and key in _TEXT:
            value = ""
        cleaned[key] = value.strip() if isinstance(value, str) else value
    return cleaned


@transaction.atomic
def employee_create(
    *,
    employee_no: str,
    name: str,
    unit: OrgUnit,
    hire_date: dt.date,
    position: Position | None = None,
    working_unit: OrgUnit | None = None,
    actor: Any = None,
    **details: Any,
) -> Employee:
    """Hire someone: the e-file plus the first assignment, both or neither."""
    unknown = set(details) - _EDITABLE
    if unknown:
        raise EmployeeInvalid(fields={f: _("Unknown field.") for f in unknown})
    details = _clean(details)
    values = {"employee_no": employee_no, "name": name, "hire_date": hire_date, **details}
    _validate_person(values)
    validate_placement(home_unit=unit, working_unit=working_unit, start=hire_date, end=None)
    if details.get("leave_date"):
        details["status"] = EmploymentStatus.LEFT
    employee = Employee.objects.create(
        employee_no=employee_no.strip(),
        name=name.strip(),
        unit=unit,
        position=position,
        working_unit=working_unit,
        hire_date=hire_date,
        **details,
    )
    Assignment.objects.create(
        employee=employee,
        home_unit=unit,
        working_unit=working_unit,
        position=position,
        start_date=hire_date,
        reason=AssignmentReason.HIRE,
    )
    audit_record(
        actor=actor,
        action="employee.create",
        target=employee,
        employee_id=employee.pk,
        after=snapshot(employee),
    )
    return employee


@transaction.atomic
def employee_update(*, employee: Employee, actor: Any = None, **changes: Any) -> Employee:
    """Edit e-file fields. Placement changes go through ``assignment_change``."""
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise EmployeeInvalid(fields={f: _("This field cannot be changed here.") for f in unknown})
    changes = _clean(changes)
    employee = Employee.objects.select_for_update().get(pk=employee.pk)
    _validate_person({**changes, "hire_date": employee.hire_date}, exclude_pk=employee.pk)
    before = snapshot(employee)
    for field, value in changes.items():
        setattr(employee, field, value)
    if "leave_date" in changes:
        employee.status = EmploymentStatus.LEFT if changes["leave_date"] else "active"
    employee.save()
    audit_record(
        actor=actor,
        action="employee.update",
        target=employee,
        employee_id=employee.pk,
        before=before,
        after=snapshot(employee),
    )
    return employee


@transaction.atomic
def employee_reveal(*, actor: Any, employee: Employee, field: str) -> str:
    """The full value of one sensitive field, for a permitted viewer; the reveal is audited."""
    if field not in SENSITIVE_FIELDS:
        raise ValidationFailed(
            fields={"field": _("Unknown sensitive field: %(f)s.") % {"f": field}}
        )
    if not can_reveal(actor, employee):
        raise PermissionDenied()
    audit_record(
        actor=actor,
        action="employee.reveal",
        target=employee,
        employee_id=employee.pk,
        note=field,
    )
    return str(getattr(employee, field) or "")


@dataclass(frozen=True)
class HireRow:
    employee_no: str
    name: str
    unit: OrgUnit
    hire_date: dt.date
    position: Position | None = None
    gender: str = ""
    birth_date: dt.date | None = None
    id_card_number: str = ""
    phone: str = ""
    bank_account: str = ""
    email: str = ""
    leave_date: dt.date | None = None


@transaction.atomic
def employees_bulk_hire(
    *, rows: list[HireRow], batch_size: int = 2000, actor: Any = None, note: str = ""
) -> int:
    """Hire many people at once (demo, imports): all rows or none, in bulk inserts.

    Errors name the row (1-based) and the field; a duplicate number or ID-card number inside
    the batch or already on file refuses the whole batch. Every hire is audited.
    """
    errors: dict[str, str] = {}
    seen: set[str] = set()
    hashes: dict[str, int] = {}
    for i, row in enumerate(rows, start=1):
        if row.employee_no in seen:
            errors[f"rows[{i}].employee_no"] = _(
                "Duplicate employee number %(no)s in the batch."
            ) % {"no": row.employee_no}
        seen.add(row.employee_no)
        if row.id_card_number:
            if not id_card_checksum_ok(row.id_card_number):
                errors[f"rows[{i}].id_card_number"] = _("ID-card check digit is wrong.")
            else:
                digest = blind_index(row.id_card_number)
                if digest in hashes:
                    errors[f"rows[{i}].id_card_number"] = _(
                        "Same ID-card number as row %(row)d."
                    ) % {"row": hashes[digest]}
                hashes.setdefault(digest, i)
        if not row.name.strip():
            errors[f"rows[{i}].name"] = _("Name is required.")
    existing = set(employee_ids_by_number(seen))
    taken = set(_existing_hashes(set(hashes)))
    for i, row in enumerate(rows, start=1):
        if row.employee_no in existing:
            errors[f"rows[{i}].employee_no"] = _("Employee number %(no)s already exists.") % {
                "no": row.employee_no
            }
        if row.id_card_number and blind_index(row.id_card_number) in taken:
            errors[f"rows[{i}].id_card_number"] = _(
                "Another employee already has this ID-card number."
            )
    if errors:
        raise EmployeeInvalid(
            _("%(n)d rows are invalid; nothing was saved.") % {"n": len(errors)}, fields=errors
        )
    employees = [
        Employee(
            employee_no=r.employee_no,
            name=r.name,
            unit=r.unit,
            position=r.position,
            hire_date=r.hire_date,
            gender=r.gender,
            birth_date=r.birth_date,
            id_card_number=r.id_card_number,
            phone=r.phone,
            bank_account=r.bank_account,
            email=r.email,
            leave_date=r.leave_date,
            status=EmploymentStatus.LEFT if r.leave_date else EmploymentStatus.ACTIVE,
        )
        for r in rows
    ]
    bulk_create_with_history(employees, Employee, batch_size=batch_size)
    ids = employee_ids_by_number(seen)
    Assignment.objects.bulk_create(
        [
            Assignment(
                employee_id=ids[r.employee_no],
                home_unit=r.unit,
                position=r.position,
                start_date=r.hire_date,
                end_date=r.leave_date,
                reason=AssignmentReason.HIRE,
            )
            for r in rows
        ],
        batch_size=batch_size,
    )
    events = []
    for employee in employees:
        employee.pk = ids[employee.employee_no]
        events.append(
            audit_record(
                actor=actor,
                action="employee.create",
                target=employee,
                employee_id=employee.pk,
                after=snapshot(employee),
                note=note,
                save=False,
            )
        )
    audit_bulk(events, batch_size=batch_size)
    return len(rows)


def employee_ids_by_number(numbers: set[str], chunk: int = 5000) -> dict[str, int]:
    """{employee_no: pk} for the numbers on file, in chunks (SQLite caps bound variables)."""
    ordered = sorted(numbers)
    found: dict[str, int] = {}
    for start in range(0, len(ordered), chunk):
        found.update(
            Employee.objects.filter(employee_no__in=ordered[start : start + chunk]).values_list(
                "employee_no", "pk"
            )
        )
    return found


def _existing_hashes(hashes: set[str], chunk: int = 5000) -> list[str]:
    ordered = sorted(hashes)
    found: list[str] = []
    for start in range(0, len(ordered), chunk):
        found += Employee.objects.filter(
            id_card_hash__in=ordered[start : start + chunk]
        ).values_list("id_card_hash", flat=True)
    return found
