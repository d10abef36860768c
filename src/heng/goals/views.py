"""Pages: my goals, a person's goals (drill-down), the goal tree, a unit at a glance, a goal."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heng.accounts.scope import scope_for
from heng.core.errors import ApplicationError, NotFound, PermissionDenied
from heng.goals import services
from heng.goals.forms import GoalForm, NoteForm, PointsForm
from heng.goals.models import Goal, GoalKind, GoalStatus, PaceAlert
from heng.goals.permissions import (
    access_goal,
    access_person,
    can_manage_at,
    can_post_progress,
    can_recognise,
    goals_visible_to,
    manageable_units,
)
from heng.goals.selectors import (
    employee_dashboard,
    goal_holders,
    team_overview,
    tree_for_person,
    tree_visible,
)
from heng.org.models import OrgUnit
from heng.org.permissions import access_unit, units_visible_to
from heng.people.permissions import employees_visible_to


def _own(request: HttpRequest) -> int | None:
    return getattr(request.user, "employee_id", None)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if _own(request) is not None:
        return redirect("goals:me")
    scope = scope_for(request.user)
    if scope.company_wide or scope.unit_paths:
        return redirect("goals:team")
    return redirect("goals:tree")


def _dashboard(request: HttpRequest, employee: Any, *, mine: bool) -> HttpResponse:
    form = PointsForm()
    allowed = can_recognise(request.user, employee)
    if request.method == "POST":
        if not allowed:
            raise PermissionDenied(_("Only the person's managers may grant points."))
        form = PointsForm(request.POST)
        if form.is_valid():
            try:
                services.recognition_grant(
                    actor=request.user, employee=employee, **form.cleaned_data
                )
                messages.success(request, _("Points granted."))
                return redirect("goals:person", employee.pk)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
    data = employee_dashboard(employee)
    context = {**data, "mine": mine, "points_form": form if allowed else None}
    return render(request, "goals/dashboard.html", context, status=422 if form.errors else 200)


@login_required
def me(request: HttpRequest) -> HttpResponse:
    own = _own(request)
    if own is None:
        raise NotFound(_("Your login is not linked to an employee."))
    return _dashboard(request, access_person(request.user, own), mine=True)


@login_required
def person(request: HttpRequest, employee_id: int) -> HttpResponse:
    employee = access_person(request.user, employee_id)
    return _dashboard(request, employee, mine=employee.pk == _own(request))


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    raw_employee = request.GET.get("employee", "")
    raw_unit = request.GET.get("unit", "")
    employee = unit = None
    if raw_employee.isdigit():
        employee = access_person(request.user, int(raw_employee))
        nodes, _figures = tree_for_person(employee)
    else:
        unit = access_unit(request.user, int(raw_unit)) if raw_unit.isdigit() else None
        nodes = tree_visible(goals_visible_to(request.user), unit=unit)
    context = {"nodes": nodes, "employee": employee, "unit": unit}
    return render(request, "goals/tree.html", context)


def _default_unit(request: HttpRequest) -> OrgUnit | None:
    scope = scope_for(request.user)
    if scope.unit_paths:
        return OrgUnit.objects.filter(path=scope.unit_paths[0]).first()
    if scope.company_wide:
        return OrgUnit.objects.get_first_root_node()
    own = _own(request)
    if own is not None:
        return access_person(request.user, own).unit
    return None


def _charts(data: dict[str, Any]) -> dict[str, Any]:
    kpis, people = data["kpis"], data["people"]
    progress = [k["progress"] for k in kpis if k["progress"] is not None]
    mean = round(100 * sum(progress) / len(progress)) if progress else 0
    gauge = {
        "series": [
            {
                "type": "gauge",
                "min": 0,
                "max": 100,
                "progress": {"show": True, "width": 14},
                "axisLine": {"lineStyle": {"width": 14}},
                "detail": {"formatter": "{value}%", "fontSize": 22},
                "data": [{"value": mean, "name": _("Average progress")}],
            }
        ]
    }
    kpi_bars = {
        "grid": {"left": 8, "right": 24, "containLabel": True},
        "tooltip": {},
        "xAxis": {"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}},
        "yAxis": {"type": "category", "data": [k["title"] for k in kpis]},
        "series": [
            {
                "type": "bar",
                "name": _("Progress"),
                "data": [
                    None if k["progress"] is None else round(100 * k["progress"]) for k in kpis
                ],
            }
        ],
    }
    people_bars = {
        "grid": {"left": 8, "right": 24, "containLabel": True},
        "tooltip": {},
        "xAxis": {"type": "value", "axisLabel": {"formatter": "{value}%"}},
        "yAxis": {"type": "category", "inverse": True, "data": [p["name"] for p in people[:30]]},
        "series": [
            {
                "type": "bar",
                "name": _("Weakest KPI, share of the pace"),
                "data": [
                    {
                        "value": None if p["worst"] is None else round(100 * p["worst"]),
                        "itemStyle": {"color": "#c0392b" if p["off_pace"] else "#2f8f5b"},
                    }
                    for p in people[:30]
                ],
                "markLine": {"symbol": "none", "data": [{"xAxis": 70}]},
            }
        ],
    }
    return {"gauge": gauge, "kpi_bars": kpi_bars, "people_bars": people_bars}


@login_required
def team(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("unit", "")
    unit = access_unit(request.user, int(raw)) if raw.isdigit() else _default_unit(request)
    if unit is None:
        raise NotFound()
    data = team_overview(unit, employees_visible_to(request.user))
    units = units_visible_to(request.user).exclude(kind="store").order_by("path")[:300]
    context = {**data, "charts": _charts(data), "units": units}
    return render(request, "goals/team.html", context)


@login_required
def detail(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = access_goal(request.user, goal_id)
    visible = goals_visible_to(request.user)
    people = employees_visible_to(request.user)
    notes = goal.notes.select_related("author", "employee").filter(
        Q(employee__in=people) | Q(employee__isnull=True)
    )[:50]
    context = {
        "goal": goal,
        "chain": _chain(goal, visible),
        "children": visible.filter(parent=goal)
        .select_related("unit", "indicator")
        .order_by("kind", "title"),
        "holders": goal_holders(goal, people) if goal.kind == GoalKind.KPI else [],
        "notes": notes,
        "can_post": can_post_progress(request.user, goal),
        "can_manage": can_manage_at(request.user, goal.unit),
        "manual": goal.kind == GoalKind.KEY_RESULT and goal.indicator_id is None,
        "note_form": NoteForm(),
    }
    return render(request, "goals/detail.html", context)


def _chain(goal: Goal, visible: Any) -> list[Goal]:
    chain: list[Goal] = []
    current = goal.parent
    while current is not None and len(chain) < 50:
        chain.append(current)
        current = current.parent
    allowed = set(visible.filter(pk__in=[g.pk for g in chain]).values_list("pk", flat=True))
    return [g for g in reversed(chain) if g.pk in allowed]


@login_required
@require_POST
def post_note(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = access_goal(request.user, goal_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        numbers = {}
        if data["number_label"] and data["number_value"] is not None:
            numbers[data["number_label"]] = data["number_value"]
        try:
            services.progress_note_post(
                actor=request.user,
                goal=goal,
                text=data["text"],
                numbers=numbers,
                value=data["value"],
            )
            messages.success(request, _("Progress posted."))
        except ApplicationError as exc:
            if isinstance(exc, PermissionDenied | NotFound):
                raise
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Some fields are invalid."))
    return redirect("goals:detail", goal.pk)


@login_required
@require_POST
def set_weights(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = access_goal(request.user, goal_id)
    weights: dict[int, str] | None = {
        int(k[2:]): str(request.POST.get(k, ""))
        for k in request.POST
        if k.startswith("w-") and k[2:].isdigit()
    }
    if request.POST.get("equal") or not any(v.strip() for v in (weights or {}).values()):
        weights = None
    try:
        services.goal_weights_set(actor=request.user, parent=goal, weights=weights)
        messages.success(request, _("Weights saved."))
    except ApplicationError as exc:
        if isinstance(exc, PermissionDenied | NotFound):
            raise
        messages.error(request, exc.message)
    return redirect("goals:detail", goal.pk)


@login_required
@require_POST
def archive(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = access_goal(request.user, goal_id)
    services.goal_archive(actor=request.user, goal=goal, archived=goal.status == GoalStatus.ACTIVE)
    return redirect("goals:detail", goal.pk)


def _form(request: HttpRequest, data: Any = None, initial: Any = None) -> GoalForm:
    units = manageable_units(request.user).order_by("path")[:500]
    parents = (
        goals_visible_to(request.user)
        .filter(status=GoalStatus.ACTIVE)
        .exclude(kind=GoalKind.KPI)
        .order_by("kind", "title")[:500]
    )
    return GoalForm(data, initial=initial, units=units, parents=parents)


@login_required
def create(request: HttpRequest) -> HttpResponse:
    if not manageable_units(request.user).exists():
        raise PermissionDenied(_("You do not manage any unit's goals."))
    initial = {"parent": request.GET.get("parent"), "kind": request.GET.get("kind", "objective")}
    form = _form(request, request.POST or None, initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        parent = access_goal(request.user, data["parent"]) if data.get("parent") else None
        try:
            goal = services.goal_create(
                actor=request.user,
                kind=data["kind"],
                title=data["title"],
                unit=access_unit(request.user, data["unit"]),
                parent=parent,
                start_date=data["start_date"],
                end_date=data["end_date"],
                weight=data.get("weight"),
                **form.values(),
            )
            return redirect("goals:detail", goal.pk)
        except ApplicationError as exc:
            if isinstance(exc, PermissionDenied | NotFound):
                raise
            form.add_error(None, exc.message)
            for name, text in exc.fields.items():
                if name.removesuffix("_id") in form.fields and text:
                    form.add_error(name.removesuffix("_id"), text)
    return render(request, "goals/form.html", {"form": form}, status=422 if form.errors else 200)


@login_required
def edit(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = access_goal(request.user, goal_id)
    if not can_manage_at(request.user, goal.unit):
        raise PermissionDenied()
    initial = {
        f: getattr(goal, f)
        for f in (
            "kind",
            "title",
            "description",
            "start_date",
            "end_date",
            "weight",
            "measure_unit",
            "start_value",
            "target_value",
            "indicator",
            "position",
            "cadence",
            "pace_mode",
            "alert_threshold",
            "calendar",
            "reward_points",
        )
    }
    initial.update(unit=goal.unit_id, parent=goal.parent_id)
    form = _form(request, request.POST or None, initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.goal_update(
                actor=request.user,
                goal=goal,
                title=data["title"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                **form.values(),
            )
            return redirect("goals:detail", goal.pk)
        except ApplicationError as exc:
            if isinstance(exc, PermissionDenied | NotFound):
                raise
            form.add_error(None, exc.message)
    context = {"form": form, "goal": goal}
    return render(request, "goals/form.html", context, status=422 if form.errors else 200)


@login_required
def alerts(request: HttpRequest) -> HttpResponse:
    rows = PaceAlert.objects.filter(employee__in=employees_visible_to(request.user)).select_related(
        "goal", "indicator", "employee"
    )
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(request, "goals/alerts.html", {"page": page})
