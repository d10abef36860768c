"""Approvals over the API: apply, see where a request is, decide, withdraw; notifications."""

import datetime as dt
from typing import Any, cast

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from heng.accounts.models import User
from heng.core.api import ERRORS, BoundedPagination
from heng.core.errors import ValidationFailed
from heng.core.notifications import notification_mark_read, notifications_for
from heng.people.permissions import access_employee
from heng.workflows import services
from heng.workflows.models import ApprovalRequest, RequestKind
from heng.workflows.permissions import access_request, requests_visible_to
from heng.workflows.selectors import inbox, rejection, timeline

router = Router(tags=["approvals"])


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


class StepOut(Schema):
    order: int
    name: str
    status: str
    approvers: list[str]
    decided_by: str | None
    decided_at: dt.datetime | None
    comment: str


class RequestOut(Schema):
    id: int
    kind: str
    state: str
    current_step: int
    step_count: int
    employee_id: int
    employee_name: str
    applicant: str
    payload: dict[str, Any]
    reason: str
    submitted_at: dt.datetime
    closed_at: dt.datetime | None
    step_due_at: dt.datetime | None
    rejection_reason: str | None
    outcome: str
    steps: list[StepOut]


def _out(approval: ApprovalRequest) -> dict[str, Any]:
    rejected = rejection(approval)
    return {
        "id": approval.pk,
        "kind": approval.kind,
        "state": approval.state,
        "current_step": approval.current_step,
        "step_count": approval.step_count,
        "employee_id": approval.employee_id,
        "employee_name": approval.employee.name,
        "applicant": approval.applicant.username,
        "payload": approval.payload,
        "reason": approval.reason,
        "submitted_at": approval.submitted_at,
        "closed_at": approval.closed_at,
        "step_due_at": approval.step_due_at,
        "rejection_reason": rejected.comment if rejected else None,
        "outcome": approval.outcome,
        "steps": [
            {
                "order": s.order,
                "name": s.name,
                "status": s.status,
                "approvers": s.approvers,
                "decided_by": (
                    s.decision.actor.username if s.decision and s.decision.actor else None
                ),
                "decided_at": s.decision.at if s.decision else None,
                "comment": s.decision.comment if s.decision else "",
            }
            for s in timeline(approval)
        ],
    }


class RequestListOut(Schema):
    id: int
    kind: str
    state: str
    current_step: int
    employee_id: int
    submitted_at: dt.datetime


class TransferIn(Schema):
    employee_id: int | None = None
    to_unit_id: int
    to_position_id: int | None = None
    effective_date: dt.date
    reason: str = ""


class DispatchIn(Schema):
    employee_id: int
    working_unit_id: int
    start_date: dt.date
    end_date: dt.date
    reason: str = ""


class DecisionIn(Schema):
    approve: bool
    comment: str = ""
    step: int | None = None


class NotificationOut(Schema):
    id: int
    title: str
    body: str
    url: str
    created_at: dt.datetime
    read_at: dt.datetime | None


@router.get("/approvals/requests", response={200: list[RequestListOut], **ERRORS})
@paginate(BoundedPagination)
def list_requests(request: HttpRequest, state: str = "", kind: str = "") -> Any:
    rows = requests_visible_to(request.user)
    if state:
        rows = rows.filter(state=state)
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("-submitted_at", "-pk")


@router.get("/approvals/inbox", response={200: list[RequestListOut], **ERRORS})
def list_inbox(request: HttpRequest) -> Any:
    return list(inbox(_user(request)))


@router.get("/approvals/requests/{request_id}", response={200: RequestOut, **ERRORS})
def get_request(request: HttpRequest, request_id: int) -> Any:
    return _out(access_request(request.user, request_id))


@router.post("/approvals/transfers", response={201: RequestOut, **ERRORS})
def create_transfer(request: HttpRequest, payload: TransferIn) -> Any:
    """Apply for a transfer (for yourself, or as HR for someone you manage)."""
    user = _user(request)
    employee_id = payload.employee_id or user.employee_id
    if employee_id is None:
        raise ValidationFailed(fields={"employee_id": _("Choose the employee.")})
    employee = access_employee(user, employee_id)
    created = services.request_submit(
        applicant=user,
        kind=RequestKind.TRANSFER,
        employee=employee,
        reason=payload.reason,
        payload=payload.model_dump(include={"to_unit_id", "to_position_id", "effective_date"}),
    )
    return Status(201, _out(created))


@router.post("/approvals/dispatches", response={201: RequestOut, **ERRORS})
def create_dispatch(request: HttpRequest, payload: DispatchIn) -> Any:
    user = _user(request)
    employee = access_employee(user, payload.employee_id)
    created = services.request_submit(
        applicant=user,
        kind=RequestKind.DISPATCH,
        employee=employee,
        reason=payload.reason,
        payload=payload.model_dump(include={"working_unit_id", "start_date", "end_date"}),
    )
    return Status(201, _out(created))


@router.post("/approvals/requests/{request_id}/decision", response={200: RequestOut, **ERRORS})
def decide(request: HttpRequest, request_id: int, payload: DecisionIn) -> Any:
    """Approve or reject the current step; pass ``step`` as shown to you (409 if it moved)."""
    access_request(request.user, request_id)
    decided = services.request_decide(
        actor=_user(request),
        request_id=request_id,
        approve=payload.approve,
        comment=payload.comment,
        step=payload.step,
    )
    return _out(decided)


@router.post("/approvals/requests/{request_id}/withdraw", response={200: RequestOut, **ERRORS})
def withdraw(request: HttpRequest, request_id: int) -> Any:
    access_request(request.user, request_id)
    return _out(services.request_withdraw(actor=_user(request), request_id=request_id))


@router.get("/notifications", response={200: list[NotificationOut], **ERRORS})
@paginate(BoundedPagination)
def list_notifications(request: HttpRequest, unread: bool = False) -> Any:
    return notifications_for(_user(request), unread_only=unread)


@router.post("/notifications/{notification_id}/read", response={204: None, **ERRORS})
def read_notification(request: HttpRequest, notification_id: int) -> Any:
    notification_mark_read(user=_user(request), notification_id=notification_id)
    return Status(204, None)
