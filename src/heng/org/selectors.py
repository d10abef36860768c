"""Reads on the org tree."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Length, Substr

from heng.org.models import OrgUnit


def unit_subtree(*, unit: OrgUnit) -> QuerySet[OrgUnit]:
    """The unit and every unit below it: one prefix query on the materialized path."""
    return OrgUnit.objects.filter(path__startswith=unit.path)


def units_under_paths(paths: Iterable[str]) -> QuerySet[OrgUnit]:
    """Units inside any of the given subtrees (paths of their roots)."""
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(path__startswith=path)
    return OrgUnit.objects.filter(condition)


def unit_ancestors(*, unit: OrgUnit) -> list[OrgUnit]:
    """Root first, the unit itself last (for breadcrumbs)."""
    step = OrgUnit.steplen
    prefixes = [unit.path[: step * d] for d in range(1, unit.depth + 1)]
    return list(OrgUnit.objects.filter(path__in=prefixes).order_by("depth"))


def with_parent_id(units: QuerySet[OrgUnit]) -> QuerySet[OrgUnit]:
    """Annotate ``parent_id`` (the unit whose path is ours minus one step) in the same query."""
    parent_path = Substr(OuterRef("path"), 1, Length(OuterRef("path")) - OrgUnit.steplen)
    return units.annotate(
        parent_id=Subquery(OrgUnit.objects.filter(path=parent_path).values("pk")[:1])
    )
