"""Goals over the API: the cascade, progress pushes from outside systems, notes, pace, points.

Every read is limited to what the caller may see (``goals_visible_to``, ``employees_visible_to``);
writes check the caller's right to manage the goal's unit. Outside systems push a key result's
value with ``POST /goals/{id}/progress`` (a token of a user who manages the unit).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from heng.core.api import ERRORS, BoundedPagination
from heng.core.errors import NotFound, PermissionDenied, ValidationFailed
from heng.goals import services
from heng.goals.checks import pace_check
from heng.goals.models import Goal, GoalStatus, PaceAlert, PaceRun, ProgressNote, Recognition
from heng.goals.permissions import (
    access_goal,
    access_person,
    goals_visible_to,
    is_company_manager,
)
from heng.goals.selectors import (
    Node,
    employee_dashboard,
    goal_holders,
    team_overview,
    tree_for_person,
)
from heng.org.models import Position
from heng.org.permissions import access_unit
from heng.people.permissions import employees_visible_to
from heng.performance.models import Indicator

router = Router(tags=["goals"])


# --- schemas ---------------------------------------------------------------------------------
class GoalOut(Schema):
    id: int
    kind: str
    parent_id: int | None
    unit_id: int
    unit_name: str
    title: str
    description: str
    owner_id: int | None
    start_date: dt.date
    end_date: dt.date
    status: str
    weight: Decimal | None
    measure_unit: str
    start_value: float | None
    target_value: float | None
    current_value: float | None
    indicator_code: str | None
    position_id: int | None
    cadence: str
    pace_mode: str
    alert_threshold: Decimal | None
    reward_points: int
    progress: float | None
    progress_at: dt.datetime | None


def _out(goal: Goal) -> dict[str, Any]:
    return {
        **{f: getattr(goal, f) for f in GoalOut.model_fields if hasattr(goal, f)},
        "unit_name": goal.unit.name,
        "indicator_code": goal.indicator.code if goal.indicator else None,
    }


class GoalIn(Schema):
    kind: str
    unit_id: int
    title: str = Field(max_length=200)
    start_date: dt.date
    end_date: dt.date
    parent_id: int | None = None
    description: str = ""
    owner_id: int | None = None
    weight: Decimal | None = None
    sibling_weights: dict[int, Decimal] | None = None
    measure_unit: str = ""
    start_value: float | None = None
    target_value: float | None = None
    indicator_code: str | None = None
    aggregate: str = "mean"
    position_id: int | None = None
    cadence: str = "month"
    pace_mode: str = "cumulative"
    alert_threshold: Decimal | None = None
    reward_points: int = Field(0, ge=0, le=100_000)
    assignee_ids: list[int] = []


class GoalPatch(Schema):
    title: str | None = Field(None, max_length=200)
    description: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    owner_id: int | None = None
    measure_unit: str | None = None
    start_value: float | None = None
    target_value: float | None = None
    indicator_code: str | None = None
    position_id: int | None = None
    cadence: str | None = None
    pace_mode: str | None = None
    alert_threshold: Decimal | None = None
    reward_points: int | None = Field(None, ge=0, le=100_000)
    parent_id: int | None = None
    status: str | None = None


class WeightsIn(Schema):
    weights: dict[int, Decimal] | None = None


class AssigneeIn(Schema):
    employee_id: int
    target_value: float | None = None


class NoteIn(Schema):
    text: str = Field("", max_length=4000)
    numbers: dict[str, float] = {}


class ProgressIn(Schema):
    value: float
    text: str = Field("", max_length=4000)
    source: str = Field("", max_length=60)


class NoteOut(Schema):
    id: int
    goal_id: int
    employee_id: int | None
    author: str | None
    text: str
    numbers: dict[str, float]
    value: float | None
    source: str
    created_at: dt.datetime


def _note(note: ProgressNote) -> dict[str, Any]:
    return {
        "id": note.pk,
        "goal_id": note.goal_id,
        "employee_id": note.employee_id,
        "author": note.author.username if note.author else None,
        "text": note.text,
        "numbers": note.numbers,
        "value": note.value,
        "source": note.source,
        "created_at": note.created_at,
    }


class FiguresOut(Schema):
    goal_id: int
    employee_id: int
    name: str = ""
    period_start: dt.date
    period_end: dt.date
    target: float | None
    actual: float | None
    expected: float | None
    attainment: float | None
    progress: float | None
    threshold: float
    breached: bool | None


class TreeNodeOut(Schema):
    id: int
    kind: str
    title: str
    unit_name: str
    progress: float | None
    mine: FiguresOut | None = None
    children: list[TreeNodeOut] = []


def _tree(nodes: list[Node]) -> list[dict[str, Any]]:
    return [
        {
            "id": n.goal.pk,
            "kind": n.goal.kind,
            "title": n.goal.title,
            "unit_name": n.goal.unit.name,
            "progress": n.goal.progress,
            "mine": n.mine,
            "children": _tree(n.children),
        }
        for n in nodes
    ]


class AlertOut(Schema):
    id: int
    goal_id: int
    goal_title: str
    employee_id: int
    indicator_code: str
    period_start: dt.date
    period_end: dt.date
    as_of: dt.date
    actual: float
    expected: float
    target: float
    threshold: float
    attainment: float
    created_at: dt.datetime


class RecognitionIn(Schema):
    employee_id: int
    points: int
    message: str = Field(max_length=300)
    goal_id: int | None = None


class RecognitionOut(Schema):
    id: int
    employee_id: int
    points: int
    message: str
    goal_id: int | None
    granted_by: str | None
    created_at: dt.datetime


def _recognition(r: Recognition) -> dict[str, Any]:
    return {
        "id": r.pk,
        "employee_id": r.employee_id,
        "points": r.points,
        "message": r.message,
        "goal_id": r.goal_id,
        "granted_by": r.granted_by.username if r.granted_by else None,
        "created_at": r.created_at,
    }


class DashboardOut(Schema):
    employee_id: int
    as_of: dt.date
    goals: list[dict[str, Any]]
    off_pace: list[dict[str, Any]]
    points_total: int
    points: list[RecognitionOut]
    standing: dict[str, Any] | None
    published: dict[str, Any] | None


class TeamOut(Schema):
    unit_id: int
    as_of: dt.date
    off_pace: int
    kpis: list[dict[str, Any]]
    people: list[dict[str, Any]]


class PaceRunOut(Schema):
    id: int
    started_at: dt.datetime
    trigger: str
    as_of: dt.date
    rows: int
    fired: int
    recovered: int
    seconds: float


class PaceRunIn(Schema):
    as_of: dt.date | None = None


# --- helpers ---------------------------------------------------------------------------------
def _indicator(code: str | None) -> Indicator | None:
    if code is None:
        return None
    found = Indicator.objects.filter(code=code).first()
    if found is None:
        raise ValidationFailed(
            _("Unknown indicator %(code)s.") % {"code": code},
            code="unknown_indicator",
            fields={"indicator_code": _("Unknown indicator.")},
        )
    return found


def _position(position_id: int | None) -> Position | None:
    if position_id is None:
        return None
    found = Position.objects.filter(pk=position_id).first()
    if found is None:
        raise ValidationFailed(
            _("Unknown position."), code="unknown_position", fields={"position_id": ""}
        )
    return found


# --- the cascade ---------------------------------------------------------------------------
@router.get("/goals", response={200: list[GoalOut], **ERRORS})
@paginate(BoundedPagination)
def list_goals(
    request: HttpRequest,
    kind: str = "",
    unit_id: int | None = None,
    parent_id: int | None = None,
    archived: bool = False,
) -> Any:
    rows = goals_visible_to(request.user).select_related("unit", "indicator")
    if not archived:
        rows = rows.filter(status=GoalStatus.ACTIVE)
    if kind:
        rows = rows.filter(kind=kind)
    if unit_id is not None:
        rows = rows.filter(unit_id=unit_id)
    if parent_id is not None:
        rows = rows.filter(parent_id=parent_id)
    return [_out(g) for g in rows.order_by("pk")]


@router.post("/goals", response={201: GoalOut, **ERRORS})
def create_goal(request: HttpRequest, payload: GoalIn) -> Any:
    data = payload.dict()
    unit = access_unit(request.user, data.pop("unit_id"))
    parent_id = data.pop("parent_id")
    parent = access_goal(request.user, parent_id) if parent_id is not None else None
    owner_id = data.pop("owner_id")
    assignees = [access_person(request.user, pk) for pk in data.pop("assignee_ids")]
    goal = services.goal_create(
        actor=request.user,
        unit=unit,
        parent=parent,
        owner=access_person(request.user, owner_id) if owner_id is not None else None,
        indicator=_indicator(data.pop("indicator_code")),
        position=_position(data.pop("position_id")),
        assignees=assignees,
        **data,
    )
    return Status(201, _out(goal))


@router.get("/goals/{goal_id}", response={200: GoalOut, **ERRORS})
def get_goal(request: HttpRequest, goal_id: int) -> Any:
    return _out(access_goal(request.user, goal_id))


@router.patch("/goals/{goal_id}", response={200: GoalOut, **ERRORS})
def patch_goal(request: HttpRequest, goal_id: int, payload: GoalPatch) -> Any:
    """Change fields, move (``parent_id``; 0 = to the top) or archive/restore (``status``)."""
    goal = access_goal(request.user, goal_id)
    data = payload.dict(exclude_unset=True)
    parent_id = data.pop("parent_id", None)
    status = data.pop("status", None)
    if "indicator_code" in data:
        data["indicator"] = _indicator(data.pop("indicator_code"))
    if "position_id" in data:
        data["position"] = _position(data.pop("position_id"))
    if "owner_id" in data:
        owner_id = data.pop("owner_id")
        data["owner"] = access_person(request.user, owner_id) if owner_id else None
    if data:
        goal = services.goal_update(actor=request.user, goal=goal, **data)
    if parent_id is not None:
        parent = access_goal(request.user, parent_id) if parent_id else None
        goal = services.goal_move(actor=request.user, goal=goal, parent=parent)
    if status is not None:
        if status not in GoalStatus.values:
            raise ValidationFailed(_("Unknown status."), code="goal_invalid", fields={"status": ""})
        goal = services.goal_archive(
            actor=request.user, goal=goal, archived=status == GoalStatus.ARCHIVED
        )
    return _out(access_goal(request.user, goal.pk))


@router.put("/goals/{goal_id}/weights", response={200: list[GoalOut], **ERRORS})
def put_weights(request: HttpRequest, goal_id: int, payload: WeightsIn) -> Any:
    """Weights of the goal's children: all of them, adding up to 100 (or null: equal)."""
    parent = access_goal(request.user, goal_id)
    children = services.goal_weights_set(actor=request.user, parent=parent, weights=payload.weights)
    return [_out(access_goal(request.user, c.pk)) for c in children]


