"""The dashboard's score section (E3): where the person stands in the open cycle, and his last
published result. Both come from the performance app's cycles; nothing is shown when they do
not exist.

The projection runs the scoring engine on the open cycle's inputs as they are today (the same
``cycle_inputs`` the real scoring uses); the whole cycle is scored once and cached until new
facts arrive (keyed by the newest committed batch), so each dashboard costs a cache read. When
the cycle already has stored results (scored, not yet published) those are shown instead.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache

from heng.engine import EngineError, ScoringConfig, score
from heng.integrations.models import Batch, BatchStatus
from heng.people.models import Employee
from heng.performance.models.cycles import Cycle, CycleState, Participant, ParticipantStatus
from heng.performance.models.results import Result

log = logging.getLogger(__name__)
OPEN_STATES = (
    CycleState.OPEN,
    CycleState.SELF_REVIEW,
    CycleState.MANAGER_SCORING,
    CycleState.CALIBRATION,
)
CACHE_SECONDS = 600


def _config(framework: dict[str, Any], review_group_weights: Any = None) -> ScoringConfig:
    # ``review_group_weights``: the cycle questionnaire's, which replace the framework's.
    return ScoringConfig.create(
        category_weights=framework["category_weights"],
        kpi_weight=framework["kpi_weight"],
        review_weight=framework["review_weight"],
        review_scale=(framework["review_scale"][0], framework["review_scale"][1]),
        review_group_weights=review_group_weights or framework["review_group_weights"],
        bonus_cap=framework["bonus_cap"],
        rating_bands=framework["rating_bands"],
        target_mix=framework["target_mix"] or None,
        rank_by="unit",
    )


def _projection(cycle: Cycle) -> dict[int, tuple[float, int, int]] | None:
    """employee pk → (total, rank, group size) for the whole cycle, or None when the engine
    cannot score it yet (targets or values missing)."""
    from heng.performance.services.scoring import cycle_inputs

    try:
        inputs = cycle_inputs(cycle)
        result = score(
            employees=inputs.employees,
            lines=inputs.lines,
            values=inputs.values,
            config=_config(cycle.framework, inputs.review_group_weights),
            reviews=inputs.reviews,
            bonus=inputs.bonus,
        )
    except (EngineError, KeyError, ValueError) as exc:
        log.info("no projection for cycle %s: %s", cycle.pk, exc)
        return None
    except Exception as exc:  # ScoringRefused (gaps) and the like: nothing to project yet
        log.info("no projection for cycle %s: %s", cycle.pk, exc)
        return None
    out = {}
    for emp, total, rank, size in result.totals.select(
        "employee_id", "total", "rank", "group_size"
    ).iter_rows():
        pk = inputs.employee_pks.get(emp)
        if pk is not None:
            out[pk] = (float(total), int(rank), int(size))
    return out


def open_cycle_standing(employee: Employee) -> Any:
    from heng.goals.selectors import Standing

    participant = (
        Participant.objects.filter(
            employee=employee, status=ParticipantStatus.ACTIVE, cycle__state__in=OPEN_STATES
        )
        .select_related("cycle")
        .order_by("-cycle__period_end")
        .first()
    )
    if participant is None:
        return None
    cycle = participant.cycle
    stored = Result.objects.filter(participant=participant).first()
    if stored is not None:
        return Standing(cycle.name, float(stored.final_total), stored.rank, stored.group_size)
    newest = (
        Batch.objects.filter(status=BatchStatus.COMMITTED)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    key = f"goals:projection:{cycle.pk}:{newest}"
    projection = cache.get(key)
    if projection is None:
        projection = _projection(cycle) or {}
        cache.set(key, projection, CACHE_SECONDS)
    found = projection.get(employee.pk)
    if found is None:
        return Standing(cycle.name)
    total, rank, size = found
    return Standing(cycle.name, total, rank, size)


def latest_published(employee: Employee) -> dict[str, Any] | None:
    result = (
        Result.objects.filter(
            employee_id=employee.pk,
            cycle__state__in=(CycleState.PUBLISHED, CycleState.ARCHIVED),
        )
        .select_related("cycle")
        .order_by("-cycle__period_end")
        .first()
    )
    if result is None:
        return None
    return {
        "cycle": result.cycle.name,
        "total": float(result.final_total),
        "rating": result.final_rating,
        "rank": result.rank,
        "group_size": result.group_size,
    }
