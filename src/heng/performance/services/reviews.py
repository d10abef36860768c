"""360 reviews (F2): questionnaire, invitations within the rules, answers before the deadline.

Rules: the manager (snapshot at opening) is invited automatically, so is the person himself;
peers are chosen by the manager or the employee — up to the cycle's ``peer_limit``, from the
same cycle, never the person himself; subordinates are people whose manager he is. Anyone not
invited cannot answer. Peer and subordinate answers are shown only as group averages of at
least :data:`ANONYMITY_MIN` answers (``selectors.cycles.review_summary``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heng.people.models import Employee
from heng.performance.cycle_errors import CycleConflict, ReviewRefused
from heng.performance.models import (
    Cycle,
    CycleState,
    InvitationStatus,
    Participant,
    ParticipantStatus,
    Questionnaire,
    RaterGroup,
    ReviewInvitation,
)

OPEN = (CycleState.OPEN, CycleState.SELF_REVIEW)


EDITABLE = (CycleState.DRAFT, *OPEN)


def _weight(raw: Any) -> Decimal | None:
    try:
        value = Decimal(str(raw))
    except (ArithmeticError, ValueError):
        return None
    return value if value.is_finite() and value >= 0 else None


@transaction.atomic
def questionnaire_set(
    *,
    cycle: Cycle,
    criteria: list[dict[str, Any]],
    scale_max: Decimal = Decimal(5),
    group_weights: dict[str, Any] | None = None,
) -> Questionnaire:
    """Create or replace the cycle's questionnaire.

    Criteria need a unique code and non-negative weights summing to 100; rater-group weights
    (optional — empty means the framework's weights, else a plain mean) name known groups,
    are non-negative and sum to 100. Refused once the 360 is closed or answers exist (the
    stored scores were computed with the old criteria).
    """
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.state not in EDITABLE:
        raise CycleConflict(
            _("The questionnaire can only be changed before the 360 closes."), code="review_closed"
        )
    if ReviewInvitation.objects.filter(
        participant__cycle=cycle, status=InvitationStatus.SUBMITTED
    ).exists():
        raise CycleConflict(
            _("Answers have been submitted; the questionnaire can no longer be changed."),
            code="questionnaire_in_use",
        )
    codes = [str(c.get("code") or "").strip() for c in criteria]
    if any(not code for code in codes) or len(set(codes)) != len(codes):
        raise ReviewRefused(
            _("Every criterion needs a code of its own."),
            code="criteria_invalid",
            fields={"criteria": _("Every criterion needs a code of its own.")},
        )
    weights = [_weight(c.get("weight", 0)) for c in criteria]
    if any(w is None for w in weights):
        raise ReviewRefused(
            _("Weights must be numbers of at least 0."),
            code="weight_invalid",
            fields={"criteria": _("Weights must be numbers of at least 0.")},
        )
    total = sum((w for w in weights if w is not None), Decimal(0))
    if not criteria or total != 100:
        raise ReviewRefused(
            _("Criteria weights must sum to 100 (got %(t)s).") % {"t": total},
            code="weights_not_100",
            fields={"criteria": str(total)},
        )
    if _weight(scale_max) is None or Decimal(str(scale_max)) <= 0:
        raise ReviewRefused(
            _("The scale must go up to a number above 0."),
            code="scale_invalid",
            fields={"scale_max": str(scale_max)},
        )
    unknown = set(group_weights or {}) - set(RaterGroup.values)
    if unknown:
        raise ReviewRefused(
            _("Unknown rater groups: %(g)s") % {"g": ", ".join(sorted(unknown))},
            code="rater_group_unknown",
            fields={"group_weights": ", ".join(sorted(unknown))},
        )
    if group_weights:
        group_values = [_weight(v) for v in group_weights.values()]
        if any(w is None for w in group_values):
            raise ReviewRefused(
                _("Weights must be numbers of at least 0."),
                code="weight_invalid",
                fields={"group_weights": _("Weights must be numbers of at least 0.")},
            )
        group_total = sum((w for w in group_values if w is not None), Decimal(0))
        if group_total != 100:
            raise ReviewRefused(
                _("Rater-group weights must sum to 100 (got %(t)s).") % {"t": group_total},
                code="group_weights_not_100",
                fields={"group_weights": str(group_total)},
            )
    q, _c = Questionnaire.objects.update_or_create(
        cycle=cycle,
        defaults={
            "criteria": criteria,
            "scale_max": scale_max,
            "group_weights": group_weights or {},
        },
    )
    return q


@transaction.atomic
def invitations_default(*, cycle: Cycle, subordinates: bool = False) -> int:
    """Invite each active participant himself and his manager (skipping ones already
    invited); with ``subordinates`` also the people he manages (:func:`subordinates_invite`).
    Returns how many invitations were made."""
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.state not in OPEN:
        raise CycleConflict(
            _("Reviewers can only be invited while the cycle is open."), code="review_closed"
        )
    made = 0
    for p in cycle.participants.filter(status=ParticipantStatus.ACTIVE):
        for reviewer, group in (
            (p.employee_id, RaterGroup.SELF),
            (p.manager_id, RaterGroup.MANAGER),
        ):
            if reviewer is None or (group == RaterGroup.MANAGER and reviewer == p.employee_id):
                continue
            _obj, created = ReviewInvitation.objects.get_or_create(
                participant=p, reviewer_id=reviewer, defaults={"group": group}
            )
            made += int(created)
        if subordinates:
            made += subordinates_invite(participant=p)
    return made


@transaction.atomic
def peers_choose(
    *, actor_employee: Employee, participant: Participant, peers: list[Employee]
) -> int:
    """The participant or his manager picks peers: same cycle, not himself, within the limit."""
    cycle = Cycle.objects.select_for_update().get(pk=participant.cycle_id)
    if cycle.state not in OPEN:
        raise CycleConflict(_("Reviewers can only be chosen while the cycle is open."))
    if actor_employee.pk not in (participant.employee_id, participant.manager_id):
        raise ReviewRefused(_("Only the person or his manager chooses peers."), code="not_allowed")
    members = set(cycle.participants.values_list("employee_id", flat=True))
    chosen = {e.pk for e in peers}
    existing = set(
        participant.invitations.filter(group=RaterGroup.PEER).values_list("reviewer_id", flat=True)
    )
    if participant.employee_id in chosen or not chosen <= members:
        raise ReviewRefused(_("Peers must be other people of this cycle."), code="peer_invalid")
    others = participant.invitations.exclude(group=RaterGroup.PEER)
    if others.filter(reviewer_id__in=chosen).exists():
        raise ReviewRefused(
            _("Someone chosen already reviews this person in another rater group."),
            code="peer_invalid",
        )
    if len(existing | chosen) > cycle.peer_limit:
        raise ReviewRefused(
            _("At most %(n)s peers.") % {"n": cycle.peer_limit}, code="too_many_peers"
        )
    made = 0
    for pk in sorted(chosen - existing):
        ReviewInvitation.objects.create(
            participant=participant, reviewer_id=pk, group=RaterGroup.PEER
        )
        made += 1
    return made


@transaction.atomic
def subordinates_invite(*, participant: Participant) -> int:
    """Invite the people whose manager the participant is (in the same cycle)."""
    made = 0
    for sub in participant.cycle.participants.filter(manager_id=participant.employee_id):
        _obj, created = ReviewInvitation.objects.get_or_create(
            participant=participant,
            reviewer_id=sub.employee_id,
            defaults={"group": RaterGroup.SUBORDINATE},
        )
        made += int(created)
    return made


@transaction.atomic
def review_submit(
    *,
    reviewer: Employee,
    participant: Participant,
    answers: dict[str, Any],
    comment: str = "",
    today: dt.date | None = None,
) -> ReviewInvitation:
    """Record one reviewer's answers; refused after the deadline or when not invited."""
    cycle = Cycle.objects.select_for_update().get(pk=participant.cycle_id)
    today = today or timezone.localdate()
    if cycle.state not in OPEN:
        raise CycleConflict(_("The 360 review of this cycle is closed."), code="review_closed")
    if cycle.review_deadline and today > cycle.review_deadline:
        raise ReviewRefused(
            _("The deadline was %(d)s; answers are no longer accepted.")
            % {"d": cycle.review_deadline.isoformat()},
            code="deadline_passed",
        )
    invitation = ReviewInvitation.objects.filter(participant=participant, reviewer=reviewer).first()
    if invitation is None:
        raise ReviewRefused(_("You were not invited to review this person."), code="not_invited")
    q = Questionnaire.objects.filter(cycle=cycle).first()
    if q is None:
        raise ReviewRefused(_("This cycle has no questionnaire."), code="no_questionnaire")
    fields: dict[str, str] = {}
    total = Decimal(0)
    for c in q.criteria:
        raw = answers.get(c["code"])
        try:
            value = Decimal(str(raw))
        except Exception:
            value = Decimal(-1)
        if raw is None or not 0 <= value <= q.scale_max:
            fields[c["code"]] = _("Answer from 0 to %(m)s.") % {"m": q.scale_max}
            continue
        total += value * Decimal(str(c["weight"])) / 100
    if fields:
        raise ReviewRefused(next(iter(fields.values())), code="answers_invalid", fields=fields)
    invitation.answers = {c["code"]: str(answers[c["code"]]) for c in q.criteria}
    invitation.score = total.quantize(Decimal("0.0001"))
    invitation.comment = comment
    invitation.status = InvitationStatus.SUBMITTED
    invitation.submitted_at = timezone.now()
    invitation.save()
    return invitation


@transaction.atomic
def peer_remove(*, actor_employee: Employee, participant: Participant, peer: Employee) -> None:
    """Withdraw a peer invitation that has not been answered yet (person or manager only)."""
    cycle = Cycle.objects.select_for_update().get(pk=participant.cycle_id)
    if cycle.state not in OPEN:
        raise CycleConflict(_("Reviewers can only be chosen while the cycle is open."))
    if actor_employee.pk not in (participant.employee_id, participant.manager_id):
        raise ReviewRefused(_("Only the person or his manager chooses peers."), code="not_allowed")
    invitation = ReviewInvitation.objects.filter(
        participant=participant, reviewer=peer, group=RaterGroup.PEER
    ).first()
    if invitation is None:
        raise ReviewRefused(_("This person is not one of the chosen peers."), code="peer_invalid")
    if invitation.status == InvitationStatus.SUBMITTED:
        raise ReviewRefused(
            _("This peer has already answered and can no longer be removed."),
            code="peer_answered",
        )
    invitation.delete()