@router.post("/goals/{goal_id}/assignees", response={201: dict[str, Any], **ERRORS})
def add_assignee(request: HttpRequest, goal_id: int, payload: AssigneeIn) -> Any:
    goal = access_goal(request.user, goal_id)
    employee = access_person(request.user, payload.employee_id)
    services.goal_assign(
        actor=request.user, goal=goal, employee=employee, target_value=payload.target_value
    )
    return Status(201, {"goal_id": goal.pk, "employee_id": employee.pk})


@router.delete("/goals/{goal_id}/assignees/{employee_id}", response={204: None, **ERRORS})
def remove_assignee(request: HttpRequest, goal_id: int, employee_id: int) -> Any:
    goal = access_goal(request.user, goal_id)
    services.goal_assign(
        actor=request.user,
        goal=goal,
        employee=access_person(request.user, employee_id),
        remove=True,
    )
    return Status(204, None)


@router.get("/goals/{goal_id}/holders", response={200: list[FiguresOut], **ERRORS})
def holders(request: HttpRequest, goal_id: int, as_of: dt.date | None = None) -> Any:
    """Live numbers of every holder of a KPI that the caller may see."""
    goal = access_goal(request.user, goal_id)
    return goal_holders(goal, employees_visible_to(request.user), as_of=as_of)


