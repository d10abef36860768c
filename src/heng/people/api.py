"""Employees, placements and contracts over the API (scoped; sensitive values masked)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from heng.accounts.scope import scope_for
from heng.core.api import ERRORS, BoundedPagination
from heng.core.errors import NotFound, PermissionDenied
from heng.core.masking import MASKED_AMOUNT, mask_bank_account, mask_id_card, mask_phone
from heng.org.models import Position
from heng.org.permissions import access_unit, can_manage_unit
from heng.people import services
from heng.people.permissions import (
    access_contract,
    access_employee,
    can_manage_employee,
    can_reveal,
)
from heng.people.selectors import (
    contracts_of,
    employee_by_id_card,
    employee_history,
    employee_search,
)

router = Router(tags=["people"])


class EmployeeListOut(Schema):
    id: int
    employee_no: str
    name: str
    status: str
    unit_id: int
    unit_name: str
    working_unit_id: int | None
    working_unit_name: str | None
    position_name: str | None
    hire_date: dt.date

    @staticmethod
    def resolve_unit_name(obj: Any) -> str:
        return str(obj.unit.name)

    @staticmethod
    def resolve_working_unit_name(obj: Any) -> str | None:
        return obj.working_unit.name if obj.working_unit_id else None

    @staticmethod
    def resolve_position_name(obj: Any) -> str | None:
        return obj.position.name if obj.position_id else None


class AssignmentOut(Schema):
    id: int
    home_unit_id: int
    working_unit_id: int | None
    position_id: int | None
    start_date: dt.date
    end_date: dt.date | None
    reason: str
    note: str


class EmployeeOut(EmployeeListOut):
    gender: str
    birth_date: dt.date | None
    leave_date: dt.date | None
    email: str
    id_card_number_masked: str
    phone_masked: str
    bank_account_masked: str
    assignments: list[AssignmentOut]

    @staticmethod
    def resolve_id_card_number_masked(obj: Any) -> str:
        return mask_id_card(obj.id_card_number)

    @staticmethod
    def resolve_phone_masked(obj: Any) -> str:
        return mask_phone(obj.phone)

    @staticmethod
    def resolve_bank_account_masked(obj: Any) -> str:
        return mask_bank_account(obj.bank_account)

    @staticmethod
    def resolve_assignments(obj: Any) -> list[Any]:
        return list(obj.assignments.order_by("start_date"))


class EmployeeIn(Schema):
    employee_no: str
    name: str
    unit_id: int
    hire_date: dt.date
    position_code: str | None = None
    working_unit_id: int | None = None
    gender: str = ""
    birth_date: dt.date | None = None
    email: str = ""
    phone: str = ""
    id_card_number: str = ""
    bank_account: str = ""


class EmployeePatch(Schema):
    name: str | None = None
    gender: str | None = None
    birth_date: dt.date | None = None
    leave_date: dt.date | None = None
    email: str | None = None
    phone: str | None = None
    id_card_number: str | None = None
    bank_account: str | None = None


class RevealIn(Schema):
    field: Literal["id_card_number", "phone", "bank_account"]


class RevealOut(Schema):
    field: str
    value: str


class AssignmentIn(Schema):
    start_date: dt.date
    reason: str
    home_unit_id: int | None = None
    working_unit_id: int | None = None
    position_code: str | None = None
    end_date: dt.date | None = None
    note: str = ""


class HistoryOut(Schema):
    at: dt.datetime
    actor: str
    action: str
    record: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str

    @staticmethod
    def resolve_actor(obj: Any) -> str:
        return str(obj.actor_label)

    @staticmethod
    def resolve_record(obj: Any) -> str:
        return f"{obj.target_type}#{obj.target_id}"


class SalaryItemIn(Schema):
    item: str
    amount: str


class ContractOut(Schema):
    id: int
    employee_id: int
    contract_type: str
    start_date: dt.date
    end_date: dt.date | None
    position_id: int | None
    duties: str
    salary_items_masked: list[dict[str, str]]

    @staticmethod
    def resolve_salary_items_masked(obj: Any) -> list[dict[str, str]]:
        return [{"item": i["item"], "amount": MASKED_AMOUNT} for i in obj.salary_items or []]


class ContractIn(Schema):
    contract_type: str
    start_date: dt.date
    end_date: dt.date | None = None
    position_code: str | None = None
    duties: str = ""
    salary_items: list[SalaryItemIn] = []


class ContractPatch(Schema):
    contract_type: str | None = None
    end_date: dt.date | None = None
    duties: str | None = None
    salary_items: list[SalaryItemIn] | None = None


def _position(code: str | None) -> Position | None:
    if not code:
        return None
    position = Position.objects.filter(code=code).first()
    if position is None:
        raise NotFound(fields={"position_code": code})
    return position


@router.get("/employees", response={200: list[EmployeeListOut], **ERRORS})
@paginate(BoundedPagination)
def list_employees(
    request: HttpRequest,
    q: str = "",
    unit_id: int | None = None,
    status: str = "",
    id_card: str = "",
) -> Any:
    """Scoped list; ``id_card`` finds a person by exact ID-card number (HR only)."""
    if id_card:
        if not scope_for(request.user).can_manage_people:
            raise PermissionDenied()
        return employee_by_id_card(user=request.user, number=id_card).select_related(
            "unit", "working_unit", "position"
        )
    unit = access_unit(request.user, unit_id) if unit_id else None
    return employee_search(user=request.user, q=q, unit=unit, status=status)


@router.get("/employees/{employee_id}", response={200: EmployeeOut, **ERRORS})
def get_employee(request: HttpRequest, employee_id: int) -> Any:
    return access_employee(request.user, employee_id)


@router.post("/employees", response={201: EmployeeOut, **ERRORS})
def create_employee(request: HttpRequest, payload: EmployeeIn) -> Any:
    unit = access_unit(request.user, payload.unit_id)
    if not can_manage_unit(request.user, unit):
        raise PermissionDenied()
    working = (
        access_unit(request.user, payload.working_unit_id) if payload.working_unit_id else None
    )
    details = payload.model_dump(
        include={"gender", "birth_date", "email", "phone", "id_card_number", "bank_account"}
    )
    employee = services.employee_create(
        employee_no=payload.employee_no,
        name=payload.name,
        unit=unit,
        hire_date=payload.hire_date,
        position=_position(payload.position_code),
        working_unit=working,
        actor=request.user,
        **details,
    )
    return Status(201, access_employee(request.user, employee.pk))


@router.patch("/employees/{employee_id}", response={200: EmployeeOut, **ERRORS})
def update_employee(request: HttpRequest, employee_id: int, payload: EmployeePatch) -> Any:
    employee = access_employee(request.user, employee_id)
    if not can_manage_employee(request.user, employee):
        raise PermissionDenied()
    services.employee_update(
        employee=employee, actor=request.user, **payload.model_dump(exclude_unset=True)
    )
    return access_employee(request.user, employee_id)


@router.post("/employees/{employee_id}/reveal", response={200: RevealOut, **ERRORS})
def reveal_employee_field(request: HttpRequest, employee_id: int, payload: RevealIn) -> Any:
    """The full value of one sensitive field. Permitted for HR in scope; always audited."""
    employee = access_employee(request.user, employee_id)
    value = services.employee_reveal(actor=request.user, employee=employee, field=payload.field)
    return {"field": payload.field, "value": value}


@router.get("/employees/{employee_id}/history", response={200: list[HistoryOut], **ERRORS})
@paginate(BoundedPagination)
def employee_history_list(request: HttpRequest, employee_id: int) -> Any:
    return employee_history(access_employee(request.user, employee_id))


@router.post("/employees/{employee_id}/assignments", response={201: AssignmentOut, **ERRORS})
def create_assignment(request: HttpRequest, employee_id: int, payload: AssignmentIn) -> Any:
    """Record a placement change directly (HR corrections, promotions)."""
    employee = access_employee(request.user, employee_id)
    if not can_manage_employee(request.user, employee):
        raise PermissionDenied()
    home = access_unit(request.user, payload.home_unit_id) if payload.home_unit_id else None
    if home is not None and not can_manage_unit(request.user, home):
        raise PermissionDenied()
    working = (
        access_unit(request.user, payload.working_unit_id) if payload.working_unit_id else None
    )
    assignment = services.assignment_change(
        employee=employee,
        start_date=payload.start_date,
        reason=payload.reason,
        home_unit=home,
        working_unit=working,
        position=_position(payload.position_code),
        end_date=payload.end_date,
        note=payload.note,
        actor=request.user,
    )
    return Status(201, assignment)


@router.get("/employees/{employee_id}/contracts", response={200: list[ContractOut], **ERRORS})
def list_contracts(request: HttpRequest, employee_id: int) -> Any:
    return list(contracts_of(access_employee(request.user, employee_id)))


@router.post("/employees/{employee_id}/contracts", response={201: ContractOut, **ERRORS})
def create_contract(request: HttpRequest, employee_id: int, payload: ContractIn) -> Any:
    employee = access_employee(request.user, employee_id)
    if not can_manage_employee(request.user, employee):
        raise PermissionDenied()
    contract = services.contract_create(
        employee=employee,
        contract_type=payload.contract_type,
        start_date=payload.start_date,
        end_date=payload.end_date,
        position=_position(payload.position_code),
        duties=payload.duties,
        salary_items=[i.model_dump() for i in payload.salary_items],
        actor=request.user,
    )
    return Status(201, contract)


@router.patch("/contracts/{contract_id}", response={200: ContractOut, **ERRORS})
def update_contract(request: HttpRequest, contract_id: int, payload: ContractPatch) -> Any:
    contract = access_contract(request.user, contract_id)
    if not can_manage_employee(request.user, contract.employee):
        raise PermissionDenied()
    changes = payload.model_dump(exclude_unset=True)
    if changes.get("salary_items") is not None:
        changes["salary_items"] = [dict(i) for i in changes["salary_items"]]
    return services.contract_update(contract=contract, actor=request.user, **changes)


@router.post("/contracts/{contract_id}/reveal", response={200: list[SalaryItemIn], **ERRORS})
def reveal_contract_salary(request: HttpRequest, contract_id: int) -> Any:
    contract = access_contract(request.user, contract_id)
    return services.contract_reveal_salary(actor=request.user, contract=contract)


@router.get("/employees/{employee_id}/permissions", response={200: dict[str, bool], **ERRORS})
def employee_permissions(request: HttpRequest, employee_id: int) -> Any:
    """What the caller may do with this e-file (drives buttons in clients)."""
    employee = access_employee(request.user, employee_id)
    return {
        "reveal": can_reveal(request.user, employee),
        "manage": can_manage_employee(request.user, employee),
    }
