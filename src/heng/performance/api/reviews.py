"""360 reviews over the API (F2): questionnaires, invitations, peers, "my reviews", answers,
progress with reminders and the anonymous summary.

Who may do what:

- questionnaires are written by HR (``hr_admin``); anyone who sees the cycle may read one;
- a participant's invitations are seen by HR, managers in scope, his snapshot manager and the
  person himself (who does not see which peers or subordinates have answered); peers are
  chosen by the person or his manager, within the cycle's ``peer_limit``;
- answers are read and written only by their reviewer, addressed by invitation id — anyone
  else gets 404 and nothing is written; after the deadline or once the 360 closes they are
  refused (422 ``deadline_passed`` / 409 ``review_closed``);
- the summary per participant honours anonymity (``review_summary``); the person himself
  sees his own only once the cycle is published, like his scorecard.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from heng.accounts.scope import scope_for
from heng.core.api import ERRORS
from heng.core.errors import NotFound, PermissionDenied
from heng.people.models import Employee
from heng.performance.api.cycles import _hr, access_cycle, can_run_cycles
from heng.performance.cycle_errors import CycleConflict, ReviewRefused
from heng.performance.models import (
    ANONYMITY_MIN,
    Cycle,
    Participant,
    Questionnaire,
    RaterGroup,
    ReviewInvitation,
)
from heng.performance.selectors.cycles import (
    participants_visible_to,
    review_progress,
    review_summary,
)
from heng.performance.selectors.reviews import (
    OPEN_FOR_ANSWERS,
    answerable,
    progress_rows,
    questionnaire_of,
    reviews_of,
)
from heng.performance.selectors.scorecard import PUBLISHED_STATES
from heng.performance.services.cycles import cycle_remind
from heng.performance.services.reviews import (
    OPEN,
    invitations_default,
    peer_remove,
    peers_choose,
    questionnaire_set,
    review_submit,
)

router = Router(tags=["performance: 360 reviews"])
ANONYMOUS = (RaterGroup.PEER, RaterGroup.SUBORDINATE)


# --- access --------------------------------------------------------------------------------


def access_participant(user: Any, cycle: Cycle, employee_id: int) -> Participant:
    """A participant the user sees (scope), manages (snapshot manager) or is; else 404."""
    p = cycle.participants.select_related("unit", "cycle").filter(employee_id=employee_id).first()
    if p is None:
        raise NotFound()
    own = scope_for(user).own_employee_id
    if own is not None and own in (p.employee_id, p.manager_id):
        return p
    if participants_visible_to(user, cycle).filter(pk=p.pk).exists():
        return p
    raise NotFound()


def chooser(user: Any, participant: Participant) -> Employee:
    """The signed-in person as the one choosing peers: the participant or his manager."""
    own = scope_for(user).own_employee_id
    if own is None or own not in (participant.employee_id, participant.manager_id):
        raise PermissionDenied(_("Only the person or his manager chooses peers."))
    return Employee.objects.get(pk=own)


def own_invitation(user: Any, invitation_id: int) -> ReviewInvitation:
    """One of the user's own invitations; anyone else's answers 404 (and stay untouched)."""
    own = scope_for(user).own_employee_id
    row = (
        reviews_of(own).filter(pk=invitation_id).first()
        if own is not None
        else None  # no e-file: nobody to review as
    )
    if row is None:
        raise NotFound()
    return row


def can_follow_progress(user: Any) -> bool:
    scope = scope_for(user)
    return scope.company_wide or bool(scope.unit_paths)


def summary_visible(user: Any, participant: Participant) -> bool:
    """The person sees his own summary once published; managers and HR in scope always."""
    if scope_for(user).own_employee_id != participant.employee_id:
        return True
    return participant.cycle.state in PUBLISHED_STATES or can_run_cycles(user)


# --- questionnaires -------------------------------------------------------------------------


class CriterionIn(Schema):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=120)
    name_en: str = Field("", max_length=120)
    weight: Decimal


class QuestionnaireIn(Schema):
    criteria: list[CriterionIn]
    scale_max: Decimal = Decimal(5)
    # e.g. {"manager": 50, "peer": 30, "self": 20}; must sum to 100. Empty: the framework's.
    group_weights: dict[str, Decimal] = {}


class QuestionnaireOut(Schema):
    cycle_id: int
    cycle_code: str
    cycle_name: str
    criteria: list[dict[str, Any]]
    scale_max: Decimal
    group_weights: dict[str, Any]
    invited: int = 0


def _number(value: Decimal) -> int | float:
    """JSON keeps numbers as numbers: 40 stays 40, 33.5 stays 33.5."""
    return int(value) if value == value.to_integral_value() else float(value)


def _q_out(q: Questionnaire, invited: int = 0) -> dict[str, Any]:
    return {
        "cycle_id": q.cycle_id,
        "cycle_code": q.cycle.code,
        "cycle_name": q.cycle.name,
        "criteria": q.criteria,
        "scale_max": q.scale_max,
        "group_weights": q.group_weights,
        "invited": invited,
    }


@transaction.atomic
def questionnaire_save(cycle: Cycle, body: QuestionnaireIn) -> tuple[Questionnaire, int]:
    """Store the questionnaire and, while the cycle is open, invite everyone himself and his
    manager (the automatic part of the invitation rules). Used by the API and the pages."""
    q = questionnaire_set(
        cycle=cycle,
        criteria=[
            {"code": c.code, "name": c.name, "name_en": c.name_en, "weight": _number(c.weight)}
            for c in body.criteria
        ],
        scale_max=body.scale_max,
        group_weights={g: _number(w) for g, w in body.group_weights.items()},
    )
    cycle.refresh_from_db()
    invited = invitations_default(cycle=cycle) if cycle.state in OPEN else 0
    return q, invited


@router.get("/questionnaires", response={200: list[QuestionnaireOut], **ERRORS})
def questionnaires(request: HttpRequest) -> Any:
    _hr(request.user)
    rows = Questionnaire.objects.select_related("cycle").order_by("-cycle__period_start")
    return [_q_out(q) for q in rows]


@router.get("/cycles/{cycle_id}/questionnaire", response={200: QuestionnaireOut, **ERRORS})
def questionnaire(request: HttpRequest, cycle_id: int) -> Any:
    q = questionnaire_of(access_cycle(request.user, cycle_id))
    if q is None:
        raise NotFound(_("This cycle has no questionnaire."))
    return _q_out(q)


@router.post("/cycles/{cycle_id}/questionnaire", response={201: QuestionnaireOut, **ERRORS})
def questionnaire_create(request: HttpRequest, cycle_id: int, body: QuestionnaireIn) -> Any:
    """Create the questionnaire (HR); refused with 409 when the cycle already has one."""
    cycle = access_cycle(request.user, cycle_id)
    _hr(request.user)
    if questionnaire_of(cycle) is not None:
        raise CycleConflict(
            _("This cycle already has a questionnaire; change it instead."),
            code="questionnaire_exists",
        )
    q, invited = questionnaire_save(cycle, body)
    return Status(201, _q_out(q, invited))


@router.put("/cycles/{cycle_id}/questionnaire", response={200: QuestionnaireOut, **ERRORS})
def questionnaire_update(request: HttpRequest, cycle_id: int, body: QuestionnaireIn) -> Any:
    """Replace the questionnaire (HR) — only before anyone has answered."""
    cycle = access_cycle(request.user, cycle_id)
    _hr(request.user)
    if questionnaire_of(cycle) is None:
        raise NotFound(_("This cycle has no questionnaire."))
    q, invited = questionnaire_save(cycle, body)
    return _q_out(q, invited)


# --- invitations and peers ------------------------------------------------------------------


class DefaultsIn(Schema):
    subordinates: bool = False


@router.post("/cycles/{cycle_id}/invitations/defaults", response={200: dict[str, int], **ERRORS})
def invite_defaults(request: HttpRequest, cycle_id: int, body: DefaultsIn) -> Any:
    """Invite everyone himself and his manager (HR); ``subordinates``: also the people each
    participant manages. Already invited reviewers are skipped."""
    cycle = access_cycle(request.user, cycle_id)
    _hr(request.user)
    return {"created": invitations_default(cycle=cycle, subordinates=body.subordinates)}


class InvitationOut(Schema):
    reviewer_id: int
    reviewer_name: str
    group: str
    # None when the person looks at his own peers/subordinates: who answered stays private.
    status: str | None


def invitations_of(user: Any, participant: Participant) -> list[dict[str, Any]]:
    himself = scope_for(user).own_employee_id == participant.employee_id
    rows = participant.invitations.select_related("reviewer").order_by("group", "reviewer__name")
    return [
        {
            "reviewer_id": i.reviewer_id,
            "reviewer_name": i.reviewer.name,
            "group": i.group,
            "status": None if himself and i.group in ANONYMOUS else i.status,
        }
        for i in rows
    ]


@router.get(
    "/cycles/{cycle_id}/participants/{employee_id}/invitations",
    response={200: list[InvitationOut], **ERRORS},
)
def invitations(request: HttpRequest, cycle_id: int, employee_id: int) -> Any:
    p = access_participant(request.user, access_cycle(request.user, cycle_id), employee_id)
    return invitations_of(request.user, p)


class PeersIn(Schema):
    peers: list[int] = Field(min_length=1, max_length=50)  # employee ids


@router.post(
    "/cycles/{cycle_id}/participants/{employee_id}/peers",
    response={201: list[InvitationOut], **ERRORS},
)
def peers_add(request: HttpRequest, cycle_id: int, employee_id: int, body: PeersIn) -> Any:
    """The person or his manager invites peers (other people of the cycle, ≤ peer_limit)."""
    p = access_participant(request.user, access_cycle(request.user, cycle_id), employee_id)
    actor = chooser(request.user, p)
    found = list(Employee.objects.filter(pk__in=set(body.peers)))
    if len(found) != len(set(body.peers)):
        raise ReviewRefused(_("Peers must be other people of this cycle."), code="peer_invalid")
    peers_choose(actor_employee=actor, participant=p, peers=found)
    return Status(201, invitations_of(request.user, p))


@router.delete(
    "/cycles/{cycle_id}/participants/{employee_id}/peers/{peer_id}",
    response={204: None, **ERRORS},
)
def peers_remove(request: HttpRequest, cycle_id: int, employee_id: int, peer_id: int) -> Any:
    """Withdraw a peer who has not answered yet."""
    p = access_participant(request.user, access_cycle(request.user, cycle_id), employee_id)
    actor = chooser(request.user, p)
    peer = Employee.objects.filter(pk=peer_id).first()
    if peer is None:
        raise NotFound()
    peer_remove(actor_employee=actor, participant=p, peer=peer)
    return Status(204, None)


# --- progress, reminders, summary -----------------------------------------------------------


class GroupProgress(Schema):
    answered: int
    invited: int


class ParticipantProgress(Schema):
    employee_id: int
    employee_no: str
    name: str
    unit: str
    answered: int
    invited: int
    percent: int
    groups: dict[str, GroupProgress]


class ProgressOut(Schema):
    total: int
    done: int
    percent: int
    count: int
    page: int
    participants: list[ParticipantProgress]


def progress_page(user: Any, cycle: Cycle, page: int, size: int) -> dict[str, Any]:
    """One page (``size`` people, in unit order) of the progress of the user's scope."""
    page, size = max(1, min(page, 100_000)), max(1, min(size, 500))
    visible = participants_visible_to(user, cycle).order_by("unit_path", "employee_no")
    count = visible.count()
    start = (page - 1) * size
    rows = progress_rows(list(visible[start : start + size]))
    overall = review_progress(cycle) if scope_for(user).company_wide else _sum(rows, count, size)
    return {**overall, "count": count, "page": page, "participants": rows}