# --- progress ---------------------------------------------------------------------------------
@router.get("/goals/{goal_id}/notes", response={200: list[NoteOut], **ERRORS})
@paginate(BoundedPagination)
def list_notes(request: HttpRequest, goal_id: int) -> Any:
    goal = access_goal(request.user, goal_id)
    visible = employees_visible_to(request.user).values("pk")
    rows = goal.notes.select_related("author").filter(
        Q(employee_id__in=visible) | Q(employee__isnull=True)
    )
    return [_note(n) for n in rows.order_by("-created_at", "-id")]


@router.post("/goals/{goal_id}/notes", response={201: NoteOut, **ERRORS})
def post_note(request: HttpRequest, goal_id: int, payload: NoteIn) -> Any:
    goal = access_goal(request.user, goal_id)
    note = services.progress_note_post(
        actor=request.user, goal=goal, text=payload.text, numbers=payload.numbers
    )
    return Status(201, _note(note))


@router.post("/goals/{goal_id}/progress", response={201: NoteOut, **ERRORS})
def push_progress(request: HttpRequest, goal_id: int, payload: ProgressIn) -> Any:
    """A new value for a key result measured by hand (e.g. pushed by a CRM every night)."""
    goal = access_goal(request.user, goal_id)
    note = services.kr_value_update(
        actor=request.user,
        goal=goal,
        value=payload.value,
        text=payload.text,
        source=payload.source or "api",
    )
    return Status(201, _note(note))


