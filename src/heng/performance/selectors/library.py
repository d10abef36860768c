"""Reads of the indicator library, frameworks and schemes (lists and filters)."""

from __future__ import annotations

from django.db.models import Max, Q, QuerySet

from heng.performance.models import Framework, Indicator, Scheme


def indicator_search(
    *, q: str = "", category: str = "", value_kind: str = ""
) -> QuerySet[Indicator]:
    found = Indicator.objects.all()
    if q:
        found = found.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(name_en__icontains=q))
    if category:
        found = found.filter(category=category)
    if value_kind:
        found = found.filter(value_kind=value_kind)
    return found.order_by("code")


def framework_list() -> QuerySet[Framework]:
    return Framework.objects.order_by("code")


def scheme_search(schemes: QuerySet[Scheme], *, q: str = "") -> QuerySet[Scheme]:
    if q:
        schemes = schemes.filter(
            Q(code__icontains=q) | Q(name__icontains=q) | Q(name_en__icontains=q)
        )
    return (
        schemes.select_related("framework")
        .annotate(latest_version=Max("versions__number"))
        .order_by("code")
    )
