"""Writes on people. Import from here: ``from heng.people.services import employee_create``."""

from heng.people.services.assignments import assignment_change, assignments_apply_due
from heng.people.services.contracts import (
    SalaryItem,
    contract_create,
    contract_reveal_salary,
    contract_update,
    contracts_remind_expiring,
)
from heng.people.services.employees import (
    SENSITIVE_FIELDS,
    HireRow,
    employee_create,
    employee_reveal,
    employee_update,
    employees_bulk_hire,
)

__all__ = [
    "SENSITIVE_FIELDS",
    "HireRow",
    "SalaryItem",
    "assignment_change",
    "assignments_apply_due",
    "contract_create",
    "contract_reveal_salary",
    "contract_update",
    "contracts_remind_expiring",
    "employee_create",
    "employee_reveal",
    "employee_update",
    "employees_bulk_hire",
]
