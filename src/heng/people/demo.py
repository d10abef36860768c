"""Demo data for the e-file: a current labour contract for everyone, with salary items.

Terms are three years from the hire date, renewed back to back, so the current one is the term
that covers today; a few end within the reminder window, which the contract-expiry job picks up.
Idempotent: people who already have a contract are left alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from heng.core.audit import audit_bulk, audit_record, snapshot
from heng.people.models import Contract, ContractType, Employee, EmploymentStatus

# Monthly base pay by position (CNY), plus a standard allowance.
BASE_PAY = {
    "branch_head": 18000,
    "store_manager": 12000,
    "dept_head": 20000,
    "douyin_ops": 9000,
    "store_sales": 6000,
    "chef": 9500,
    "courier": 6500,
    "sales_rep": 8000,
    "cs_agent": 6000,
    "accountant": 8500,
    "hr_specialist": 8000,
    "designer": 10000,
    "new_media": 8500,
    "ops_specialist": 8500,
    "user_ops": 9000,
    "event_ops": 9000,
}


def _current_term(hire: dt.date, today: dt.date) -> tuple[dt.date, dt.date]:
    start = hire
    while True:
        try:
            end = start.replace(year=start.year + 3) - dt.timedelta(days=1)
        except ValueError:  # 29 February
            end = start.replace(year=start.year + 3, day=28)
        if end >= today:
            return start, end
        start = end + dt.timedelta(days=1)


@transaction.atomic
def build_people_demo(*, progress: Callable[[str], None] = print) -> int:
    today = timezone.localdate()
    people = (
        Employee.objects.filter(status=EmploymentStatus.ACTIVE, contracts__isnull=True)
        .select_related("position")
        .order_by("pk")
    )
    contracts = []
    for employee in people.iterator(chunk_size=2000):
        start, end = _current_term(employee.hire_date, today)
        code = employee.position.code if employee.position else ""
        contracts.append(
            Contract(
                employee=employee,
                contract_type=ContractType.FIXED,
                start_date=start,
                end_date=end,
                position=employee.position,
                duties=employee.position.duties if employee.position else "",
                salary_items=[
                    {"item": "基本工资 base", "amount": f"{BASE_PAY.get(code, 7000):.2f}"},
                    {"item": "岗位津贴 allowance", "amount": "800.00"},
                ],
            )
        )
    if contracts:
        bulk_create_with_history(contracts, Contract, batch_size=2000)
        created = Contract.objects.filter(employee_id__in=[c.employee_id for c in contracts])
        audit_bulk(
            [
                audit_record(
                    actor="demo",
                    action="contract.create",
                    target=c,
                    employee_id=c.employee_id,
                    after=snapshot(c),
                    save=False,
                )
                for c in created.select_related("employee")
            ]
        )
    progress(f"contracts: {len(contracts)} new, {Contract.objects.count()} on file")
    return len(contracts)
