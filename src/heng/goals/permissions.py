"""Who may see and change which goals.

Seeing: everyone sees the goals of the units above his own (the chain to the company goal),
of his own units, and of every unit in his scope; plus the goals he holds or owns. HR admins
and auditors see all. Changing: HR admins anywhere, regional HR and unit heads inside their
subtrees. Posting progress: the goal's owner and holders, and those who may change it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from heng.accounts.models import Role, User
from heng.accounts.scope import path_condition, scope_for
from heng.core.errors import NotFound
from heng.goals.models import Goal, GoalAssignment, GoalKind
from heng.org.models import OrgUnit
from heng.people.models import Employee
from heng.people.permissions import employees_visible_to

STEP = OrgUnit.steplen
SCOPED_MANAGERS = {Role.REGIONAL_HR, Role.UNIT_HEAD}


def ancestor_paths(path: str) -> list[str]:
    """The unit's own path and those of every unit above it."""
    return [path[:end] for end in range(STEP, len(path) + 1, STEP)]


def held_goal_ids(employee: Employee) -> set[int]:
    """KPIs the person holds (by position in the goal's subtree, or named) and goals he owns."""
    paths = [u.path for u in (employee.unit, employee.working_unit) if u is not None]
    ids = set(Goal.objects.filter(owner=employee).values_list("pk", flat=True))
    ids |= set(GoalAssignment.objects.filter(employee=employee).values_list("goal_id", flat=True))
    if employee.position_id is not None and paths:
        ancestors = {a for p in paths for a in ancestor_paths(p)}
        ids |= set(
            Goal.objects.filter(
                kind=GoalKind.KPI, position_id=employee.position_id, unit__path__in=ancestors
            ).values_list("pk", flat=True)
        )
    return ids


def with_ancestors(ids: set[int]) -> set[int]:
    """The goals and every goal above them (one query per level of the tree)."""
    out, frontier = set(ids), set(ids)
    while frontier:
        parents = set(
            Goal.objects.filter(pk__in=frontier, parent__isnull=False).values_list(
                "parent_id", flat=True
            )
        )
        frontier = parents - out
        out |= parents
    return out


def goals_visible_to(user: User | AnonymousUser) -> QuerySet[Goal]:
    scope = scope_for(user)
    if scope.company_wide:
        return Goal.objects.all()
    if not user.is_authenticated:
        return Goal.objects.none()
    above: set[str] = {a for p in scope.unit_paths for a in ancestor_paths(p)}
    condition = path_condition("unit__", scope.unit_paths)
    if scope.own_employee_id is not None:
        employee = Employee.objects.select_related("unit", "working_unit").get(
            pk=scope.own_employee_id
        )
        for unit in (employee.unit, employee.working_unit):
            if unit is not None:
                above |= set(ancestor_paths(unit.path))
        condition |= Q(pk__in=with_ancestors(held_goal_ids(employee)))
    condition |= Q(unit__path__in=above)
    return Goal.objects.filter(condition)


def access_goal(user: User | AnonymousUser, goal_id: int) -> Goal:
    """The goal if it exists and the user may see it; NotFound either way otherwise."""
    try:
        return (
            goals_visible_to(user)
            .select_related("unit", "parent", "owner", "indicator", "position")
            .get(pk=goal_id)
        )
    except (Goal.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def is_company_manager(user: User | AnonymousUser) -> bool:
    """HR admins (and superusers): company-wide settings such as indicator thresholds."""
    if not user.is_authenticated:
        return False
    scope = scope_for(user)
    return bool(user.is_superuser or (scope.company_wide and Role.HR_ADMIN in scope.roles))


def can_manage_at(user: User | AnonymousUser, unit: OrgUnit) -> bool:
    """May the user create and change goals of this unit?"""
    if not user.is_authenticated:
        return False
    if is_company_manager(user):
        return True
    scope = scope_for(user)
    if not scope.roles & SCOPED_MANAGERS:
        return False
    assert isinstance(user, User)
    # The stored path: adding a sibling with an earlier code re-sorts (and re-paths) units.
    path = OrgUnit.objects.filter(pk=unit.pk).values_list("path", flat=True).first() or unit.path
    grants = user.role_grants.filter(role__in=SCOPED_MANAGERS, unit__isnull=False)
    return any(path.startswith(p) for p in grants.values_list("unit__path", flat=True))


def holds(employee_id: int | None, goal: Goal) -> bool:
    if employee_id is None:
        return False
    if goal.owner_id == employee_id:
        return True
    employee = (
        Employee.objects.select_related("unit", "working_unit").filter(pk=employee_id).first()
    )
    return employee is not None and goal.pk in held_goal_ids(employee)


def can_post_progress(user: User | AnonymousUser, goal: Goal) -> bool:
    """The owner, a holder, or someone who manages the goal's unit."""
    return holds(scope_for(user).own_employee_id, goal) or can_manage_at(user, goal.unit)


def can_recognise(user: User | AnonymousUser, employee: Employee) -> bool:
    """Managers who see the person and manage his home or working unit."""
    if scope_for(user).own_employee_id == employee.pk:
        return False
    units = [u for u in (employee.unit, employee.working_unit) if u is not None]
    return any(can_manage_at(user, u) for u in units)


def access_person(user: User | AnonymousUser, employee_id: int) -> Employee:
    try:
        return (
            employees_visible_to(user)
            .select_related("unit", "working_unit", "position")
            .get(pk=employee_id)
        )
    except (Employee.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def manageable_units(user: Any) -> QuerySet[OrgUnit]:
    """Units whose goals the user may change (for forms)."""
    scope = scope_for(user)
    if user.is_superuser or (scope.company_wide and Role.HR_ADMIN in scope.roles):
        return OrgUnit.objects.all()
    paths = user.role_grants.filter(role__in=SCOPED_MANAGERS, unit__isnull=False).values_list(
        "unit__path", flat=True
    )
    return OrgUnit.objects.filter(path_condition("", tuple(paths)))
