"""Importing placement history (assignments) and contracts for people already on file."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from heng.people.errors import ContractInvalid
from heng.people.imports.context import ImportContext
from heng.people.imports.reading import date, text
from heng.people.imports.report import ImportReport
from heng.people.models import Assignment, AssignmentReason, Contract, ContractType, Employee
from heng.people.services import assignment_change, contract_create, contract_update
from heng.people.services.contracts import normalize_salary_items


def _employees(rows: list[dict[str, Any]]) -> dict[str, Employee]:
    numbers = sorted({text(r.get("employee_no")) for r in rows} - {""})
    found: dict[str, Employee] = {}
    for start in range(0, len(numbers), 2000):
        for e in Employee.objects.filter(
            employee_no__in=numbers[start : start + 2000]
        ).select_related("unit"):
            found[e.employee_no] = e
    return found


def _employee(
    row: dict[str, Any], people: dict[str, Employee], report: ImportReport, ctx: ImportContext
) -> Employee | None:
    number = text(row.get("employee_no"))
    employee = people.get(number)
    if employee is None:
        report.add(row["_line"], "employee_no", number, _("No employee with this number."))
    elif not ctx.in_scope(employee.unit):
        report.add(row["_line"], "employee_no", number, _("This employee is outside your scope."))
        return None
    return employee


def _dates(row: dict[str, Any], report: ImportReport) -> tuple[dt.date | None, dt.date | None]:
    line = row["_line"]
    out: list[dt.date | None] = []
    for key in ("start_date", "end_date"):
        try:
            out.append(date(row.get(key)))
        except ValueError:
            report.add(line, key, row.get(key), _("Not a date (use 2024-03-01)."))
            out.append(None)
    start, end = out
    if start is None and not any(
        e.line == line and e.column == "start_date" for e in report.errors
    ):
        report.add(line, "start_date", "", _("Start date is required."))
    if start and end and end < start:
        report.add(
            line,
            "end_date",
            end,
            _("End before start: %(end)s is before %(start)s.") % {"end": end, "start": start},
        )
    return start, end


# --- assignments ---------------------------------------------------------------------------
@dataclass
class AssignmentPlan:
    new: list[dict[str, Any]] = field(default_factory=list)

    def apply(self, ctx: ImportContext) -> None:
        for values in self.new:
            assignment_change(actor=ctx.actor, **values)
            ctx.tick()


def plan_assignments(
    rows: list[dict[str, Any]], report: ImportReport, ctx: ImportContext
) -> AssignmentPlan:
    plan = AssignmentPlan()
    people = _employees(rows)
    on_file: dict[int, dict[dt.date, Assignment]] = {}
    for a in Assignment.objects.filter(employee__in=list(people.values())):
        on_file.setdefault(a.employee_id, {})[a.start_date] = a
    latest = {pk: max(starts) for pk, starts in on_file.items()}
    parsed = []
    for row in rows:
        line = row["_line"]
        before = len(report.errors)
        employee = _employee(row, people, report, ctx)
        start, end = _dates(row, report)
        reason = text(row.get("reason")).lower()
        if reason not in AssignmentReason.values:
            report.add(
                line,
                "reason",
                reason,
                _("Reason must be one of: %(r)s.") % {"r": ", ".join(AssignmentReason.values)},
            )
        refs: dict[str, Any] = {}
        for key, pool in (
            ("home_unit_code", ctx.units),
            ("working_unit_code", ctx.units),
            ("position_code", ctx.positions),
        ):
            code = text(row.get(key))
            refs[key] = pool.get(code) if code else None
            if code and refs[key] is None:
                report.add(line, key, code, _("Unknown code."))
        ctx.tick()
        if len(report.errors) == before and employee is not None and start is not None:
            parsed.append((employee, start, end, reason, refs, text(row.get("note")), line))
    # Per person in date order: each new placement must start after the one before it.
    parsed.sort(key=lambda p: (p[0].pk, p[1]))
    for employee, start, end, reason, refs, note, line in parsed:
        existing = on_file.get(employee.pk, {}).get(start)
        if existing is not None:
            same = (
                existing.reason == reason
                and existing.end_date == end
                and (
                    refs["home_unit_code"] is None
                    or existing.home_unit_id == refs["home_unit_code"].pk
                )
                and existing.working_unit_id
                == (refs["working_unit_code"].pk if refs["working_unit_code"] else None)
            )
            if same:
                report.unchanged += 1
            else:
                report.add(
                    line,
                    "start_date",
                    start,
                    _("A different placement from this date is already on file."),
                )
            continue
        if employee.pk in latest and start <= latest[employee.pk]:
            report.add(
                line,
                "start_date",
                start,
                _("Must be after %(d)s, the latest placement on file.")
                % {"d": latest[employee.pk]},
            )
            continue
        latest[employee.pk] = start
        plan.new.append(
            {
                "employee": employee,
                "start_date": start,
                "end_date": end,
                "reason": reason,
                "home_unit": refs["home_unit_code"],
                "working_unit": refs["working_unit_code"],
                "position": refs["position_code"],
                "note": note,
            }
        )
        report.to_create += 1
    return plan


# --- contracts -----------------------------------------------------------------------------
def parse_salary(raw: str) -> list[dict[str, Any]]:
    """``base=6000;allowance=800`` or a JSON list of {"item", "amount"}."""
    raw = raw.strip()
    if not raw:
        return []
    if raw.startswith("["):
        return normalize_salary_items(json.loads(raw))
    items = []
    for part in raw.replace("；", ";").split(";"):
        if part.strip():
            name, _sep, amount = part.replace("＝", "=").partition("=")
            items.append({"item": name.strip(), "amount": amount.strip()})
    return normalize_salary_items(items)


@dataclass
class ContractPlan:
    new: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[Contract, dict[str, Any]]] = field(default_factory=list)

    def apply(self, ctx: ImportContext) -> None:
        for values in self.new:
            contract_create(actor=ctx.actor, **values)
            ctx.tick()
        for contract, changes in self.updates:
            contract_update(contract=contract, actor=ctx.actor, **changes)
            ctx.tick()


def plan_contracts(
    rows: list[dict[str, Any]], report: ImportReport, ctx: ImportContext
) -> ContractPlan:
    plan = ContractPlan()
    people = _employees(rows)
    on_file: dict[tuple[int, dt.date], Contract] = {
        (c.employee_id, c.start_date): c
        for c in Contract.objects.filter(employee__in=list(people.values()))
    }
    seen: dict[tuple[int, dt.date], int] = {}
    for row in rows:
        line = row["_line"]
        before = len(report.errors)
        employee = _employee(row, people, report, ctx)
        start, end = _dates(row, report)
        kind = text(row.get("contract_type")).lower()
        if kind not in ContractType.values:
            report.add(
                line,
                "contract_type",
                kind,
                _("Type must be one of: %(t)s.") % {"t": ", ".join(ContractType.values)},
            )
        elif kind != ContractType.OPEN and end is None and start is not None:
            report.add(line, "end_date", "", _("A fixed-term contract needs an end date."))
        code = text(row.get("position_code"))
        position = ctx.positions.get(code) if code else None
        if code and position is None:
            report.add(line, "position_code", code, _("Unknown position."))
        try:
            salary = parse_salary(text(row.get("salary_items")))
        except (ContractInvalid, ValueError):
            report.add(line, "salary_items", "", _("Write items as base=6000;allowance=800."))
            salary = []
        ctx.tick()
        if len(report.errors) > before or employee is None or start is None:
            continue
        key = (employee.pk, start)
        if key in seen:
            report.add(
                line,
                "start_date",
                start,
                _("Same person and start date as line %(l)d.") % {"l": seen[key]},
            )
            continue
        seen[key] = line
        values = {
            "contract_type": kind,
            "end_date": end,
            "position": position or None,
            "duties": text(row.get("duties")),
            "salary_items": salary,
        }
        existing = on_file.get(key)
        clash = _overlap(employee, start, end, on_file, plan, exclude=key)
        if clash is not None:
            report.add(
                line,
                "start_date",
                start,
                _("The term overlaps the contract from %(d)s.") % {"d": clash},
            )
            continue
        if existing is None:
            plan.new.append({"employee": employee, "start_date": start, **values})
            report.to_create += 1
            continue
        changes = {
            k: v for k, v in values.items() if v not in (None, "") and getattr(existing, k) != v
        }
        if changes:
            plan.updates.append((existing, changes))
            report.to_update += 1
        else:
            report.unchanged += 1
    return plan


def _overlap(
    employee: Employee,
    start: dt.date,
    end: dt.date | None,
    on_file: dict[tuple[int, dt.date], Contract],
    plan: ContractPlan,
    exclude: tuple[int, dt.date],
) -> dt.date | None:
    """The start date of another contract (on file or earlier in the file) whose term meets
    this one, if any."""
    terms = [
        (c.start_date, c.end_date)
        for k, c in on_file.items()
        if k[0] == employee.pk and k != exclude
    ]
    terms += [(v["start_date"], v["end_date"]) for v in plan.new if v["employee"].pk == employee.pk]
    last = end or dt.date.max
    for other_start, other_end in terms:
        if other_start <= last and start <= (other_end or dt.date.max):
            return other_start
    return None
