"""Labour contracts (A4): records with history, encrypted salary items, expiry reminders."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heng.accounts.models import Role
from heng.accounts.selectors import users_with_role_covering
from heng.core.audit import audit_record, snapshot
from heng.core.errors import PermissionDenied
from heng.core.notifications import notify
from heng.org.models import Position
from heng.people.errors import ContractInvalid
from heng.people.models import Contract, ContractType, Employee, EmploymentStatus
from heng.people.permissions import can_reveal

_EDITABLE = {"contract_type", "end_date", "position", "duties", "salary_items"}


@dataclass(frozen=True)
class SalaryItem:
    item: str
    amount: decimal.Decimal


def normalize_salary_items(items: Iterable[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """``[{"item": "base", "amount": "6000"}]`` → validated, amounts as strings with 2 places."""
    out: list[dict[str, Any]] = []
    for i, raw in enumerate(items or [], start=1):
        name = str(raw.get("item", "")).strip()
        try:
            amount = decimal.Decimal(str(raw.get("amount", ""))).quantize(decimal.Decimal("0.01"))
        except decimal.InvalidOperation:
            raise ContractInvalid(
                fields={f"salary_items[{i}].amount": _("Amount must be a number.")}
            ) from None
        if not name:
            raise ContractInvalid(fields={f"salary_items[{i}].item": _("Item name is required.")})
        if amount < 0 or not amount.is_finite():
            raise ContractInvalid(
                fields={f"salary_items[{i}].amount": _("Amount must not be negative.")}
            )
        out.append({"item": name, "amount": str(amount)})
    return out


def _validate(values: dict[str, Any], *, employee: Employee, exclude_pk: int | None) -> None:
    errors: dict[str, str] = {}
    kind, start, end = values["contract_type"], values["start_date"], values.get("end_date")
    if kind not in ContractType.values:
        errors["contract_type"] = _("Unknown contract type: %(t)s.") % {"t": kind}
    if kind in (ContractType.FIXED, ContractType.INTERN, ContractType.PROJECT) and end is None:
        errors["end_date"] = _("A fixed-term contract needs an end date.")
    if end is not None and end < start:
        errors["end_date"] = _("End date %(end)s is before start date %(start)s.") % {
            "end": end,
            "start": start,
        }
    if not errors:
        overlapping = Contract.objects.filter(employee=employee)
        if exclude_pk is not None:
            overlapping = overlapping.exclude(pk=exclude_pk)
        overlapping = overlapping.filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
        if end is not None:
            overlapping = overlapping.filter(start_date__lte=end)
        if overlapping.exists():
            errors["start_date"] = _("The term overlaps another contract of this employee.")
    if errors:
        raise ContractInvalid(_("The contract could not be saved."), fields=errors)


@transaction.atomic
def contract_create(
    *,
    employee: Employee,
    contract_type: str,
    start_date: dt.date,
    end_date: dt.date | None = None,
    position: Position | None = None,
    duties: str = "",
    salary_items: Iterable[Mapping[str, Any]] | None = None,
    actor: Any = None,
) -> Contract:
    values = {"contract_type": contract_type, "start_date": start_date, "end_date": end_date}
    items = normalize_salary_items(salary_items)
    Employee.objects.select_for_update().filter(pk=employee.pk).first()  # serialise per person
    _validate(values, employee=employee, exclude_pk=None)
    contract = Contract.objects.create(
        employee=employee,
        position=position or employee.position,
        duties=duties.strip() or (employee.position.duties if employee.position else ""),
        salary_items=items,
        **values,
    )
    audit_record(
        actor=actor,
        action="contract.create",
        target=contract,
        target_label=_contract_label(contract),
        employee_id=employee.pk,
        after=snapshot(contract),
    )
    return contract


@transaction.atomic
def contract_update(*, contract: Contract, actor: Any = None, **changes: Any) -> Contract:
    """Change a contract's terms; the previous version stays in its history."""
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise ContractInvalid(fields={f: _("This field cannot be changed here.") for f in unknown})
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    before = snapshot(contract)
    if "salary_items" in changes:
        changes["salary_items"] = normalize_salary_items(changes["salary_items"])
    values = {
        "contract_type": changes.get("contract_type", contract.contract_type),
        "start_date": contract.start_date,
        "end_date": changes.get("end_date", contract.end_date),
    }
    _validate(values, employee=contract.employee, exclude_pk=contract.pk)
    for field, value in changes.items():
        setattr(contract, field, value)
    contract.save()
    audit_record(
        actor=actor,
        action="contract.update",
        target=contract,
        target_label=_contract_label(contract),
        employee_id=contract.employee_id,
        before=before,
        after=snapshot(contract),
    )
    return contract


@transaction.atomic
def contract_reveal_salary(*, actor: Any, contract: Contract) -> list[dict[str, Any]]:
    """The salary items in full, for a permitted viewer; audited like any reveal."""
    if not can_reveal(actor, contract.employee):
        raise PermissionDenied()
    audit_record(
        actor=actor,
        action="contract.reveal",
        target=contract,
        target_label=_contract_label(contract),
        employee_id=contract.employee_id,
        note="salary_items",
    )
    return list(contract.salary_items or [])


def _contract_label(contract: Contract) -> str:
    return f"{contract.employee} {contract.get_contract_type_display()} {contract.start_date}"


_TITLE = gettext_lazy("Contract of %(name)s ends on %(date)s")
_BODY = gettext_lazy(
    "The %(type)s contract of %(name)s (%(no)s) ends on %(date)s, in %(days)d days. "
    "Renew it or prepare the leave."
)


@transaction.atomic
def contracts_remind_expiring(*, today: dt.date | None = None, days: int | None = None) -> int:
    """Notify HR and the unit head ``days`` before a contract ends (once per end date).

    Returns the number of contracts reminded. Safe to run repeatedly: a contract is reminded
    again only if its end date changes.
    """
    today = today or timezone.localdate()
    days = days if days is not None else getattr(settings, "HENG_CONTRACT_REMINDER_DAYS", 30)
    due = (
        Contract.objects.select_for_update(of=("self",))
        .filter(end_date__gte=today, end_date__lte=today + dt.timedelta(days=days))
        .filter(employee__status=EmploymentStatus.ACTIVE)
        .exclude(expiry_reminded_for=F("end_date"))
        .select_related("employee__unit")
    )
    reminded = 0
    for contract in due:
        employee = contract.employee
        path = employee.unit.path
        recipients = (
            users_with_role_covering(path, Role.HR_ADMIN)
            + users_with_role_covering(path, Role.REGIONAL_HR, nearest=True)
            + users_with_role_covering(path, Role.UNIT_HEAD, nearest=True)
        )
        assert contract.end_date is not None
        notify(
            recipients=recipients,
            title=_TITLE,
            body=_BODY,
            params={
                "name": employee.name,
                "no": employee.employee_no,
                "type": contract.get_contract_type_display(),
                "date": contract.end_date.isoformat(),
                "days": (contract.end_date - today).days,
            },
            url=reverse("employee-detail", args=[employee.pk]),
            key=f"contract-expiry:{contract.pk}:{contract.end_date.isoformat()}",
            kind="contract_reminder",
        )
        # A bookkeeping mark, not a change of terms: no history row for it.
        Contract.objects.filter(pk=contract.pk).update(expiry_reminded_for=contract.end_date)
        reminded += 1
    return reminded
