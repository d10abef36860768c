"""Calibration (F3) and publication (F4): adjustments with a reason, publish into the ledger,
later corrections as new ledger entries."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heng.core.audit import audit_record
from heng.core.notifications import notify
from heng.performance.cycle_errors import CycleConflict, CycleInvalid
from heng.performance.models import Adjustment, Cycle, CycleState, ParticipantStatus, Result
from heng.performance.services.cycles import missing_manual
from heng.performance.services.ledger import ledger_append, ledger_append_payloads
from heng.performance.services.ledger_payloads import ledger_payload, publish_payloads


def _bands(cycle: Cycle) -> list[str]:
    return [b["code"] for b in cycle.framework.get("rating_bands", [])]


def _rating_for(cycle: Cycle, total: Decimal) -> str:
    for band in sorted(cycle.framework["rating_bands"], key=lambda b: -Decimal(str(b["min"]))):
        if total >= Decimal(str(band["min"])):
            return str(band["code"])
    return str(cycle.framework["rating_bands"][-1]["code"])


RERANKED = gettext_lazy("Rank recomputed after a calibration in the unit.")


def _rerank(*, actor: Any, result: Result, reason: str) -> list[Adjustment]:
    """Re-rank the result's group (its scoring unit, as the engine ranks ``rank_by="unit"``)
    on the final totals: competition ranking, highest first, ties share a rank.

    ``Result.rank`` then always follows ``final_total``; every rank that moves gets an
    adjustment row (``field="rank"``, old → new), so the engine's original rank stays in the
    explanation (the first rank row's old value). Returns those rows, unsaved, each holding
    its ``result`` (with participant) for correction entries after publication.
    """
    rows = list(
        Result.objects.filter(
            cycle_id=result.cycle_id, participant__unit_id=result.participant.unit_id
        )
        .select_related("participant")
        .order_by("-final_total", "participant__employee_no")
    )
    made, moved = [], []
    rank = 0
    for i, row in enumerate(rows):
        if i == 0 or row.final_total != rows[i - 1].final_total:
            rank = i + 1
        if row.rank == rank:
            continue
        made.append(
            Adjustment(
                result=row,
                field="rank",
                old_value=str(row.rank),
                new_value=str(rank),
                reason=reason if row.pk == result.pk else str(RERANKED),
                by=actor,
            )
        )
        row.rank = rank
        moved.append(row)
        if row.pk == result.pk:
            result.rank = rank
    Result.objects.bulk_update(moved, ["rank"])
    return made


def _adjust(
    *, actor: Any, result: Result, total: Decimal | None, rating: str | None, reason: str
) -> list[Adjustment]:
    if not reason.strip():
        raise CycleInvalid(
            _("An adjustment needs a reason."), code="reason_missing", fields={"reason": ""}
        )
    if total is None and not rating:
        raise CycleInvalid(_("Give a new score or rating."), code="nothing_to_adjust")
    cycle = result.cycle
    if rating and rating not in _bands(cycle):
        raise CycleInvalid(_("Unknown rating %(r)s.") % {"r": rating}, fields={"rating": rating})
    made = []
    if total is not None:
        made.append(
            Adjustment(
                result=result,
                field="total",
                old_value=str(result.final_total),
                new_value=str(total),
                reason=reason,
                by=actor,
            )
        )
        result.final_total = total
        if not rating:
            rating = _rating_for(cycle, total)
    if rating and rating != result.final_rating:
        made.append(
            Adjustment(
                result=result,
                field="rating",
                old_value=result.final_rating,
                new_value=rating,
                reason=reason,
                by=actor,
            )
        )
        result.final_rating = rating
    result.save(update_fields=["final_total", "final_rating"])
    if total is not None:
        made += _rerank(actor=actor, result=result, reason=reason)
    Adjustment.objects.bulk_create(made)
    audit_record(
        actor=actor,
        action="cycle.result_adjust",
        target=result,
        employee_id=result.employee_id,
        note=reason,
        after={
            "final_total": str(result.final_total),
            "rating": result.final_rating,
            "rank": result.rank,
        },
    )
    return made


@transaction.atomic
def result_adjust(
    *,
    actor: Any,
    result: Result,
    reason: str,
    total: Decimal | None = None,
    rating: str | None = None,
) -> list[Adjustment]:
    """Calibration: change a final score or rating, with a reason, recorded who and when."""
    cycle = Cycle.objects.select_for_update().get(pk=result.cycle_id)
    if cycle.state != CycleState.CALIBRATION:
        raise CycleConflict(_("Results can be adjusted only during calibration."))
    result = Result.objects.select_related("cycle", "participant").get(pk=result.pk)
    return _adjust(actor=actor, result=result, total=total, rating=rating, reason=reason)


PUBLISHED = gettext_lazy("Your appraisal result for %(cycle)s is published")


@transaction.atomic
def cycle_publish(*, actor: Any, cycle: Cycle, excuse: str = "") -> int:
    """Publish: every final result into the ledger; refused while manager scores are missing
    unless ``excuse`` gives a reason. Returns the number of ledger entries written."""
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.state != CycleState.CALIBRATION:
        raise CycleConflict(
            _("The cycle is %(state)s; only a cycle in calibration can be published.")
            % {"state": cycle.get_state_display()}
        )
    missing = missing_manual(cycle)
    if missing and not excuse.strip():
        raise CycleConflict(
            _(
                "%(count)s manager score(s) are missing (first: %(no)s %(code)s); give a reason "
                "to publish anyway."
            )
            % {"count": len(missing), "no": missing[0][0], "code": missing[0][1]},
            code="manager_scores_missing",
        )
    active = cycle.participants.filter(status=ParticipantStatus.ACTIVE).count()
    scored = Result.objects.filter(cycle=cycle).count()
    if scored != active:
        raise CycleConflict(
            _("Score the cycle again: %(n)s of %(m)s people have a result.")
            % {"n": scored, "m": active},
            code="not_scored",
        )
    written = ledger_append_payloads(
        kind="result", cycle_code=cycle.code, payloads=publish_payloads(cycle)
    )
    cycle.publish()
    cycle.excuse = excuse
    cycle.published_at = timezone.now()
    cycle.save()
    audit_record(
        actor=actor, action="cycle.publish", target=cycle, note=excuse or f"{written} results"
    )
    from heng.accounts.models import User

    people = Result.objects.filter(cycle=cycle).values("employee_id")
    users = list(User.objects.filter(employee_id__in=people))
    url = f"/performance/scorecard/?cycle={cycle.pk}"
    transaction.on_commit(
        lambda: notify(
            recipients=users,
            title=PUBLISHED,
            url=url,
            params={"cycle": cycle.name},
            key=f"cycle:{cycle.pk}:published",
            kind="cycle_published",
        )
    )
    return written


@transaction.atomic
def result_correct(
    *,
    actor: Any,
    result: Result,
    reason: str,
    total: Decimal | None = None,
    rating: str | None = None,
) -> int:
    """After publication: adjust and append a correction entry (the old entry stays).

    A corrected total can move other people's ranks in the unit: each of them gets a
    correction entry too, so the ledger always holds everyone's current final rank.
    """
    cycle = Cycle.objects.select_for_update().get(pk=result.cycle_id)
    if cycle.state not in (CycleState.PUBLISHED, CycleState.ARCHIVED):
        raise CycleConflict(_("Only published results are corrected."))
    result = Result.objects.select_related("cycle", "participant").get(pk=result.pk)
    made = _adjust(actor=actor, result=result, total=total, rating=rating, reason=reason)
    entry = ledger_payload(result, cycle, kind="correction")
    entry.payload["reason"] = reason
    entries = [entry]
    for a in made:
        if a.field == "rank" and a.result.pk != result.pk:
            other = ledger_payload(a.result, cycle, kind="correction")
            other.payload["reason"] = a.reason
            entries.append(other)
    return ledger_append(entries)


def parse_decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text) if text.strip() else None
    except InvalidOperation:
        raise CycleInvalid(_("Enter a number."), fields={"total": text}) from None