def _sum(rows: list[dict[str, Any]], count: int, size: int) -> dict[str, Any]:
    # Outside company-wide scope the totals are those of the people shown (one page covers
    # a unit head's store; bigger scopes page through).
    total = sum(r["invited"] for r in rows)
    done = sum(r["answered"] for r in rows)
    return {"total": total, "done": done, "percent": round(100 * done / total) if total else 0}


@router.get("/cycles/{cycle_id}/reviews/progress", response={200: ProgressOut, **ERRORS})
def progress(
    request: HttpRequest,
    cycle_id: int,
    page: int = 1,
    page_size: int = 100,
) -> Any:
    """Answered / invited per participant in the user's scope (HR, managers, auditors);
    ``page_size`` at most 500."""
    cycle = access_cycle(request.user, cycle_id)
    if not can_follow_progress(request.user):
        raise NotFound()
    return progress_page(request.user, cycle, page, page_size)


def reminders_send(cycle: Cycle) -> int:
    """Send today's 360 reminders (the cycle's reminder service; once a day per person)."""
    if cycle.state not in OPEN_FOR_ANSWERS:
        raise CycleConflict(_("The 360 review of this cycle is closed."), code="review_closed")
    if cycle.review_deadline is None:
        raise ReviewRefused(_("Set a 360 deadline before sending reminders."), code="no_deadline")
    return cycle_remind(cycle=cycle)


