"""Generic approvals: routes as data, requests moved by a state machine, decisions recorded.

A *route* is an ordered list of steps; each step names a rule that finds its approvers relative
to the request (the applicant's unit head, HR of the applicant's region, holders of a named
role, a named person). A request copies the route's steps when it is submitted, so editing a
route never changes requests already in flight, and moves submitted → in review (step k) →
approved / rejected / withdrawn. Every move is a :class:`Decision` row (who, when, comment).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from heng.core.models import TimeStampedModel


class RequestKind(models.TextChoices):
    TRANSFER = "transfer", _("Transfer")
    DISPATCH = "dispatch", _("Dispatch to a partner store")


class ApproverRule(models.TextChoices):
    UNIT_HEAD = "unit_head", _("Head of the applicant's unit")
    REGION_HR = "region_hr", _("HR of the applicant's region")
    ROLE = "role", _("Holders of a named role")
    PERSON = "person", _("A named person")


class Route(TimeStampedModel):
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    kind = models.CharField(_("request kind"), max_length=20, choices=RequestKind.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("approval route")
        verbose_name_plural = _("approval routes")
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.name


class RouteStep(models.Model):
    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=80)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    rule = models.CharField(_("approvers"), max_length=20, choices=ApproverRule.choices)
    role = models.CharField(_("role"), max_length=20, blank=True, help_text=_("For the role rule."))
    unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("role scope"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("For the role rule: holders over this unit (empty = company-wide)."),
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    skip = models.PositiveSmallIntegerField(
        _("levels to skip"),
        default=0,
        help_text=_("For the unit-head rule: 1 = the head above the unit's own head."),
    )
    due_hours = models.PositiveIntegerField(_("due within (hours)"), default=48)

    class Meta:
        verbose_name = _("route step")
        verbose_name_plural = _("route steps")
        ordering = ["route", "order"]
        constraints = [
            models.UniqueConstraint(fields=["route", "order"], name="route_step_order_unique")
        ]

    def __str__(self) -> str:
        return f"{self.route.code} {self.order}. {self.name}"

    def as_snapshot(self) -> dict[str, Any]:
        return {
            "order": self.order,
            "name": self.name,
            "name_en": self.name_en,
            "rule": self.rule,
            "role": self.role,
            "unit_id": self.unit_id,
            "person_id": self.person_id,
            "skip": self.skip,
            "due_hours": self.due_hours,
        }


class RequestState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATES = (RequestState.SUBMITTED, RequestState.IN_REVIEW)


def _has_next_step(request: Any) -> bool:
    return request.next_step() is not None


def _is_last_step(request: Any) -> bool:
    return request.next_step() is None


class ApprovalRequest(FSMModelMixin, TimeStampedModel):
    kind = models.CharField(_("kind"), max_length=20, choices=RequestKind.choices)
    route = models.ForeignKey(Route, on_delete=models.PROTECT, related_name="requests")
    steps = models.JSONField(_("steps"), default=list, help_text=_("The route as submitted."))
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applicant"),
        on_delete=models.PROTECT,
        related_name="approval_requests",
    )
    # Like contracts and placements, requests belong to the e-file (deleting a mistaken e-file
    # takes them along; the audit trail keeps what happened).
    employee = models.ForeignKey(
        "people.Employee",
        verbose_name=_("employee"),
        on_delete=models.CASCADE,
        related_name="approval_requests",
    )
    state = FSMField(
        _("state"),
        max_length=20,
        choices=RequestState.choices,
        default=RequestState.SUBMITTED,
        protected=True,
    )
    current_step = models.PositiveSmallIntegerField(_("current step"), default=0)
    payload = models.JSONField(_("details"), default=dict)
    reason = models.TextField(_("reason"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    step_due_at = models.DateTimeField(_("step due at"), null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)

    class Meta:
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["state", "step_due_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} · {self.employee}"

    @property
    def step_count(self) -> int:
        return len(self.steps)

    def step(self, order: int) -> dict[str, Any]:
        return next(s for s in self.steps if s["order"] == order)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    # --- transitions (services call these; they never save) ------------------------------
    @transition(field=state, source=RequestState.SUBMITTED, target=RequestState.IN_REVIEW)
    def start_review(self) -> None:
        self.current_step = self.steps[0]["order"]

    @transition(
        field=state,
        source=RequestState.IN_REVIEW,
        target=RequestState.IN_REVIEW,
        conditions=[_has_next_step],
    )
    def advance(self) -> None:
        self.current_step = self.next_step()  # type: ignore[assignment]

    @transition(
        field=state,
        source=RequestState.IN_REVIEW,
        target=RequestState.APPROVED,
        conditions=[_is_last_step],
    )
    def approve(self) -> None:
        pass

    @transition(field=state, source=RequestState.IN_REVIEW, target=RequestState.REJECTED)
    def reject(self) -> None:
        pass

    @transition(field=state, source=list(OPEN_STATES), target=RequestState.WITHDRAWN)
    def withdraw(self) -> None:
        pass

    def next_step(self) -> int | None:
        later = [s["order"] for s in self.steps if s["order"] > self.current_step]
        return min(later) if later else None


class RequestApprover(models.Model):
    """Who may decide step ``step`` of a request (resolved when the step begins)."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="approvers")
    step = models.PositiveSmallIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="approval_duties"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["request", "step", "user"], name="request_approver_unique"
            )
        ]
        indexes = [models.Index(fields=["user", "step"])]

    def __str__(self) -> str:
        return f"{self.request_id}/{self.step} {self.user_id}"


class Outcome(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    APPLIED = "applied", _("Carried out")


class Decision(models.Model):
    """One move of a request: who, when, which step, with what comment. Never edited."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="decisions")
    step = models.PositiveSmallIntegerField(_("step"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["at", "id"]
        constraints = [
            # The database backs the row lock: one approval or rejection per step, ever.
            models.UniqueConstraint(
                fields=["request", "step"],
                condition=Q(outcome__in=["approved", "rejected"]),
                name="one_decision_per_step",
            )
        ]

    def __str__(self) -> str:
        return f"{self.request_id}/{self.step} {self.outcome}"
