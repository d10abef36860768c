"""The calibration page (F3): the distribution against the target mix per unit and per region
(over/under per band), an ECharts box plot of final totals per unit or region, a side-by-side
bar chart across regions, and — for HR during calibration — the adjustment form (new final
score and/or rating, always with a reason) with the list of adjustments made, who and when.

Managers (HR, auditors, regional HR, unit heads) see their own subtrees; employees never see
this page (404, like a missing cycle)."""

from __future__ import annotations

import statistics
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from heng.accounts.scope import scope_for
from heng.core.errors import ApplicationError, NotFound
from heng.org.models import OrgUnit
from heng.performance.api.cycles import _hr, access_cycle, can_run_cycles
from heng.performance.cycle_forms import AdjustForm, place_errors
from heng.performance.models import Adjustment, Cycle, CycleState, Result
from heng.performance.selectors.cycles import (
    cycle_distribution,
    results_visible_to,
    sees_unpublished,
)
from heng.performance.services.calibration import result_adjust

BY = ("unit", "region")
FIELDS = {
    "total": gettext_lazy("final total"),
    "rating": gettext_lazy("rating"),
    "rank": gettext_lazy("rank"),
}


def _access(request: HttpRequest, pk: int) -> Cycle:
    cycle = access_cycle(request.user, pk)
    if not sees_unpublished(request.user):
        raise NotFound()
    return cycle


def five_numbers(values: list[float]) -> list[float]:
    """min, Q1, median, Q3, max (quartiles by linear interpolation, as ECharts' boxplot)."""
    data = sorted(values)
    if len(data) == 1:
        return [round(data[0], 2)] * 5
    q1, q2, q3 = statistics.quantiles(data, n=4, method="inclusive")
    return [round(x, 2) for x in (data[0], q1, q2, q3, data[-1])]


def region_names(codes: set[str]) -> dict[str, str]:
    return dict(OrgUnit.objects.filter(code__in=codes).values_list("code", "name"))


def boxplot(results: QuerySet[Result], by: str) -> dict[str, Any]:
    key = "participant__unit__name" if by == "unit" else "participant__region_code"
    groups: dict[str, list[float]] = {}
    for group, total in results.values_list(key, "final_total"):
        groups.setdefault(group or "-", []).append(float(total))
    names = region_names(set(groups)) if by == "region" else {}
    labels = sorted(groups)
    return {
        "tooltip": {"trigger": "item"},
        "grid": {"bottom": 80},
        "xAxis": {
            "type": "category",
            "data": [names.get(g, g) for g in labels],
            "axisLabel": {"interval": 0, "rotate": 30},
        },
        "yAxis": {"type": "value", "name": _("final total"), "scale": True},
        "dataZoom": [{"type": "inside"}, {"type": "slider"}] if len(labels) > 12 else [],
        "series": [
            {
                "type": "boxplot",
                "name": _("final total"),
                "data": [five_numbers(groups[g]) for g in labels],
            }
        ],
    }


def regions_chart(rows: list[dict[str, Any]], names: dict[str, str]) -> dict[str, Any]:
    """Share per band, one bar per region side by side, and the target mix as a line."""
    buckets = list(dict.fromkeys(r["bucket"] for r in rows))
    regions = list(dict.fromkeys(r["group"] for r in rows))
    share = {(r["group"], r["bucket"]): r["share"] for r in rows}
    target = {r["bucket"]: r["target"] for r in rows}
    series: list[dict[str, Any]] = [
        {
            "type": "bar",
            "name": names.get(g, g),
            "data": [share.get((g, b), 0) for b in buckets],
        }
        for g in regions
    ]
    if any(target.get(b) is not None for b in buckets):
        series.append(
            {
                "type": "line",
                "name": _("target mix"),
                "data": [target.get(b) for b in buckets],
                "lineStyle": {"type": "dashed"},
            }
        )
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll"},
        "xAxis": {"type": "category", "data": buckets},
        "yAxis": {"type": "value", "name": "%", "max": 100},
        "series": series,
    }


def adjust_form(cycle: Cycle, results: QuerySet[Result], data: Any = None) -> AdjustForm:
    bands = [
        (str(b["code"]), str(b.get("name_zh") or b["code"]))
        for b in cycle.framework.get("rating_bands", [])
    ]
    people = [
        (
            r.employee_id,
            f"{r.participant.employee_no} {r.participant.name} · {r.final_total:.2f} "
            f"{r.final_rating} ({r.rank}/{r.group_size})",
        )
        for r in results.select_related("participant").order_by("participant__employee_no")
    ]
    return AdjustForm(data, people=people, bands=bands)


def page_context(request: HttpRequest, cycle: Cycle, **extra: Any) -> dict[str, Any]:
    scope = scope_for(request.user)
    paths = None if scope.company_wide else list(scope.unit_paths)
    by = request.GET.get("by", "unit")
    by = by if by in BY else "unit"
    results = results_visible_to(request.user, cycle)
    per_unit = cycle_distribution(cycle, by="unit", paths=paths)
    per_region = cycle_distribution(cycle, by="region", paths=paths)
    names = region_names({r["group"] for r in per_region})
    for row in per_region:
        row["label"] = names.get(row["group"], row["group"])
    can_adjust = can_run_cycles(request.user) and cycle.state == CycleState.CALIBRATION
    adjustments = list(
        Adjustment.objects.filter(result__in=results.values("pk"))
        .select_related("by", "result__participant")
        .order_by("-at", "-id")
    )
    for a in adjustments:
        a.label = FIELDS.get(a.field, a.field)  # type: ignore[attr-defined]
    return {
        "cycle": cycle,
        "by": by,
        "per_unit": per_unit,
        "per_region": per_region,
        "box": boxplot(results, by),
        "regions": regions_chart(per_region, names),
        "can_adjust": can_adjust,
        "form": adjust_form(cycle, results) if can_adjust else None,
        "adjustments": adjustments,
        **extra,
    }


@login_required
def calibration(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _access(request, pk)
    return render(request, "performance/cycles/calibration.html", page_context(request, cycle))


@login_required
@require_POST
def adjust(request: HttpRequest, pk: int) -> HttpResponse:
    """Adjust one result (HR, calibration only); refusals come back next to the fields."""
    cycle = _access(request, pk)
    _hr(request.user)
    results = results_visible_to(request.user, cycle)
    form = adjust_form(cycle, results, request.POST)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        row = results.filter(employee_id=data["employee"]).first()
        if row is None:
            raise NotFound()
        try:
            made = result_adjust(
                actor=request.user,
                result=row,
                reason=data["reason"],
                total=data["total"],
                rating=data["rating"] or None,
            )
        except ApplicationError as exc:
            place_errors(form, exc, {})
            status = exc.status
        else:
            messages.success(
                request,
                _("%(no)s adjusted: %(changes)s.")
                % {
                    "no": row.participant.employee_no,
                    "changes": ", ".join(
                        f"{FIELDS.get(a.field, a.field)} {a.old_value} → {a.new_value}"
                        for a in made
                        if a.result_id == row.pk
                    )
                    or "—",
                },
            )
            return redirect("performance:cycle-calibration", pk=cycle.pk)
    context = page_context(request, cycle)
    context["form"] = form  # with the refusal next to its field (or on top)
    return render(request, "performance/cycles/calibration.html", context, status=status)