@router.post("/cycles/{cycle_id}/reviews/reminders", response={200: dict[str, int], **ERRORS})
def reminders(request: HttpRequest, cycle_id: int) -> Any:
    """In-app reminders to everyone with an open invitation (HR). A second call on the same
    day sends nothing new (``sent`` counts new notifications)."""
    cycle = access_cycle(request.user, cycle_id)
    _hr(request.user)
    return {"sent": reminders_send(cycle)}


class GroupSummary(Schema):
    group: str
    count: int
    hidden: bool
    average: Decimal | None


class SummaryOut(Schema):
    employee_id: int
    name: str
    scale_max: Decimal | None
    anonymity_min: int
    groups: list[GroupSummary]


@router.get(
    "/cycles/{cycle_id}/participants/{employee_id}/reviews/summary",
    response={200: SummaryOut, **ERRORS},
)
def summary(request: HttpRequest, cycle_id: int, employee_id: int) -> Any:
    """Per rater group: answers and average; peers and subordinates only as an average of at
    least three answers (``hidden`` otherwise) — never an individual answer."""
    cycle = access_cycle(request.user, cycle_id)
    p = access_participant(request.user, cycle, employee_id)
    if not summary_visible(request.user, p):
        raise NotFound(_("Your 360 summary is shown once the cycle is published."))
    q = questionnaire_of(cycle)
    return {
        "employee_id": p.employee_id,
        "name": p.name,
        "scale_max": q.scale_max if q else None,
        "anonymity_min": ANONYMITY_MIN,
        "groups": review_summary(p),
    }


