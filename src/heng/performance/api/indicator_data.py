"""Indicator values for a period and their lineage over the API (D4)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode
from ninja import Query, Router, Schema
from pydantic import Field

from heng.accounts.scope import scope_for
from heng.core.api import ERRORS
from heng.core.errors import NotFound
from heng.integrations.api import BatchOut, FactOut
from heng.integrations.periods import PeriodKind, period_bounds
from heng.org.models import OrgUnit
from heng.org.permissions import access_unit
from heng.people.models import Employee
from heng.people.permissions import access_employee, employees_visible_to
from heng.performance.selectors.indicator_data import (
    cycle_indicator,
    indicator_formula,
    indicator_get,
    indicator_lineage,
    indicator_values,
    rank_values,
)

router = Router(tags=["performance: indicator values"])


class PeriodQuery(Schema):
    period: PeriodKind = Field(
        PeriodKind.MONTH,
        description="day, week (Monday–Sunday), month or quarter around `on`; or custom",
    )
    on: dt.date | None = Field(None, description="A day in the period (default: today).")
    start: dt.date | None = Field(None, description="First day of a custom range.")
    end: dt.date | None = Field(None, description="Last day of a custom range.")


class ValuesQuery(PeriodQuery):
    unit_id: int | None = Field(None, description="Only people of this unit's subtree.")
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(100, ge=1, le=1000)


class LineageQuery(PeriodQuery):
    employee_id: int
    cycle_id: int | None = Field(
        None,
        description="Trace the value as this cycle measured it (its period and its snapshot of "
        "the indicator); the period fields are then ignored.",
    )


class IndicatorValueOut(Schema):
    employee_id: int
    employee_no: str
    name: str
    unit: str
    value: float | None
    lineage: str = Field(..., description="API address of this value's lineage.")


class IndicatorValuesOut(Schema):
    indicator: str
    formula: str
    period_start: dt.date
    period_end: dt.date
    count: int
    page: int
    page_size: int
    items: list[IndicatorValueOut]


class IndicatorLineageOut(Schema):
    indicator: str
    name: str
    formula: str
    employee_id: int
    cycle_id: int | None
    period_start: dt.date
    period_end: dt.date
    value: float | None
    rows: list[FactOut]
    total_rows: int
    truncated: bool
    batches: list[BatchOut]


def _bounds(query: PeriodQuery) -> tuple[dt.date, dt.date]:
    return period_bounds(query.period, on=query.on, start=query.start, end=query.end)


@router.get("/indicators/{code}/values", response={200: IndicatorValuesOut, **ERRORS})
def get_indicator_values(request: HttpRequest, code: str, query: Query[ValuesQuery]) -> Any:
    """The indicator's value for a period for everyone in your scope who has data in it, best
    first (one grouped computation for all), each with the address of its lineage."""
    scope = scope_for(request.user)
    if scope.is_empty:
        raise NotFound()
    indicator = indicator_get(code)
    start, end = _bounds(query)
    formula = indicator_formula(indicator)
    people = employees_visible_to(request.user)
    ids: list[int] | None
    if query.unit_id is not None:
        unit = access_unit(request.user, query.unit_id)
        subtree = OrgUnit.objects.filter(path__startswith=unit.path).values("pk")
        people = people.filter(unit_id__in=subtree) | people.filter(working_unit_id__in=subtree)
        ids = sorted(people.values_list("pk", flat=True))
    else:
        ids = None if scope.company_wide else sorted(people.values_list("pk", flat=True))
    frame = (
        rank_values(
            indicator_values(formula=formula, period_start=start, period_end=end, employee_ids=ids),
            indicator.direction,
        )
        if ids is None or ids
        else None
    )
    count = frame.height if frame is not None else 0
    offset = (query.page - 1) * query.page_size
    rows = frame.slice(offset, query.page_size).to_dicts() if frame is not None else []
    info = {
        e.pk: e
        for e in Employee.objects.filter(pk__in=[r["employee_id"] for r in rows]).select_related(
            "unit"
        )
    }
    base = reverse("api-v1:performance-indicator-lineage", kwargs={"code": indicator.code})
    items = []
    for row in rows:
        person = info.get(row["employee_id"])
        lineage = urlencode(
            {
                "employee_id": row["employee_id"],
                "period": "custom",
                "start": start.isoformat(),
                "end": end.isoformat(),
            }
        )
        items.append(
            {
                "employee_id": row["employee_id"],
                "employee_no": person.employee_no if person else "",
                "name": person.name if person else "",
                "unit": person.unit.code if person else "",
                "value": row["value"],
                "lineage": f"{base}?{lineage}",
            }
        )
    return {
        "indicator": indicator.code,
        "formula": formula,
        "period_start": start,
        "period_end": end,
        "count": count,
        "page": query.page,
        "page_size": query.page_size,
        "items": items,
    }


@router.get(
    "/indicators/{code}/lineage",
    response={200: IndicatorLineageOut, **ERRORS},
    url_name="performance-indicator-lineage",
)
def get_indicator_lineage(request: HttpRequest, code: str, query: Query[LineageQuery]) -> Any:
    """One employee's value of the indicator over a period (or as a cycle measured it), with
    the facts, source rows and batches behind it. 404 for someone outside your scope."""
    employee = access_employee(request.user, query.employee_id)
    if query.cycle_id is not None:
        measured = cycle_indicator(cycle_id=query.cycle_id, employee_id=employee.pk, code=code)
        name, formula = measured.name, measured.formula
        start, end = measured.cycle.period_start, measured.cycle.period_end
    else:
        indicator = indicator_get(code)
        name, formula = indicator.name, indicator_formula(indicator)
        start, end = _bounds(query)
    found = indicator_lineage(
        formula=formula, employee_id=employee.pk, period_start=start, period_end=end, limit=500
    )
    return {
        **found,
        "indicator": code,
        "name": name,
        "formula": formula,
        "employee_id": employee.pk,
        "cycle_id": query.cycle_id,
        "period_start": start,
        "period_end": end,
    }