# --- people ----------------------------------------------------------------------------------
@router.get("/goals-tree", response={200: list[TreeNodeOut], **ERRORS})
def goal_tree(request: HttpRequest, employee_id: int | None = None) -> Any:
    """The chain from a person's goals (default: mine) up to the company goal."""
    own = getattr(request.user, "employee_id", None)
    target = employee_id if employee_id is not None else own
    if target is None:
        raise NotFound()
    nodes, _figures = tree_for_person(access_person(request.user, target))
    return _tree(nodes)


def _dashboard(employee: Any) -> dict[str, Any]:
    data = employee_dashboard(employee)
    standing = data["standing"]
    return {
        "employee_id": employee.pk,
        "as_of": data["as_of"],
        "goals": [
            {
                "goal_id": g["goal"].pk,
                "title": g["goal"].title,
                "headline": g["headline"],
                **{
                    k: g["mine"][k]
                    for k in ("target", "actual", "expected", "progress", "attainment", "breached")
                },
            }
            for g in data["goals"]
        ],
        "off_pace": [
            {
                "goal_id": s.goal_id,
                "title": s.goal.title,
                "actual": s.actual,
                "expected": s.expected,
                "attainment": s.attainment,
                "since": s.breached_at,
            }
            for s in data["off_pace"]
        ],
        "points_total": data["points_total"],
        "points": [_recognition(r) for r in data["points"]],
        "standing": (
            {
                "cycle": standing.cycle_name,
                "total": standing.total,
                "rank": standing.rank,
                "group_size": standing.group_size,
            }
            if standing.cycle_name
            else None
        ),
        "published": standing.published,
    }


@router.get("/goals-dashboard/me", response={200: DashboardOut, **ERRORS})
def my_dashboard(request: HttpRequest) -> Any:
    own = getattr(request.user, "employee_id", None)
    if own is None:
        raise NotFound()
    return _dashboard(access_person(request.user, own))


@router.get("/goals-dashboard/people/{employee_id}", response={200: DashboardOut, **ERRORS})
def person_dashboard(request: HttpRequest, employee_id: int) -> Any:
    return _dashboard(access_person(request.user, employee_id))


@router.get("/goals-dashboard/units/{unit_id}", response={200: TeamOut, **ERRORS})
def unit_dashboard(request: HttpRequest, unit_id: int) -> Any:
    """A unit's KPIs and who is off pace (people the caller may see)."""
    unit = access_unit(request.user, unit_id)
    data = team_overview(unit, employees_visible_to(request.user))
    return {
        "unit_id": unit.pk,
        "as_of": data["as_of"],
        "off_pace": data["off_pace"],
        "kpis": data["kpis"],
        "people": data["people"],
    }


