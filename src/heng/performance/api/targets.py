"""Cycle inputs over the API: targets (list, set by method, bulk upload with a dry run,
template download), manager entries of manual indicators, and growth bonus points.

Who may write: HR, and the managers of a participant's scored, home or working unit (a
partner store's manager enters the values of the chef dispatched to his store). A participant
outside the caller's reach answers 404 (as a missing one does) and nothing is written; one
he can read but not change answers 403.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from heng.core.api import ERRORS
from heng.core.errors import NotFound, PermissionDenied, ValidationFailed
from heng.performance.api.cycles import access_cycle
from heng.performance.models import BonusEntry, Cycle, Participant
from heng.performance.permissions import (
    access_participant_for_edit,
    actor_of,
    participants_editable_by,
    participants_listed_for,
)
from heng.performance.selectors.targets import (
    TEMPLATE_TYPES,
    bonus_entries,
    filter_participants,
    manual_entries,
    paginate,
    target_cell,
    target_lines,
    target_template,
)
from heng.performance.services.targets import (
    INPUT_STATES,
    bonus_add,
    manual_value_set,
    read_target_file,
    target_set,
    targets_bulk_check,
    targets_bulk_write,
    targets_open,
)

router = Router(tags=["performance: targets and manager entries"])

MAX_FILE = 2_000_000


class Paging(Schema):
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(50, ge=1, le=200)


class PageMeta(Schema):
    count: int
    page: int
    pages: int


def _meta(page: Any) -> dict[str, int]:
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
    }


# --- targets -------------------------------------------------------------------------------


class TargetOut(Schema):
    employee_id: int
    employee_no: str
    name: str
    unit: str
    indicator: str
    indicator_name: str
    method: str | None
    value: Decimal | None
    basis: dict[str, Any]
    line_target: Decimal | None
    set_at: dt.datetime | None
    editable: bool


class TargetPage(PageMeta):
    locked: bool
    state: str
    targets: list[TargetOut]


def _target_out(p: Participant, cell: Any, editable: bool) -> dict[str, Any]:
    t = cell.target
    return {
        "employee_id": p.employee_id,
        "employee_no": p.employee_no,
        "name": p.name,
        "unit": p.unit.name,
        "indicator": cell.indicator,
        "indicator_name": cell.name,
        "method": t.method if t else None,
        "value": t.value if t else None,
        "basis": t.basis if t else {},
        "line_target": cell.line_target,
        "set_at": t.set_at if t else None,
        "editable": editable,
    }


@router.get("/cycles/{cycle_id}/targets", response={200: TargetPage, **ERRORS})
def targets(
    request: HttpRequest,
    cycle_id: int,
    paging: Query[Paging],
    unit: str = "",
    q: str = "",
) -> Any:
    """Targets of the participants in the caller's scope (one row per participant × indicator
    that scores against a target). ``editable`` is false once targets are locked."""
    cycle = access_cycle(request.user, cycle_id)
    rows = filter_participants(
        participants_listed_for(request.user, cycle).select_related("unit"), unit=unit, q=q[:40]
    ).order_by("unit_path", "employee_no")
    found = paginate(rows, paging.page, paging.page_size)
    is_open = targets_open(cycle)
    out = []
    for line in target_lines(request.user, cycle, list(found.object_list)):
        for cell in line.cells.values():
            out.append(_target_out(line.participant, cell, line.editable and is_open))
    return {
        "locked": not is_open,
        "state": cycle.state,
        **_meta(found),
        "targets": out,
    }


class TargetIn(Schema):
    """``method``: fixed (value) / split (unit_target, optional share %; equal share among the
    unit's participants when omitted) / baseline (optional growth %) / benchmark (benchmark,
    optional factor, default 1)."""

    method: str = Field(max_length=10)
    value: Decimal | None = None
    unit_target: Decimal | None = None
    share: Decimal | None = None
    growth: Decimal | None = None
    benchmark: Decimal | None = None
    factor: Decimal | None = None


@router.put(
    "/cycles/{cycle_id}/targets/{employee_id}/{indicator}",
    response={200: TargetOut, **ERRORS},
)
def target_put(
    request: HttpRequest, cycle_id: int, employee_id: int, indicator: str, body: TargetIn
) -> Any:
    cycle = access_cycle(request.user, cycle_id)
    participant = access_participant_for_edit(request.user, cycle, employee_id)
    target_set(
        actor=actor_of(request),
        participant=participant,
        indicator=indicator,
        **body.model_dump(),
    )
    cell = target_cell(participant, indicator)
    if cell is None:  # a line without a target rule: the value is stored, nothing to show
        raise NotFound()
    return _target_out(participant, cell, True)


class BulkRowOut(Schema):
    line: int
    employee_no: str
    name: str
    indicator: str
    method: str
    value: Decimal
    basis: dict[str, Any]
    previous: Decimal | None


class BulkErrorOut(Schema):
    line: int
    reason: str


class BulkOut(Schema):
    ok: bool
    written: bool
    count: int
    rows: list[BulkRowOut]
    errors: list[BulkErrorOut]


TARGET_FILE_BODY = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
            "text/csv": {"schema": {"type": "string"}},
        }
    }
}


def uploaded_file(request: HttpRequest, filename: str = "") -> tuple[bytes, str]:
    """A multipart ``file`` (its own name) or the raw body (named by ``filename``, CSV by
    default)."""
    upload = request.FILES.get("file")
    if upload is not None:
        raw, name = upload.read(MAX_FILE + 1), upload.name or "targets.csv"
    else:
        raw, name = request.body[: MAX_FILE + 1], filename or "targets.csv"
    if len(raw) > MAX_FILE:
        raise ValidationFailed(_("The file is larger than 2 MB."), code="file_too_large")
    return raw, name


def require_some_reach(user: Any, cycle: Cycle) -> None:
    """Bulk entry and templates need at least one participant the user may change."""
    if participants_editable_by(user, cycle).exists():
        return
    if participants_listed_for(user, cycle).exists():
        raise PermissionDenied()
    raise NotFound()


@router.post(
    "/cycles/{cycle_id}/targets/upload",
    response={200: BulkOut, 201: BulkOut, **ERRORS},
    openapi_extra=TARGET_FILE_BODY,
)
def targets_upload(
    request: HttpRequest, cycle_id: int, dry_run: bool = False, filename: str = ""
) -> Any:
    """CSV or XLSX (columns: employee_no, indicator, method, value, unit_target, share,
    growth, benchmark, factor). ``dry_run=true`` answers 200 with every row's value and every
    refused line, writing nothing; otherwise all rows are written (201) or none (422 with
    ``fields`` = ``{"line N": reason}``). Rows for people outside the caller's reach are
    refused like unknown ones."""
    cycle = access_cycle(request.user, cycle_id)
    require_some_reach(request.user, cycle)
    data, name = uploaded_file(request, filename)
    read = read_target_file(data, name)
    actor = actor_of(request)
    if dry_run:
        report = targets_bulk_check(
            actor=actor, cycle=cycle, rows=read.rows, problems=read.problems
        )
        return Status(200, report.as_dict())
    report = targets_bulk_write(actor=actor, cycle=cycle, rows=read.rows, problems=read.problems)
    return Status(201, report.as_dict())


@router.get(
    "/cycles/{cycle_id}/targets/template",
    response={200: None, **ERRORS},
    openapi_extra={"responses": {200: {"content": {k: {} for k in TEMPLATE_TYPES.values()}}}},
)
def targets_template(request: HttpRequest, cycle_id: int, format: str = "csv") -> HttpResponse:
    """The upload template pre-filled with the current targets of everyone the caller may
    set (``format``: csv or xlsx)."""
    cycle = access_cycle(request.user, cycle_id)
    require_some_reach(request.user, cycle)
    fmt = "xlsx" if format == "xlsx" else "csv"
    response = HttpResponse(
        target_template(request.user, cycle, fmt), content_type=TEMPLATE_TYPES[fmt]
    )
    response["Content-Disposition"] = f'attachment; filename="targets-{cycle.code}.{fmt}"'
    return response


# --- manager entries -----------------------------------------------------------------------


class ManualOut(Schema):
    employee_id: int
    employee_no: str
    name: str
    unit: str
    working_unit: str
    indicator: str
    indicator_name: str
    min: Decimal
    max: Decimal
    value: Decimal | None
    comment: str
    entered_by: str
    entered_at: dt.datetime | None


class ManualPage(PageMeta):
    open: bool
    state: str
    entries: list[ManualOut]


def _manual_out(e: Any) -> dict[str, Any]:
    p, v = e.participant, e.value
    return {
        "employee_id": p.employee_id,
        "employee_no": p.employee_no,
        "name": p.name,
        "unit": p.unit.name,
        "working_unit": p.working_unit.name if p.working_unit_id else "",
        "indicator": e.indicator,
        "indicator_name": e.name,
        "min": e.low,
        "max": e.high,
        "value": v.value if v else None,
        "comment": v.comment if v else "",
        "entered_by": v.entered_by.username if v and v.entered_by else "",
        "entered_at": v.entered_at if v else None,
    }


@router.get("/cycles/{cycle_id}/manual-entries", response={200: ManualPage, **ERRORS})
def manual_list(
    request: HttpRequest,
    cycle_id: int,
    paging: Query[Paging],
    missing: bool = False,
) -> Any:
    """The manual indicators the caller must enter: one row per participant he may rate ×
    manual indicator (``missing=true``: only those not entered yet)."""
    cycle = access_cycle(request.user, cycle_id)
    entries = manual_entries(request.user, cycle)
    if missing:
        entries = [e for e in entries if e.value is None]
    found = paginate(entries, paging.page, paging.page_size)  # type: ignore[arg-type]
    return {
        "open": cycle.state in INPUT_STATES,
        "state": cycle.state,
        **_meta(found),
        "entries": [_manual_out(e) for e in found.object_list],
    }


class ManualIn(Schema):
    value: Decimal
    comment: str = Field("", max_length=2000)


@router.put(
    "/cycles/{cycle_id}/manual-entries/{employee_id}/{indicator}",
    response={200: ManualOut, **ERRORS},
)
def manual_put(
    request: HttpRequest, cycle_id: int, employee_id: int, indicator: str, body: ManualIn
) -> Any:
    """Enter (or change) a manager's value, within the line's range (default 0–100)."""
    cycle = access_cycle(request.user, cycle_id)
    participant = access_participant_for_edit(request.user, cycle, employee_id)
    manual_value_set(
        actor=actor_of(request),
        participant=participant,
        indicator=indicator,
        value=body.value,
        comment=body.comment,
    )
    entry = next(
        e
        for e in manual_entries(request.user, cycle, participants=[participant])
        if e.indicator == indicator
    )
    return _manual_out(entry)


# --- bonus points --------------------------------------------------------------------------


class BonusOut(Schema):
    id: int
    employee_id: int
    employee_no: str
    name: str
    unit: str
    points: Decimal
    reason: str
    entered_by: str
    entered_at: dt.datetime


class BonusPage(PageMeta):
    open: bool
    cap: Decimal | None
    entries: list[BonusOut]


def _bonus_out(b: BonusEntry) -> dict[str, Any]:
    p = b.participant
    return {
        "id": b.pk,
        "employee_id": p.employee_id,
        "employee_no": p.employee_no,
        "name": p.name,
        "unit": p.unit.name,
        "points": b.points,
        "reason": b.reason,
        "entered_by": b.entered_by.username if b.entered_by else "",
        "entered_at": b.entered_at,
    }


@router.get("/cycles/{cycle_id}/bonus", response={200: BonusPage, **ERRORS})
def bonus_list(
    request: HttpRequest,
    cycle_id: int,
    paging: Query[Paging],
) -> Any:
    """Bonus entries of the participants in the caller's scope. ``cap``: the framework's
    bonus cap — points above it per person are not counted at scoring."""
    cycle = access_cycle(request.user, cycle_id)
    found = paginate(bonus_entries(request.user, cycle), paging.page, paging.page_size)
    cap = (cycle.framework or {}).get("bonus_cap")
    return {
        "open": cycle.state in INPUT_STATES,
        "cap": None if cap is None else Decimal(str(cap)),
        **_meta(found),
        "entries": [_bonus_out(b) for b in found.object_list],
    }


class BonusIn(Schema):
    employee_id: int
    points: Decimal
    reason: str = Field(max_length=200)


@router.post("/cycles/{cycle_id}/bonus", response={201: BonusOut, **ERRORS})
def bonus_post(request: HttpRequest, cycle_id: int, body: BonusIn) -> Any:
    cycle = access_cycle(request.user, cycle_id)
    participant = access_participant_for_edit(request.user, cycle, body.employee_id)
    entry = bonus_add(
        actor=actor_of(request), participant=participant, points=body.points, reason=body.reason
    )
    return Status(201, _bonus_out(entry))


__all__ = ["router"]
