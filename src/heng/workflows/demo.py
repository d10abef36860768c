"""Demo logins and one open request for the approval walk (seed 002 §3.2, §4).

- ``gz_sales``: a sales rep of the Guangzhou flagship store who applies for a transfer;
  the route then goes to ``gz_store`` (department review), ``hr_south`` (HR approval) and
  ``gz_branch`` (leader sign-off: the Guangzhou branch head).
- ``kitchen_head``: head of the central kitchen, who proposes dispatching a chef to a partner
  store; one such request waits in the HR admin's inbox.
Idempotent: existing logins and requests are kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from heng.accounts.models import Role, User
from heng.accounts.services import role_grant, user_create
from heng.org.models import OrgUnit
from heng.people.models import Employee
from heng.workflows.default_routes import ensure_default_routes
from heng.workflows.models import ApprovalRequest, RequestKind, Route, RouteStep
from heng.workflows.services import request_submit


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    sees: str


def _login(username: str, employee: Employee | None, password: str) -> User:
    user = User.objects.filter(username=username).first()
    return user or user_create(
        username=username, password=password, employee=employee, check_password=False
    )


@transaction.atomic
def build_workflows_demo(
    *, password: str, progress: Callable[[str], None] = print
) -> list[DemoLogin]:
    units = {
        u.code: u for u in OrgUnit.objects.filter(code__in=["S-GZ1", "B-GZ", "HQ-KITCHEN", "PS-XW"])
    }
    if len(units) < 4:
        return []
    ensure_default_routes(Route, RouteStep)
    if not User.objects.filter(username="gz_sales").exists():
        # A sales rep of the store (a small demo may have none: then anyone there but the
        # manager, who has his own login).
        in_store = Employee.objects.filter(
            unit=units["S-GZ1"], status="active", user__isnull=True
        ).order_by("-position__code", "employee_no")
        rep = in_store.filter(position__code="store_sales").first() or in_store.first()
        if rep is not None:  # a very small demo (under ~150 people) may have nobody there
            _login("gz_sales", rep, password)
    head = (
        Employee.objects.filter(unit=units["B-GZ"], position__code="branch_head")
        .order_by("employee_no")
        .first()
    )
    role_grant(user=_login("gz_branch", head, password), role=Role.UNIT_HEAD, unit=units["B-GZ"])
    kitchen = _login("kitchen_head", None, password)
    role_grant(user=kitchen, role=Role.UNIT_HEAD, unit=units["HQ-KITCHEN"])
    chef = (
        Employee.objects.filter(unit=units["HQ-KITCHEN"], position__code="chef", status="active")
        .order_by("employee_no")
        .last()
    )
    if chef is not None and not ApprovalRequest.objects.filter(kind=RequestKind.DISPATCH).exists():
        # The next posting starts after the current one (chefs are already out at partners).
        latest = chef.assignments.order_by("-start_date").first()
        start = timezone.localdate() + dt.timedelta(days=7)
        if latest is not None and latest.end_date is not None:
            start = max(start, latest.end_date + dt.timedelta(days=1))
        request_submit(
            applicant=kitchen,
            kind=RequestKind.DISPATCH,
            employee=chef,
            payload={
                "working_unit_id": units["PS-XW"].pk,
                "start_date": start.isoformat(),
                "end_date": (start + dt.timedelta(days=90)).isoformat(),
            },
            reason="小湾餐厅新店开业，需要驻店厨师三个月",
        )
    progress(f"approvals: {ApprovalRequest.objects.count()} requests on file")
    logins = [
        DemoLogin("gz_sales", "employee", "本人；申请调岗 / applies for a transfer"),
        DemoLogin("gz_branch", "unit_head", "广州分公司 / signs off transfers"),
        DemoLogin("kitchen_head", "unit_head", "中央厨房 / proposes dispatches"),
    ]
    existing = set(User.objects.values_list("username", flat=True))
    return [login for login in logins if login.username in existing]
