"""Reads on approvals: inbox, timelines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F, QuerySet
from django.utils import translation

from heng.accounts.models import User
from heng.workflows.models import ApprovalRequest, Decision, Outcome, RequestState


def inbox(user: User) -> QuerySet[ApprovalRequest]:
    """Requests waiting for this user's decision now (current step, in review)."""
    return (
        ApprovalRequest.objects.filter(
            state=RequestState.IN_REVIEW, approvers__user=user, approvers__step=F("current_step")
        )
        .select_related("employee__unit", "applicant")
        .order_by("step_due_at", "pk")
        .distinct()
    )


def my_requests(user: User) -> QuerySet[ApprovalRequest]:
    """Requests the user made or that are about him."""
    condition = ApprovalRequest.objects.filter(applicant=user)
    if user.employee_id is not None:
        condition = condition | ApprovalRequest.objects.filter(employee_id=user.employee_id)
    return condition.select_related("employee").order_by("-submitted_at", "-pk").distinct()


@dataclass
class StepView:
    order: int
    name: str
    status: str  # done / rejected / current / waiting / skipped
    approvers: list[str]
    decision: Decision | None


def step_name(step: dict[str, Any]) -> str:
    if translation.get_language() == "en" and step.get("name_en"):
        return str(step["name_en"])
    return str(step["name"])


def timeline(request: ApprovalRequest) -> list[StepView]:
    """Every step with where the request stands: who decided, when, with what comment."""
    decisions = {
        d.step: d
        for d in request.decisions.select_related("actor").filter(
            outcome__in=[Outcome.APPROVED, Outcome.REJECTED]
        )
    }
    approvers: dict[int, list[str]] = {}
    for row in request.approvers.select_related("user").order_by("user__username"):
        approvers.setdefault(row.step, []).append(row.user.first_name or row.user.username)
    views = []
    for step in request.steps:
        order = step["order"]
        decision = decisions.get(order)
        if decision is not None:
            status = "rejected" if decision.outcome == Outcome.REJECTED else "done"
        elif request.state == RequestState.IN_REVIEW and order == request.current_step:
            status = "current"
        elif request.is_open:
            status = "waiting"
        else:
            status = "skipped"
        views.append(StepView(order, step_name(step), status, approvers.get(order, []), decision))
    return views


def rejection(request: ApprovalRequest) -> Decision | None:
    return request.decisions.filter(outcome=Outcome.REJECTED).select_related("actor").first()
