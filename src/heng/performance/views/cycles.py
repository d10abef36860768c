"""Pages: cycles (list, detail with scoring progress and distribution chart) and the
scorecard (own or, for managers, anyone in scope) with the trend line."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from heng.accounts.scope import scope_for
from heng.core.errors import NotFound
from heng.people.permissions import access_employee
from heng.performance.api.cycles import _hr, access_cycle, can_run_cycles
from heng.performance.models import Cycle, Result
from heng.performance.selectors.cycles import (
    cycle_distribution,
    participants_visible_to,
    review_progress,
)
from heng.performance.selectors.scorecard import employee_latest_result, scorecard_for_cycle
from heng.performance.services.scoring import cycle_score_enqueue


@login_required
def cycle_list(request: HttpRequest) -> HttpResponse:
    if scope_for(request.user).is_empty:
        raise NotFound()
    return render(request, "performance/cycles/list.html", {"cycles": Cycle.objects.all()})


def _histogram(cycle: Cycle, ids: Any) -> dict[str, Any]:
    totals = [
        float(t)
        for t in Result.objects.filter(cycle=cycle, participant_id__in=ids).values_list(
            "final_total", flat=True
        )
    ]
    edges = list(range(0, 130, 10))
    counts = [sum(1 for t in totals if e <= t < e + 10 or (e == 120 and t >= 120)) for e in edges]
    return {
        "tooltip": {},
        "xAxis": {"type": "category", "data": [f"{e}–" for e in edges]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [{"type": "bar", "data": counts, "name": "people"}],
    }


@login_required
def cycle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = access_cycle(request.user, pk)
    visible = participants_visible_to(request.user, cycle)
    ids = list(visible.values_list("pk", flat=True))
    scope = scope_for(request.user)
    context = {
        "cycle": cycle,
        "can_run": can_run_cycles(request.user),
        "results": Result.objects.filter(cycle=cycle, participant_id__in=ids)
        .select_related("participant", "participant__unit")
        .order_by("participant__unit_path", "rank"),
        "reviews": review_progress(cycle),
        "distribution": cycle_distribution(
            cycle,
            by=request.GET.get("by", "unit"),
            paths=None if scope.company_wide else list(scope.unit_paths),
        ),
        "chart": _histogram(cycle, ids),
    }
    if getattr(request, "htmx", False) and request.GET.get("part") == "progress":
        return render(request, "performance/cycles/_progress.html", context)
    return render(request, "performance/cycles/detail.html", context)


@login_required
@require_POST
def cycle_score_view(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = access_cycle(request.user, pk)
    _hr(request.user)
    cycle_score_enqueue(actor=request.user, cycle=cycle)
    return redirect("performance:cycle-detail", pk=cycle.pk)


@login_required
def scorecard(request: HttpRequest) -> HttpResponse:
    """``?employee=<id>`` (default: oneself) and ``?cycle=<id>`` (default: latest)."""
    scope = scope_for(request.user)
    employee_id = request.GET.get("employee") or scope.own_employee_id
    if not employee_id or not str(employee_id).isdigit():
        raise NotFound()
    employee = access_employee(request.user, int(employee_id))
    cycle = request.GET.get("cycle")
    card = (
        scorecard_for_cycle(int(cycle), employee.pk)
        if cycle and cycle.isdigit()
        else employee_latest_result(employee.pk)
    )
    if card is not None and not card.published and not can_run_cycles(request.user):
        card = None
    trend = {
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": [t["cycle"] for t in card.trend] if card else []},
        "yAxis": {"type": "value"},
        "series": [{"type": "line", "data": [t["total"] for t in card.trend] if card else []}],
    }
    return render(
        request,
        "performance/cycles/scorecard.html",
        {"card": card, "employee": employee, "trend": trend},
    )
