"""Who may see which employees: the scope's subtrees by home *or* working unit, plus oneself."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from heng.accounts.models import User
from heng.accounts.scope import can_manage_path, path_condition, scope_for
from heng.core.errors import NotFound
from heng.org.models import OrgUnit
from heng.people.models import Contract, Employee


def employees_visible_to(user: User | AnonymousUser) -> QuerySet[Employee]:
    """Staff dispatched *into* a subtree are visible there through their working unit."""
    scope = scope_for(user)
    if scope.company_wide:
        return Employee.objects.all()
    condition = Q(pk__in=[])
    if scope.unit_paths:
        unit_ids = OrgUnit.objects.filter(path_condition("", scope.unit_paths)).values("pk")
        condition |= Q(unit_id__in=unit_ids) | Q(working_unit_id__in=unit_ids)
    if scope.own_employee_id is not None:
        condition |= Q(pk=scope.own_employee_id)
    return Employee.objects.filter(condition)


def access_employee(user: User | AnonymousUser, employee_id: int) -> Employee:
    """The employee if it exists *and* is in scope; otherwise NotFound, either way."""
    try:
        return (
            employees_visible_to(user)
            .select_related("unit", "working_unit", "position")
            .get(pk=employee_id)
        )
    except (Employee.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def can_reveal(user: User | AnonymousUser, employee: Employee) -> bool:
    """May ``user`` see the full sensitive values of ``employee``'s e-file?

    HR admins and regional HR whose scope covers the person's *home* unit, and the person
    himself. Store managers (including of a partner store during a dispatch) see masked values.
    """
    if scope_for(user).own_employee_id == employee.pk:
        return True
    return can_manage_path(user, employee.unit.path)


def can_manage_employee(user: User | AnonymousUser, employee: Employee) -> bool:
    """HR in scope of the person's home unit may edit the e-file, contracts and placements."""
    return can_manage_path(user, employee.unit.path)


def access_contract(user: User | AnonymousUser, contract_id: int) -> Contract:
    """A contract of someone the user may see; NotFound for missing and out of scope alike."""
    try:
        return Contract.objects.select_related("employee__unit", "position").get(
            pk=contract_id, employee__in=employees_visible_to(user)
        )
    except (Contract.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
