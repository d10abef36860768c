"""Importing employees (e-files): validate every row, then hire in bulk or update, or nothing.

Idempotent: a row whose person is already on file with the same values changes nothing; a
changed value (name, phone, …) updates the e-file; a different unit is refused (moves are
assignments, with dates). Sensitive values never appear in the report: ID numbers are masked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from heng.core.crypto import blind_index
from heng.core.masking import mask_id_card
from heng.people.imports.context import ImportContext
from heng.people.imports.reading import date, text
from heng.people.imports.report import ImportReport
from heng.people.models import Employee
from heng.people.services import HireRow, employee_update, employees_bulk_hire
from heng.people.validators import id_card_checksum_ok, phone_ok

_GENDER = {"m": "M", "male": "M", "男": "M", "f": "F", "female": "F", "女": "F", "": ""}
_COMPARED = (
    "name",
    "gender",
    "birth_date",
    "id_card_number",
    "phone",
    "bank_account",
    "email",
    "leave_date",
)


@dataclass
class EmployeePlan:
    new: list[HireRow] = field(default_factory=list)
    updates: list[tuple[Employee, dict[str, Any]]] = field(default_factory=list)

    def apply(self, ctx: ImportContext) -> None:
        for start in range(0, len(self.new), 5000):
            employees_bulk_hire(rows=self.new[start : start + 5000], actor=ctx.actor, note="import")
            ctx.tick(len(self.new[start : start + 5000]))
        for employee, changes in self.updates:
            employee_update(employee=employee, actor=ctx.actor, **changes)
            ctx.tick()


def _existing(numbers: set[str]) -> dict[str, Employee]:
    ordered = sorted(numbers)
    found: dict[str, Employee] = {}
    for start in range(0, len(ordered), 2000):
        for employee in Employee.objects.filter(
            employee_no__in=ordered[start : start + 2000]
        ).select_related("unit"):
            found[employee.employee_no] = employee
    return found


def _hash_owners(hashes: set[str]) -> dict[str, str]:
    ordered = sorted(hashes)
    owners: dict[str, str] = {}
    for start in range(0, len(ordered), 2000):
        owners.update(
            Employee.objects.filter(id_card_hash__in=ordered[start : start + 2000]).values_list(
                "id_card_hash", "employee_no"
            )
        )
    return owners


def plan_employees(
    rows: list[dict[str, Any]], report: ImportReport, ctx: ImportContext
) -> EmployeePlan:
    plan = EmployeePlan()
    numbers = {text(r.get("employee_no")) for r in rows} - {""}
    on_file = _existing(numbers)
    ids = {r["_line"]: text(r.get("id_card_number")).upper() for r in rows}
    hashes = {line: blind_index(v) for line, v in ids.items() if v and id_card_checksum_ok(v)}
    owners = _hash_owners(set(hashes.values()))
    first_line: dict[str, int] = {}
    first_id_line: dict[str, int] = {}
    for row in rows:
        line = row["_line"]
        before = len(report.errors)
        values = _parse(row, line, report, ctx)
        number = values.get("employee_no", "")
        if number:
            if number in first_line:
                report.add(
                    line,
                    "employee_no",
                    number,
                    _("Duplicate employee number (also on line %(l)d).")
                    % {"l": first_line[number]},
                )
            first_line.setdefault(number, line)
        digest = hashes.get(line)
        if digest:
            if digest in first_id_line:
                report.add(
                    line,
                    "id_card_number",
                    mask_id_card(ids[line]),
                    _("Same ID-card number as line %(l)d.") % {"l": first_id_line[digest]},
                )
            first_id_line.setdefault(digest, line)
            owner = owners.get(digest)
            if owner is not None and owner != number:
                report.add(
                    line,
                    "id_card_number",
                    mask_id_card(ids[line]),
                    _("This ID-card number belongs to employee %(no)s.") % {"no": owner},
                )
        ctx.tick()
        if len(report.errors) > before:
            continue
        existing = on_file.get(number)
        if existing is None:
            plan.new.append(HireRow(**{k: v for k, v in values.items() if k != "unit_code"}))
            report.to_create += 1
            continue
        if existing.unit_id != values["unit"].pk:
            report.add(
                line,
                "unit_code",
                values["unit"].code,
                _("%(no)s is on file in %(unit)s; moves go through the assignments import.")
                % {"no": number, "unit": existing.unit.code},
            )
            continue
        changes = {k: values[k] for k in _COMPARED if getattr(existing, k) != values[k]}
        if changes:
            plan.updates.append((existing, changes))
            report.to_update += 1
        else:
            report.unchanged += 1
    return plan


def _parse(
    row: dict[str, Any], line: int, report: ImportReport, ctx: ImportContext
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    number = text(row.get("employee_no"))
    if not number:
        report.add(line, "employee_no", "", _("Employee number is required."))
    values["employee_no"] = number
    values["name"] = text(row.get("name"))
    if not values["name"]:
        report.add(line, "name", "", _("Name is required."))
    code = text(row.get("unit_code"))
    unit = ctx.units.get(code)
    if unit is None:
        report.add(line, "unit_code", code, _("Unknown unit."))
    elif not ctx.in_scope(unit):
        report.add(line, "unit_code", code, _("This unit is outside your scope."))
    values["unit"] = unit
    position_code = text(row.get("position_code"))
    values["position"] = ctx.positions.get(position_code) if position_code else None
    if position_code and values["position"] is None:
        report.add(line, "position_code", position_code, _("Unknown position."))
    gender = _GENDER.get(text(row.get("gender")).lower())
    if gender is None:
        report.add(line, "gender", row.get("gender"), _("Gender must be M/F or 男/女."))
    values["gender"] = gender or ""
    for key in ("hire_date", "birth_date", "leave_date"):
        try:
            values[key] = date(row.get(key))
        except ValueError:
            report.add(line, key, row.get(key), _("Not a date (use 2024-03-01)."))
            values[key] = None
    if values["hire_date"] is None and not any(
        e.line == line and e.column == "hire_date" for e in report.errors
    ):
        report.add(line, "hire_date", "", _("Hire date is required."))
    _check_dates(values, line, report)
    id_number = text(row.get("id_card_number")).upper()
    if id_number and not id_card_checksum_ok(id_number):
        report.add(
            line,
            "id_card_number",
            mask_id_card(id_number),
            _("Malformed ID-card number or wrong check digit."),
        )
    values["id_card_number"] = id_number
    values["phone"] = text(row.get("phone"))
    if values["phone"] and not phone_ok(values["phone"]):
        report.add(line, "phone", "", _("Phone number is malformed."))
    values["bank_account"] = text(row.get("bank_account")).replace(" ", "")
    values["email"] = text(row.get("email"))
    return values


def _check_dates(values: dict[str, Any], line: int, report: ImportReport) -> None:
    hire: dt.date | None = values["hire_date"]
    birth: dt.date | None = values["birth_date"]
    leave: dt.date | None = values["leave_date"]
    if hire and birth and birth >= hire:
        report.add(line, "birth_date", birth, _("Birth date must be before the hire date."))
    if hire and leave and leave < hire:
        report.add(
            line,
            "leave_date",
            leave,
            _("End before start: leave date %(end)s is before hire date %(start)s.")
            % {"end": leave, "start": hire},
        )
