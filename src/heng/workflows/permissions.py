"""Who may see a request, who may apply for whom."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from heng.accounts.models import Role, User
from heng.accounts.scope import scope_for
from heng.core.errors import NotFound
from heng.people.models import Employee
from heng.people.permissions import can_manage_employee, employees_visible_to
from heng.workflows.models import ApprovalRequest, RequestKind


def requests_visible_to(user: User | AnonymousUser) -> QuerySet[ApprovalRequest]:
    """Company-wide roles see all; others: their own, those about people in their scope, and
    those they are asked to decide."""
    if not user.is_authenticated:
        return ApprovalRequest.objects.none()
    if scope_for(user).company_wide:
        return ApprovalRequest.objects.all()
    condition = (
        Q(applicant=user)
        | Q(employee__in=employees_visible_to(user))
        | Q(pk__in=ApprovalRequest.objects.filter(approvers__user=user).values("pk"))
    )
    return ApprovalRequest.objects.filter(condition)


def access_request(user: User | AnonymousUser, request_id: int) -> ApprovalRequest:
    try:
        return (
            requests_visible_to(user)
            .select_related("employee__unit", "applicant", "route")
            .get(pk=request_id)
        )
    except (ApprovalRequest.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def can_apply_for(user: User | AnonymousUser, employee: Employee, kind: str) -> bool:
    """Employees apply for their own transfer; HR in scope applies for anyone they manage;
    unit heads may propose dispatching their own staff."""
    scope = scope_for(user)
    if kind == RequestKind.TRANSFER and scope.own_employee_id == employee.pk:
        return True
    if can_manage_employee(user, employee):
        return True
    if kind == RequestKind.DISPATCH and Role.UNIT_HEAD in scope.roles:
        path = employee.unit.path
        return any(path.startswith(p) for p in scope.unit_paths)
    return False