# --- my reviews -----------------------------------------------------------------------------


class MyReviewOut(Schema):
    id: int
    cycle_id: int
    cycle_code: str
    cycle_name: str
    deadline: dt.date | None
    employee_id: int
    employee_no: str
    name: str
    unit: str
    group: str
    status: str
    submitted_at: dt.datetime | None
    can_answer: bool


class MyReviewDetail(MyReviewOut):
    criteria: list[dict[str, Any]]
    scale_max: Decimal | None
    answers: dict[str, Any]
    comment: str


def my_review_out(inv: ReviewInvitation, today: dt.date | None = None) -> dict[str, Any]:
    p, cycle = inv.participant, inv.participant.cycle
    return {
        "id": inv.pk,
        "cycle_id": cycle.pk,
        "cycle_code": cycle.code,
        "cycle_name": cycle.name,
        "deadline": cycle.review_deadline,
        "employee_id": p.employee_id,
        "employee_no": p.employee_no,
        "name": p.name,
        "unit": p.unit.name,
        "group": inv.group,
        "status": inv.status,
        "submitted_at": inv.submitted_at,
        "can_answer": answerable(inv, today),
    }


def _detail(inv: ReviewInvitation) -> dict[str, Any]:
    q = questionnaire_of(inv.participant.cycle)
    return {
        **my_review_out(inv),
        "criteria": q.criteria if q else [],
        "scale_max": q.scale_max if q else None,
        "answers": inv.answers,
        "comment": inv.comment,
    }


@router.get("/reviews/mine", response={200: list[MyReviewOut], **ERRORS})
def my_reviews(request: HttpRequest, pending: bool = False) -> Any:
    """The reviews the signed-in person was invited to give (``pending``: only unanswered
    ones of open cycles)."""
    rows = reviews_of(scope_for(request.user).own_employee_id)
    out = [my_review_out(inv) for inv in rows]
    if pending:
        out = [r for r in out if r["can_answer"] and r["status"] == "pending"]
    return out


@router.get("/reviews/{invitation_id}", response={200: MyReviewDetail, **ERRORS})
def my_review(request: HttpRequest, invitation_id: int) -> Any:
    return _detail(own_invitation(request.user, invitation_id))


class AnswersIn(Schema):
    answers: dict[str, Decimal]
    comment: str = Field("", max_length=4000)


@router.post("/reviews/{invitation_id}", response={200: MyReviewDetail, **ERRORS})
def answer(request: HttpRequest, invitation_id: int, body: AnswersIn) -> Any:
    """Submit (or, until the deadline, change) one's answers: criterion code → score on the
    questionnaire's scale (0 … ``scale_max``)."""
    inv = own_invitation(request.user, invitation_id)
    done = review_submit(
        reviewer=inv.reviewer,
        participant=inv.participant,
        answers=dict(body.answers),
        comment=body.comment,
    )
    return _detail(own_invitation(request.user, done.pk))
