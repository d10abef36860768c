"""Reads on people, always through the caller's scope."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, Q, QuerySet

from heng.accounts.scope import path_condition
from heng.core.crypto import blind_index
from heng.core.models import AuditEvent
from heng.org.models import OrgUnit
from heng.people.models import Contract, Employee, EmploymentStatus
from heng.people.permissions import employees_visible_to


def employee_search(
    *, user: Any, q: str = "", unit: OrgUnit | None = None, status: str = ""
) -> QuerySet[Employee]:
    """Scoped employee list; ``unit`` narrows to its subtree by home or working unit."""
    people = employees_visible_to(user).select_related("unit", "working_unit", "position")
    if q:
        people = people.filter(Q(name__icontains=q) | Q(employee_no__icontains=q))
    if unit is not None:
        subtree = OrgUnit.objects.filter(path__startswith=unit.path).values("pk")
        people = people.filter(Q(unit_id__in=subtree) | Q(working_unit_id__in=subtree))
    if status:
        people = people.filter(status=status)
    return people.order_by("employee_no")


def headcount_by_subtree(units: list[OrgUnit]) -> dict[int, int]:
    """Active head count (by home unit) of each unit's whole subtree, from one grouped query."""
    if not units:
        return {}
    direct = (
        Employee.objects.filter(status=EmploymentStatus.ACTIVE)
        .filter(path_condition("unit__", tuple(u.path for u in units)))
        .values_list("unit__path")
        .annotate(n=Count("pk"))
    )
    totals: dict[str, int] = defaultdict(int)
    step = OrgUnit.steplen
    for path, n in direct:
        for depth in range(1, len(path) // step + 1):
            totals[path[: depth * step]] += n
    return {u.pk: totals.get(u.path, 0) for u in units}


def employee_by_id_card(*, user: Any, number: str) -> QuerySet[Employee]:
    """Exact search by ID-card number through its keyed hash, inside the caller's scope."""
    digest = blind_index(number)
    return (
        employees_visible_to(user).filter(id_card_hash=digest)
        if digest
        else Employee.objects.none()
    )


def employee_history(employee: Employee) -> QuerySet[AuditEvent]:
    """What changed on this person's records, when and by whom (newest first)."""
    return AuditEvent.objects.filter(employee_id=employee.pk).order_by("-at", "-id")


def contracts_of(employee: Employee) -> QuerySet[Contract]:
    return employee.contracts.select_related("position").order_by("-start_date")
