"""Reads of cycles: lists in scope, review progress and anonymised summaries, distribution."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet

from heng.accounts.models import Role
from heng.accounts.scope import scope_for
from heng.performance.models import (
    ANONYMITY_MIN,
    Cycle,
    CycleState,
    InvitationStatus,
    Participant,
    RaterGroup,
    Result,
    ReviewInvitation,
)

ANONYMOUS = (RaterGroup.PEER, RaterGroup.SUBORDINATE)


def participants_visible_to(user: Any, cycle: Cycle) -> QuerySet[Participant]:
    """Company-wide roles see all; unit heads and regional HR their subtrees; anyone himself."""
    scope = scope_for(user)
    rows = cycle.participants.select_related("unit")
    if scope.company_wide:
        return rows
    cond = Q(pk__in=[])
    for path in scope.unit_paths:
        cond |= Q(unit_path__startswith=path)
    if scope.own_employee_id:
        cond |= Q(employee_id=scope.own_employee_id)
    return rows.filter(cond)


def results_released(cycle: Cycle) -> bool:
    """Published (or archived) results are everyone's to see; before that only managers'."""
    return cycle.state in (CycleState.PUBLISHED, CycleState.ARCHIVED)


def sees_unpublished(user: Any) -> bool:
    """Managers, HR and auditors see results before publication (inside their scope)."""
    scope = scope_for(user)
    return scope.company_wide or bool(scope.unit_paths)


def results_visible_to(user: Any, cycle: Cycle) -> QuerySet[Result]:
    """Results of the participants the user sees; before publication only a manager's (HR,
    auditor, unit head, regional HR) for the people he manages — never anyone's own
    unpublished total, rank or rating, except HR admins who run the cycle."""
    rows = Result.objects.filter(cycle=cycle)
    if results_released(cycle):
        ids = participants_visible_to(user, cycle).values("pk")
        return rows.filter(participant_id__in=ids)
    scope = scope_for(user)
    if scope.company_wide:
        managed = rows
    elif scope.unit_paths:
        cond = Q(pk__in=[])
        for path in scope.unit_paths:
            cond |= Q(participant__unit_path__startswith=path)
        managed = rows.filter(cond)
    else:
        return rows.none()
    if scope.own_employee_id and Role.HR_ADMIN not in scope.roles:
        managed = managed.exclude(employee_id=scope.own_employee_id)
    return managed


def review_progress(cycle: Cycle) -> dict[str, Any]:
    rows = ReviewInvitation.objects.filter(participant__cycle=cycle)
    agg = rows.aggregate(
        total=Count("id"), done=Count("id", filter=Q(status=InvitationStatus.SUBMITTED))
    )
    return {
        "total": agg["total"],
        "done": agg["done"],
        "percent": round(100 * agg["done"] / agg["total"]) if agg["total"] else 0,
    }


def review_summary(participant: Participant) -> list[dict[str, Any]]:
    """Per rater group: count and average; peer/subordinate averages only with ≥ 3 answers,
    and never individual answers."""
    out = []
    done = participant.invitations.filter(status=InvitationStatus.SUBMITTED)
    for group in RaterGroup.values:
        scores = [r.score for r in done if r.group == group and r.score is not None]
        if not scores:
            continue
        hidden = group in ANONYMOUS and len(scores) < ANONYMITY_MIN
        avg = sum(scores, Decimal(0)) / len(scores)
        out.append(
            {
                "group": group,
                "count": len(scores),
                "hidden": hidden,
                "average": None if hidden else avg.quantize(Decimal("0.01")),
            }
        )
    return out


def cycle_distribution(
    cycle: Cycle, *, by: str = "unit", paths: list[str] | None = None
) -> list[dict[str, Any]]:
    """Final ratings per group against the framework's target mix (over/under per bucket)."""
    field = "participant__unit__name" if by == "unit" else "participant__region_code"
    rows = Result.objects.filter(cycle=cycle)
    if paths is not None:
        cond = Q(pk__in=[])
        for p in paths:
            cond |= Q(participant__unit_path__startswith=p)
        rows = rows.filter(cond)
    counts: dict[str, Counter[str]] = {}
    for group, rating in rows.values_list(field, "final_rating"):
        counts.setdefault(group or "-", Counter())[rating] += 1
    mix = cycle.framework.get("target_mix") or [
        {"label": b.get("name_zh") or b["code"], "bands": [b["code"]], "share": None}
        for b in cycle.framework.get("rating_bands", [])
    ]
    out = []
    for group, c in sorted(counts.items()):
        size = sum(c.values())
        for bucket in mix:
            n = sum(c[b] for b in bucket["bands"])
            share = round(100 * n / size, 1)
            target = bucket.get("share")
            diff = None if target is None else round(share - float(target), 1)
            status = "ok" if diff is None or abs(diff) < 0.05 else ("over" if diff > 0 else "under")
            out.append(
                {
                    "group": group,
                    "bucket": bucket["label"],
                    "size": size,
                    "count": n,
                    "share": share,
                    "target": target,
                    "diff": diff,
                    "status": status,
                }
            )
    return out


def cycles_list() -> QuerySet[Cycle]:
    return Cycle.objects.annotate(size=Count("participants"))
