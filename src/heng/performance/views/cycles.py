"""Pages: cycles (list, create, detail with the lifecycle buttons, scoring progress and the
distribution chart, XLSX export) and the scorecard (own or, for managers, anyone in scope)
with the trend line."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from heng.accounts.scope import scope_for
from heng.core.errors import ApplicationError, NotFound
from heng.people.permissions import access_employee
from heng.performance.api.cycles import _hr, access_cycle, can_run_cycles
from heng.performance.cycle_forms import CycleForm, place_errors
from heng.performance.models import Cycle, CycleState, Result
from heng.performance.selectors.cycles import (
    cycle_distribution,
    results_released,
    results_visible_to,
    review_progress,
    sees_unpublished,
)
from heng.performance.selectors.export import cycle_export_xlsx
from heng.performance.selectors.scorecard import employee_latest_result, scorecard_for_cycle
from heng.performance.services.calibration import cycle_publish
from heng.performance.services.cycles import (
    STEPS,
    cycle_advance,
    cycle_create,
    cycle_open,
    missing_manual,
)
from heng.performance.services.scoring import cycle_score_enqueue

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The lifecycle buttons: target state → label (in lifecycle order).
STEP_LABELS = {
    CycleState.OPEN: gettext_lazy("Open the cycle"),
    CycleState.SELF_REVIEW: gettext_lazy("Start self review"),
    CycleState.MANAGER_SCORING: gettext_lazy("Start manager scoring"),
    CycleState.CALIBRATION: gettext_lazy("Start calibration"),
    CycleState.PUBLISHED: gettext_lazy("Publish"),
    CycleState.ARCHIVED: gettext_lazy("Archive"),
}


def next_steps(cycle: Cycle) -> list[str]:
    """The states the cycle may move to now (the services re-check under a row lock)."""
    sources = {
        CycleState.OPEN: (CycleState.DRAFT,),
        CycleState.PUBLISHED: (CycleState.CALIBRATION,),
        **{to: src for to, (_method, src) in STEPS.items()},
    }
    return [str(to) for to in STEP_LABELS if cycle.state in sources.get(to, ())]


def cycle_transition_run(*, actor: Any, cycle: Cycle, to: str, excuse: str = "") -> Cycle:
    """One lifecycle step by its target state, as the API's ``transitions`` endpoint."""
    if to == CycleState.OPEN:
        return cycle_open(actor=actor, cycle=cycle)
    if to == CycleState.PUBLISHED:
        cycle_publish(actor=actor, cycle=cycle, excuse=excuse)
        cycle.refresh_from_db()
        return cycle
    return cycle_advance(actor=actor, cycle=cycle, to=to)


@login_required
def cycle_list(request: HttpRequest) -> HttpResponse:
    if scope_for(request.user).is_empty:
        raise NotFound()
    return render(
        request,
        "performance/cycles/list.html",
        {"cycles": Cycle.objects.all(), "can_run": can_run_cycles(request.user)},
    )


@login_required
def cycle_new(request: HttpRequest) -> HttpResponse:
    """HR creates a draft cycle: period, cadence, population by units and/or positions."""
    _hr(request.user)
    form = CycleForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                cycle = cycle_create(actor=request.user, **form.service_kwargs())
            except ApplicationError as exc:
                place_errors(form, exc, CycleForm.ALIASES)
                status = exc.status
            else:
                messages.success(request, _("Cycle %(code)s created.") % {"code": cycle.code})
                return redirect("performance:cycle-detail", pk=cycle.pk)
    return render(request, "performance/cycles/new.html", {"form": form}, status=status)


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


def detail_context(request: HttpRequest, cycle: Cycle, **extra: Any) -> dict[str, Any]:
    """The detail page's context. Results (table, chart, distribution) only for people who
    may see them: after publication everyone in scope, before it managers only."""
    scope = scope_for(request.user)
    results = results_visible_to(request.user, cycle)
    ids = results.values("participant_id")
    can_run = can_run_cycles(request.user)
    manager = sees_unpublished(request.user)
    steps = next_steps(cycle) if can_run else []
    missing = (
        len(missing_manual(cycle))
        if can_run and CycleState.PUBLISHED in steps and cycle.indicators
        else 0
    )
    return {
        "cycle": cycle,
        "can_run": can_run,
        "released": results_released(cycle),
        "sees_results": manager or results_released(cycle),
        "can_calibrate": manager and cycle.results.exists(),
        "steps": [{"to": to, "label": STEP_LABELS[CycleState(to)]} for to in steps],
        "steps_to": steps,
        "missing_manual": missing,
        "results": results.select_related("participant", "participant__unit").order_by(
            "participant__unit_path", "rank", "participant__employee_no"
        ),
        "reviews": review_progress(cycle),
        "distribution": cycle_distribution(
            cycle,
            by=request.GET.get("by", "unit"),
            paths=None if scope.company_wide else list(scope.unit_paths),
        )
        if manager
        else [],
        "chart": _histogram(cycle, ids),
        "step_error": None,
        "excuse": "",
        **extra,
    }


@login_required
def cycle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = access_cycle(request.user, pk)
    if getattr(request, "htmx", False) and request.GET.get("part") == "progress":
        return render(request, "performance/cycles/_progress.html", {"cycle": cycle})
    return render(request, "performance/cycles/detail.html", detail_context(request, cycle))


@login_required
@require_POST
def cycle_transition(request: HttpRequest, pk: int) -> HttpResponse:
    """One lifecycle button (``to`` = target state; ``excuse`` with publishing). A refusal
    re-renders the page with the service's message next to that button; nothing changes."""
    cycle = access_cycle(request.user, pk)
    _hr(request.user)
    to = request.POST.get("to", "")
    excuse = request.POST.get("excuse", "")
    try:
        cycle = cycle_transition_run(actor=request.user, cycle=cycle, to=to, excuse=excuse)
    except ApplicationError as exc:
        cycle.refresh_from_db()
        error = {"to": to, "code": exc.code, "message": exc.message, "fields": exc.fields}
        context = detail_context(request, cycle, step_error=error, excuse=excuse)
        return render(request, "performance/cycles/detail.html", context, status=exc.status)
    messages.success(
        request, _("The cycle is now: %(state)s.") % {"state": cycle.get_state_display()}
    )
    return redirect("performance:cycle-detail", pk=cycle.pk)


@login_required
def cycle_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Results to XLSX (one row per participant) for payroll and archives; HR only."""
    cycle = access_cycle(request.user, pk)
    _hr(request.user)
    response = HttpResponse(cycle_export_xlsx(cycle), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="cycle-{cycle.code}.xlsx"'
    return response


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
