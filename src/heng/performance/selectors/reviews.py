"""Reads of the 360 (F2): a reviewer's to-do list, progress per participant, who may see what.

Nothing here returns another reviewer's answers, score or comment: the only window on answers
is :func:`heng.performance.selectors.cycles.review_summary` (group averages, peer and
subordinate groups only from :data:`ANONYMITY_MIN` answers on).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from heng.performance.models import (
    Cycle,
    CycleState,
    InvitationStatus,
    Participant,
    Questionnaire,
    RaterGroup,
    ReviewInvitation,
)

OPEN_FOR_ANSWERS = (CycleState.OPEN, CycleState.SELF_REVIEW)


def questionnaire_of(cycle: Cycle) -> Questionnaire | None:
    return Questionnaire.objects.filter(cycle=cycle).first()


def answerable(invitation: ReviewInvitation, today: dt.date | None = None) -> bool:
    """May the reviewer (still) answer? The cycle's 360 is open and the deadline not past."""
    cycle = invitation.participant.cycle
    today = today or timezone.localdate()
    if cycle.state not in OPEN_FOR_ANSWERS:
        return False
    return cycle.review_deadline is None or today <= cycle.review_deadline


def reviews_of(employee_id: int | None) -> QuerySet[ReviewInvitation]:
    """The invitations addressed to this reviewer: open cycles first, pending before done."""
    if employee_id is None:
        return ReviewInvitation.objects.none()
    return (
        ReviewInvitation.objects.filter(reviewer_id=employee_id)
        .select_related("participant", "participant__cycle", "participant__unit")
        .order_by(
            "-participant__cycle__period_start",
            "participant__cycle_id",
            "status",  # "pending" before "submitted"
            "participant__employee_no",
        )
    )


def progress_rows(people: list[Participant]) -> list[dict[str, Any]]:
    """Answered / invited per participant (and per rater group), in the order given."""
    counts: dict[int, dict[str, list[int]]] = defaultdict(dict)
    rows = (
        ReviewInvitation.objects.filter(participant_id__in=[p.pk for p in people])
        .values("participant_id", "group")
        .annotate(
            invited=Count("id"), answered=Count("id", filter=Q(status=InvitationStatus.SUBMITTED))
        )
    )
    for r in rows:
        counts[r["participant_id"]][r["group"]] = [r["answered"], r["invited"]]
    out = []
    for p in people:
        groups = counts.get(p.pk, {})
        invited = sum(v[1] for v in groups.values())
        answered = sum(v[0] for v in groups.values())
        out.append(
            {
                "participant": p,
                "employee_id": p.employee_id,
                "employee_no": p.employee_no,
                "name": p.name,
                "unit": p.unit.name,
                "invited": invited,
                "answered": answered,
                "percent": round(100 * answered / invited) if invited else 0,
                "groups": {
                    g: {"answered": groups[g][0], "invited": groups[g][1]}
                    for g in RaterGroup.values
                    if g in groups
                },
            }
        )
    return out


def peer_candidates(
    participant: Participant, visible: QuerySet[Participant], q: str = "", limit: int = 50
) -> list[Participant]:
    """People the peers may be chosen from, as far as the chooser may see them: everyone of
    the cycle in the participant's own unit, plus the participants the chooser sees anyway;
    not the person himself nor anyone already invited for him. ``q`` filters by name or
    employee number."""
    taken = set(participant.invitations.values_list("reviewer_id", flat=True))
    rows = participant.cycle.participants.filter(
        Q(unit_id=participant.unit_id) | Q(pk__in=visible.values("pk"))
    ).exclude(employee_id__in={participant.employee_id, *taken})
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(employee_no__icontains=q))
    return list(rows.select_related("unit").order_by("unit_path", "employee_no")[:limit])
