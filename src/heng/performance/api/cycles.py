"""Cycles over the API: list, detail/progress, score, transitions, results, distribution,
scorecards, XLSX export and ledger verification."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from heng.accounts.scope import scope_for
from heng.core.api import ERRORS
from heng.core.errors import NotFound, PermissionDenied
from heng.people.permissions import access_employee
from heng.performance.models import Cycle, Result
from heng.performance.selectors.cycles import cycle_distribution, results_visible_to
from heng.performance.selectors.export import cycle_export_xlsx
from heng.performance.selectors.scorecard import (
    employee_latest_result,
    employee_projected_score,
    scorecard_for_cycle,
)
from heng.performance.services.calibration import cycle_publish, result_adjust
from heng.performance.services.cycles import cycle_advance, cycle_open
from heng.performance.services.ledger import ledger_verify
from heng.performance.services.scoring import cycle_score_enqueue

router = Router(tags=["performance: cycles"])


def can_run_cycles(user: Any) -> bool:
    return "hr_admin" in scope_for(user).roles


def access_cycle(user: Any, cycle_id: int) -> Cycle:
    """Any user with a scope sees cycles; the rows inside are scoped separately."""
    cycle = Cycle.objects.filter(pk=cycle_id).first()
    if cycle is None or scope_for(user).is_empty:
        raise NotFound()
    return cycle


def _hr(user: Any) -> None:
    if not can_run_cycles(user):
        raise PermissionDenied()


class CycleOut(Schema):
    id: int
    code: str
    name: str
    cadence: str
    period_start: dt.date
    period_end: dt.date
    state: str
    score_progress: int
    score_status: str
    score_message: str
    engine_version: str
    input_hash: str
    participants: int


def _out(c: Cycle) -> dict[str, Any]:
    return {
        **{f: getattr(c, f) for f in CycleOut.model_fields if f != "participants"},
        "participants": c.participants.count(),
    }


@router.get("/cycles", response={200: list[CycleOut], **ERRORS})
def cycles(request: HttpRequest) -> Any:
    if scope_for(request.user).is_empty:
        return []
    return [_out(c) for c in Cycle.objects.all()]


@router.get("/cycles/{cycle_id}", response={200: CycleOut, **ERRORS})
def cycle_detail(request: HttpRequest, cycle_id: int) -> Any:
    return _out(access_cycle(request.user, cycle_id))


class StepIn(Schema):
    to: str
    excuse: str = ""


@router.post("/cycles/{cycle_id}/transitions", response={200: CycleOut, **ERRORS})
def cycle_step(request: HttpRequest, cycle_id: int, body: StepIn) -> Any:
    """``to``: open / self_review / manager_scoring / calibration / published / archived."""
    cycle = access_cycle(request.user, cycle_id)
    _hr(request.user)
    if body.to == "open":
        cycle = cycle_open(actor=request.user, cycle=cycle)
    elif body.to == "published":
        cycle_publish(actor=request.user, cycle=cycle, excuse=body.excuse)
        cycle.refresh_from_db()
    else:
        cycle = cycle_advance(actor=request.user, cycle=cycle, to=body.to)
    return _out(cycle)


@router.post("/cycles/{cycle_id}/score", response={202: CycleOut, **ERRORS})
def cycle_score_start(request: HttpRequest, cycle_id: int) -> Any:
    """Queue scoring; poll ``GET /cycles/{id}`` for ``score_progress``."""
    cycle = access_cycle(request.user, cycle_id)
    _hr(request.user)
    cycle_score_enqueue(actor=request.user, cycle=cycle)
    cycle.refresh_from_db()
    return 202, _out(cycle)


class ResultOut(Schema):
    employee_id: int
    employee_no: str
    name: str
    unit: str
    total: Decimal
    final_total: Decimal
    rating: str
    rank: int
    group_size: int


@router.get("/cycles/{cycle_id}/results", response={200: list[ResultOut], **ERRORS})
def cycle_results(request: HttpRequest, cycle_id: int) -> Any:
    """Scoped; before publication only managers see results (never their own)."""
    cycle = access_cycle(request.user, cycle_id)
    rows = results_visible_to(request.user, cycle).select_related(
        "participant", "participant__unit"
    )
    return [
        {
            "employee_id": r.employee_id,
            "employee_no": r.participant.employee_no,
            "name": r.participant.name,
            "unit": r.participant.unit.name,
            "total": r.total,
            "final_total": r.final_total,
            "rating": r.final_rating,
            "rank": r.rank,
            "group_size": r.group_size,
        }
        for r in rows
    ]


@router.get("/cycles/{cycle_id}/distribution", response={200: list[dict[str, Any]], **ERRORS})
def distribution(request: HttpRequest, cycle_id: int, by: str = "unit") -> Any:
    cycle = access_cycle(request.user, cycle_id)
    scope = scope_for(request.user)
    if not scope.company_wide and not scope.unit_paths:
        raise NotFound()
    return cycle_distribution(
        cycle, by=by, paths=None if scope.company_wide else list(scope.unit_paths)
    )


class AdjustIn(Schema):
    reason: str
    total: Decimal | None = None
    rating: str | None = None


@router.post(
    "/cycles/{cycle_id}/results/{employee_id}/adjustments", response={201: dict[str, Any], **ERRORS}
)
def adjust(request: HttpRequest, cycle_id: int, employee_id: int, body: AdjustIn) -> Any:
    cycle = access_cycle(request.user, cycle_id)
    _hr(request.user)
    row = Result.objects.filter(cycle=cycle, employee_id=employee_id).first()
    if row is None:
        raise NotFound()
    made = result_adjust(
        actor=request.user, result=row, reason=body.reason, total=body.total, rating=body.rating
    )
    return 201, {
        "adjustments": [{"field": a.field, "old": a.old_value, "new": a.new_value} for a in made]
    }


@router.get("/cycles/{cycle_id}/export.xlsx", response={200: None, **ERRORS})
def export(request: HttpRequest, cycle_id: int) -> HttpResponse:
    cycle = access_cycle(request.user, cycle_id)
    _hr(request.user)
    resp = HttpResponse(
        cycle_export_xlsx(cycle),
        content_type=("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )
    resp["Content-Disposition"] = f'attachment; filename="cycle-{cycle.code}.xlsx"'
    return resp


def _card(card: Any) -> dict[str, Any] | None:
    if card is None:
        return None
    from dataclasses import asdict

    return asdict(card)


@router.get("/scorecards/{employee_id}", response={200: dict[str, Any] | None, **ERRORS})
def scorecard(request: HttpRequest, employee_id: int, cycle: int | None = None) -> Any:
    """The published scorecard (latest, or of ``cycle``) of an employee in the user's scope."""
    employee = access_employee(request.user, employee_id)
    if cycle is not None:
        card = scorecard_for_cycle(cycle, employee.pk)
        if card is not None and not card.published and not can_run_cycles(request.user):
            raise NotFound()
        return _card(card)
    return _card(employee_latest_result(employee.pk))


@router.get("/scorecards/{employee_id}/projection", response={200: dict[str, Any] | None, **ERRORS})
def projection(request: HttpRequest, employee_id: int) -> Any:
    employee = access_employee(request.user, employee_id)
    return _card(employee_projected_score(employee.pk))


@router.get("/ledger/verify", response={200: dict[str, Any], **ERRORS})
def verify(request: HttpRequest) -> Any:
    scope = scope_for(request.user)
    if not ({"hr_admin", "auditor"} & set(scope.roles)):
        raise NotFound()
    r = ledger_verify()
    return {"ok": r.ok, "checked": r.checked, "broken_seq": r.broken_seq, "reason": r.reason}