@router.get("/pace-alerts", response={200: list[AlertOut], **ERRORS})
@paginate(BoundedPagination)
def list_alerts(request: HttpRequest, employee_id: int | None = None) -> Any:
    """Alerts of the people the caller may see, newest first."""
    rows = PaceAlert.objects.filter(employee__in=employees_visible_to(request.user))
    if employee_id is not None:
        rows = rows.filter(employee_id=employee_id)
    return [
        {
            **{f: getattr(a, f) for f in AlertOut.model_fields if hasattr(a, f)},
            "goal_title": a.goal.title,
            "indicator_code": a.indicator.code,
        }
        for a in rows.select_related("goal", "indicator")
    ]


@router.get("/recognitions", response={200: list[RecognitionOut], **ERRORS})
@paginate(BoundedPagination)
def list_recognitions(request: HttpRequest, employee_id: int | None = None) -> Any:
    rows = Recognition.objects.filter(employee__in=employees_visible_to(request.user))
    if employee_id is not None:
        rows = rows.filter(employee_id=employee_id)
    return [_recognition(r) for r in rows.select_related("granted_by")]


@router.post("/recognitions", response={201: RecognitionOut, **ERRORS})
def grant_recognition(request: HttpRequest, payload: RecognitionIn) -> Any:
    employee = access_person(request.user, payload.employee_id)
    goal = access_goal(request.user, payload.goal_id) if payload.goal_id else None
    grant = services.recognition_grant(
        actor=request.user,
        employee=employee,
        points=payload.points,
        message=payload.message,
        goal=goal,
    )
    return Status(201, _recognition(grant))


@router.get("/pace-checks", response={200: list[PaceRunOut], **ERRORS})
@paginate(BoundedPagination)
def list_runs(request: HttpRequest) -> Any:
    if not is_company_manager(request.user):
        raise PermissionDenied()
    return PaceRun.objects.all()


@router.post("/pace-checks", response={201: PaceRunOut, **ERRORS})
def run_check(request: HttpRequest, payload: PaceRunIn) -> Any:
    """Run the pace check now (HR admins; it also runs after every ingestion and hourly)."""
    if not is_company_manager(request.user):
        raise PermissionDenied()
    return Status(201, pace_check(as_of=payload.as_of, trigger="api"))


# --- pace thresholds: KPI (on the goal) > indicator > scheme > default -----------------------
class ThresholdIn(Schema):
    threshold: Decimal | None = Field(None, description="share of the pace, e.g. 0.70; null: unset")


class ThresholdsOut(Schema):
    default: float
    indicators: dict[str, float]
    schemes: dict[str, float]


def _thresholds() -> dict[str, Any]:
    from heng.goals.evaluation import default_threshold
    from heng.goals.models import IndicatorPace, SchemePace

    return {
        "default": default_threshold(),
        "indicators": {
            code: float(t)
            for code, t in IndicatorPace.objects.values_list("indicator__code", "alert_threshold")
        },
        "schemes": {
            code: float(t)
            for code, t in SchemePace.objects.values_list("scheme__code", "alert_threshold")
        },
    }


@router.get("/pace-thresholds", response={200: ThresholdsOut, **ERRORS})
def list_thresholds(request: HttpRequest) -> Any:
    """Alert thresholds set per indicator and per scheme (a KPI's own is on the goal)."""
    if not is_company_manager(request.user):
        raise PermissionDenied()
    return _thresholds()


@router.put("/pace-thresholds/indicators/{code}", response={200: ThresholdsOut, **ERRORS})
def put_indicator_threshold(request: HttpRequest, code: str, payload: ThresholdIn) -> Any:
    if not is_company_manager(request.user):
        raise PermissionDenied()
    indicator = Indicator.objects.filter(code=code).first()
    if indicator is None:
        raise NotFound()
    services.indicator_threshold_set(
        actor=request.user, indicator=indicator, threshold=payload.threshold
    )
    return _thresholds()


@router.put("/pace-thresholds/schemes/{code}", response={200: ThresholdsOut, **ERRORS})
def put_scheme_threshold(request: HttpRequest, code: str, payload: ThresholdIn) -> Any:
    from heng.performance.models import Scheme

    if not is_company_manager(request.user):
        raise PermissionDenied()
    scheme = Scheme.objects.filter(code=code).first()
    if scheme is None:
        raise NotFound()
    services.scheme_threshold_set(actor=request.user, scheme=scheme, threshold=payload.threshold)
    return _thresholds()
