"""Writes on approvals: submit, decide, withdraw, remind. Each in one transaction with audit.

Concurrency: every decision first locks the request row (``SELECT … FOR UPDATE``) and then checks
that the step it was asked about is still the current one. Two approvers clicking at once are
serialised by the lock: the first moves the request, the second finds the step decided and gets
:class:`AlreadyDecided` (409) with nothing written. A unique constraint (one approval or
rejection per step) backs this up in the database.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heng.accounts.models import User
from heng.core.audit import audit_record
from heng.core.errors import PermissionDenied, ValidationFailed
from heng.core.notifications import notify
from heng.people.models import Employee
from heng.workflows.errors import AlreadyDecided, NoApprover, RequestInvalid
from heng.workflows.kinds import KINDS, check_active
from heng.workflows.models import (
    OPEN_STATES,
    ApprovalRequest,
    Decision,
    Outcome,
    RequestApprover,
    RequestState,
    Route,
)
from heng.workflows.permissions import can_apply_for
from heng.workflows.routes import resolve_approvers
from heng.workflows.selectors import step_name

_ASKED = gettext_lazy("Please decide: %(kind)s for %(name)s")
_ASKED_BODY = gettext_lazy("Step %(step)s of request #%(id)d waits for you (due %(due)s).")
_DONE = gettext_lazy("Your request #%(id)d was %(state)s")
_OVERDUE = gettext_lazy("Overdue: %(kind)s for %(name)s")
_OVERDUE_BODY = gettext_lazy("Step %(step)s of request #%(id)d was due %(due)s.")


def _url(request: ApprovalRequest) -> str:
    return reverse("approval-detail", args=[request.pk])


def _snapshot(request: ApprovalRequest) -> dict[str, Any]:
    return {"state": request.state, "step": request.current_step}


def _enter_step(request: ApprovalRequest, now: dt.datetime) -> None:
    """Resolve and store the approvers of the current step, set its deadline, tell them."""
    step = request.step(request.current_step)
    users = resolve_approvers(step, employee=request.employee, applicant=request.applicant)
    if not users:
        raise NoApprover(
            _("Nobody can approve step “%(step)s”; ask HR to set up approvers.")
            % {"step": step_name(step)}
        )
    RequestApprover.objects.bulk_create(
        [RequestApprover(request=request, step=request.current_step, user=u) for u in users]
    )
    request.step_due_at = now + dt.timedelta(hours=int(step.get("due_hours") or 48))
    request.last_reminded_at = None
    notify(
        recipients=users,
        title=_ASKED,
        body=_ASKED_BODY,
        params={
            "kind": request.get_kind_display(),
            "name": request.employee.name,
            "step": step["name"],
            "id": request.pk,
            "due": timezone.localtime(request.step_due_at).strftime("%Y-%m-%d %H:%M"),
        },
        url=_url(request),
        key=f"approval:{request.pk}:{request.current_step}",
        kind="approval_request",
    )


@transaction.atomic
def request_submit(
    *, applicant: User, kind: str, employee: Employee, payload: dict[str, Any], reason: str = ""
) -> ApprovalRequest:
    """Apply: validate the details, copy the route, enter its first step."""
    if kind not in KINDS:
        raise RequestInvalid(fields={"kind": _("Unknown request kind.")})
    if not can_apply_for(applicant, employee, kind):
        raise PermissionDenied()
    employee = (
        Employee.objects.select_for_update(of=("self",))
        .select_related("unit", "position")
        .get(pk=employee.pk)
    )
    check_active(employee)
    route = Route.objects.filter(kind=kind, is_active=True).order_by("pk").first()
    steps = [s.as_snapshot() for s in route.steps.order_by("order")] if route else []
    if route is None or not steps:
        raise NoApprover(_("No approval route is set up for this kind of request."))
    details = KINDS[kind].validate(employee, payload)
    if ApprovalRequest.objects.filter(employee=employee, kind=kind, state__in=OPEN_STATES).exists():
        raise RequestInvalid(
            _("There is already an open request of this kind for this employee."),
            code="request_already_open",
        )
    now = timezone.now()
    request = ApprovalRequest.objects.create(
        kind=kind,
        route=route,
        steps=steps,
        applicant=applicant,
        employee=employee,
        payload=details,
        reason=reason.strip(),
        submitted_at=now,
    )
    Decision.objects.create(
        request=request,
        step=0,
        actor=applicant,
        outcome=Outcome.SUBMITTED,
        comment=request.reason,
        at=now,
    )
    request.start_review()
    _enter_step(request, now)
    request.save()
    audit_record(
        actor=applicant,
        action="approval.submit",
        target=request,
        employee_id=employee.pk,
        after={"kind": kind, **details, **_snapshot(request)},
        note=request.reason,
    )
    return request


@transaction.atomic
def request_decide(
    *, actor: User, request_id: int, approve: bool, comment: str = "", step: int | None = None
) -> ApprovalRequest:
    """Approve or reject the current step. ``step`` is the step the approver was shown."""
    comment = comment.strip()
    if not approve and not comment:
        raise ValidationFailed(fields={"comment": _("Say why the request is rejected.")})
    request = _locked(request_id)
    if request.state != RequestState.IN_REVIEW or (
        step is not None and step != request.current_step
    ):
        raise AlreadyDecided(_("This step has already been decided; the page was out of date."))
    if not request.approvers.filter(step=request.current_step, user=actor).exists():
        raise PermissionDenied(_("You are not an approver of this step."))
    before = _snapshot(request)
    now = timezone.now()
    decided = request.current_step
    Decision.objects.create(
        request=request,
        step=decided,
        actor=actor,
        comment=comment,
        at=now,
        outcome=Outcome.APPROVED if approve else Outcome.REJECTED,
    )
    if not approve:
        request.reject()
        _close(request, now)
    elif request.next_step() is not None:
        request.advance()
        _enter_step(request, now)
    else:
        request.approve()
        request.outcome = KINDS[request.kind].apply(request, actor)
        Decision.objects.create(
            request=request,
            step=decided,
            actor=None,
            outcome=Outcome.APPLIED,
            comment=request.outcome,
            at=now,
        )
        _close(request, now)
    request.save()
    audit_record(
        actor=actor,
        action="approval.decide",
        target=request,
        employee_id=request.employee_id,
        before=before,
        after=_snapshot(request),
        note=comment,
    )
    return request


@transaction.atomic
def request_withdraw(*, actor: User, request_id: int, comment: str = "") -> ApprovalRequest:
    request = _locked(request_id)
    if request.applicant_id != actor.pk:
        raise PermissionDenied(_("Only the applicant can withdraw a request."))
    if not request.is_open:
        raise AlreadyDecided(_("The request is already closed."))
    before = _snapshot(request)
    now = timezone.now()
    Decision.objects.create(
        request=request,
        step=request.current_step,
        actor=actor,
        outcome=Outcome.WITHDRAWN,
        comment=comment.strip(),
        at=now,
    )
    request.withdraw()
    request.closed_at = now
    request.step_due_at = None
    request.save()
    audit_record(
        actor=actor,
        action="approval.withdraw",
        target=request,
        employee_id=request.employee_id,
        before=before,
        after=_snapshot(request),
        note=comment,
    )
    return request


def _locked(request_id: int) -> ApprovalRequest:
    try:
        return (
            ApprovalRequest.objects.select_for_update(of=("self",))
            .select_related("employee__unit", "applicant")
            .get(pk=request_id)
        )
    except ApprovalRequest.DoesNotExist:
        raise RequestInvalid(fields={"request": _("No such request.")}) from None


def _close(request: ApprovalRequest, now: dt.datetime) -> None:
    request.closed_at = now
    request.step_due_at = None
    notify(
        recipients=[request.applicant, *_subject_users(request)],
        title=_DONE,
        params={"id": request.pk, "state": request.get_state_display()},
        url=_url(request),
        key=f"approval-closed:{request.pk}",
        kind="approval_closed",
    )


def _subject_users(request: ApprovalRequest) -> list[User]:
    return list(User.objects.filter(employee_id=request.employee_id, is_active=True))


@transaction.atomic
def approvals_remind_overdue(*, now: dt.datetime | None = None, every_hours: int = 24) -> int:
    """Remind the approvers of steps past their deadline, at most once per ``every_hours``."""
    now = now or timezone.now()
    due = ApprovalRequest.objects.filter(state=RequestState.IN_REVIEW, step_due_at__lt=now).filter(
        Q(last_reminded_at__isnull=True)
        | Q(last_reminded_at__lt=now - dt.timedelta(hours=every_hours))
    )
    if connection.features.has_select_for_update_skip_locked:
        # Several workers may run this; each claims different requests.
        due = due.select_for_update(skip_locked=True, of=("self",))
    reminded = 0
    for request in due.select_related("employee"):
        users = [
            a.user
            for a in request.approvers.filter(step=request.current_step).select_related("user")
        ]
        step = request.step(request.current_step)
        assert request.step_due_at is not None
        notify(
            recipients=users,
            title=_OVERDUE,
            body=_OVERDUE_BODY,
            params={
                "kind": request.get_kind_display(),
                "name": request.employee.name,
                "step": step["name"],
                "id": request.pk,
                "due": timezone.localtime(request.step_due_at).strftime("%Y-%m-%d %H:%M"),
            },
            url=_url(request),
            key=f"approval-overdue:{request.pk}:{request.current_step}:{now:%Y%m%d%H}",
            kind="approval_reminder",
        )
        ApprovalRequest.objects.filter(pk=request.pk).update(last_reminded_at=now)
        reminded += 1
    return reminded
