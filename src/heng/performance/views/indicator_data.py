"""Indicator values for a period (everyone in the reader's scope), and where one value comes
from (lineage): pages over ``heng.performance.selectors.indicator_data``."""

from __future__ import annotations

from typing import Any

import polars as pl
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heng.accounts.scope import scope_for
from heng.core.errors import ApplicationError, NotFound
from heng.integrations.periods import PeriodKind, period_bounds
from heng.org.models import OrgUnit
from heng.org.permissions import access_unit, units_visible_to
from heng.people.models import Employee
from heng.people.permissions import access_employee, employees_visible_to
from heng.performance.models import Indicator
from heng.performance.selectors.indicator_data import (
    VALUE_SCHEMA,
    cycle_indicator,
    indicator_formula,
    indicator_get,
    indicator_lineage,
    indicator_values,
    rank_values,
)

PAGE_SIZE = 50
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PeriodChoiceForm(forms.Form):
    """Day, week, month or quarter around a date, or a custom range."""

    period = forms.ChoiceField(
        label=gettext_lazy("Period"), choices=PeriodKind.choices, initial=PeriodKind.MONTH
    )
    on = forms.DateField(label=gettext_lazy("Around"), required=False, widget=DATE)
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=DATE)
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            data["period_start"], data["period_end"] = period_bounds(
                data.get("period") or PeriodKind.MONTH,
                on=data.get("on"),
                start=data.get("start"),
                end=data.get("end"),
            )
        except ApplicationError as exc:
            for name, message in exc.fields.items():
                self.add_error(name if name in self.fields else None, message)
        return data


class ValuesForm(PeriodChoiceForm):
    unit = forms.TypedChoiceField(
        label=gettext_lazy("Unit"), coerce=int, required=False, empty_value=None
    )


class LineageForm(PeriodChoiceForm):
    employee = forms.IntegerField(widget=forms.HiddenInput)
    cycle = forms.IntegerField(widget=forms.HiddenInput, required=False)


class _Rows:
    """A frame as the paginator sees it: only the page's rows become dicts."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    def __len__(self) -> int:
        return self.frame.height

    def __getitem__(self, index: slice) -> list[dict[str, Any]]:
        start, stop, _step = index.indices(self.frame.height)
        return self.frame.slice(start, max(0, stop - start)).to_dicts()


def _scope_ids(request: HttpRequest, unit: OrgUnit | None) -> list[int] | None:
    """The employees the reader may see (None: everyone, for company-wide readers)."""
    people = employees_visible_to(request.user)
    if unit is not None:
        subtree = OrgUnit.objects.filter(path__startswith=unit.path).values("pk")
        people = people.filter(unit_id__in=subtree) | people.filter(working_unit_id__in=subtree)
    elif scope_for(request.user).company_wide:
        return None
    return sorted(people.values_list("pk", flat=True))


@login_required
def indicator_values_page(request: HttpRequest, code: str) -> HttpResponse:
    """The indicator's value for everyone in the reader's scope, best first; each value links
    to the facts behind it."""
    if scope_for(request.user).is_empty:
        raise NotFound()
    indicator = indicator_get(code)
    form = ValuesForm(request.GET or None, initial={"period": PeriodKind.MONTH})
    units = units_visible_to(request.user).order_by("path")
    form.fields["unit"].choices = [  # type: ignore[attr-defined]
        ("", _("All in my scope")),
        *[(u.pk, u.name) for u in units],
    ]
    context: dict[str, Any] = {"indicator": indicator, "form": form, "error": "", "formula": ""}
    if request.GET and not form.is_valid():
        return render(request, "performance/indicator_values.html", context, status=422)
    data = form.cleaned_data if request.GET else {}
    if "period_start" not in data:
        data["period_start"], data["period_end"] = period_bounds(PeriodKind.MONTH)
    start, end = data["period_start"], data["period_end"]
    context.update(start=start, end=end)
    try:
        formula = indicator_formula(indicator)
        unit = access_unit(request.user, data["unit"]) if data.get("unit") else None
        ids = _scope_ids(request, unit)
        frame = (
            rank_values(
                indicator_values(
                    formula=formula, period_start=start, period_end=end, employee_ids=ids
                ),
                indicator.direction,
            )
            if ids is None or ids
            else None
        )
    except NotFound:
        raise
    except ApplicationError as exc:
        context["error"] = exc.message
        return render(request, "performance/indicator_values.html", context, status=422)
    context["formula"] = formula
    rows = _Rows(frame if frame is not None else pl.DataFrame(schema=VALUE_SCHEMA))
    page: Any = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))  # type: ignore[arg-type]
    people = Employee.objects.filter(pk__in=[r["employee_id"] for r in page]).select_related("unit")
    info = {p.pk: p for p in people}
    period_query = {"start": start.isoformat(), "end": end.isoformat(), "period": "custom"}
    for row in page:
        person = info.get(row["employee_id"])
        row["person"] = person
        row["lineage_query"] = urlencode({"employee": row["employee_id"], **period_query})
    context.update(
        page=page,
        count=len(rows),
        query=urlencode({k: str(v) for k, v in request.GET.items() if k != "page"}),
    )
    return render(request, "performance/indicator_values.html", context)


@login_required
def indicator_lineage_page(request: HttpRequest, code: str) -> HttpResponse:
    """One employee's value of the indicator and every fact, source row and batch behind it.

    ``?employee=`` and a period, or ``?cycle=`` (the scorecard's link): then the cycle's period
    and the indicator as the cycle measured it (the library may have changed since)."""
    employee_text, cycle_text = request.GET.get("employee", ""), request.GET.get("cycle", "")
    if not employee_text.isdigit() or (cycle_text and not cycle_text.isdigit()):
        raise NotFound()
    employee = access_employee(request.user, int(employee_text))
    indicator = Indicator.objects.filter(code=code).first()
    form = LineageForm(request.GET)
    context: dict[str, Any] = {
        "form": form,
        "employee": employee,
        "indicator": indicator,
        "code": code,
        "name": indicator.name if indicator else code,
        "error": "",
    }
    try:
        if cycle_text:
            measured = cycle_indicator(cycle_id=int(cycle_text), employee_id=employee.pk, code=code)
            context.update(
                cycle=measured.cycle,
                name=measured.name,
                unit_days=measured.participant.unit_days or {},
            )
            formula = measured.formula
            start, end = measured.cycle.period_start, measured.cycle.period_end
        else:
            if indicator is None:
                raise NotFound()
            formula = indicator_formula(indicator)
            if not form.is_valid():
                return render(request, "performance/indicator_lineage.html", context, status=422)
            start, end = form.cleaned_data["period_start"], form.cleaned_data["period_end"]
        context.update(formula=formula, start=start, end=end)
        found = indicator_lineage(
            formula=formula, employee_id=employee.pk, period_start=start, period_end=end
        )
    except NotFound:
        raise
    except ApplicationError as exc:
        context["error"] = exc.message
        return render(request, "performance/indicator_lineage.html", context, status=422)
    context.update(
        found=found,
        value=found["value"],
        title=f"{employee.name} · {context['name']}",
        values_query=urlencode(
            {"period": "custom", "start": start.isoformat(), "end": end.isoformat()}
        ),
    )
    return render(request, "performance/indicator_lineage.html", context)
