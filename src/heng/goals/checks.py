"""The pace check (E1, E2): after every ingestion and on a schedule.

    run = pace_check(trigger="schedule")

Evaluates every open KPI for every holder (:func:`heng.goals.evaluation.evaluate`), compares
with the stored :class:`PaceState` and, on the transition not-breached → breached only, records
a :class:`PaceAlert` for the person and his manager with the numbers that triggered it; once
the check commits, the worker announces it (in-app, plus their channels —
:func:`heng.goals.alerts.announce_alerts`). A recovery resets the state so that the next
breach alerts again. Then KPI progress feeds the goal tree roll-up, and completed rewarded
goals grant their points. Writes are proportional to the changes (transitions, goals whose
progress moved), not to the number of people checked.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

import polars as pl
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heng.accounts.models import User
from heng.core.bulk import insert_frame
from heng.core.frames import queryset_frame
from heng.engine.pace import breach_transitions
from heng.goals.alerts import record_alerts
from heng.goals.evaluation import Skipped, default_as_of, evaluate
from heng.goals.models import Goal, GoalKind, PaceRun, PaceState, Recognition
from heng.goals.recipients import users_of
from heng.goals.rollup import goals_rollup, measure_key_results
from heng.notifications.services import Outgoing, send_many

log = logging.getLogger(__name__)
KEYS = ["employee_id", "goal_id", "period_start"]
LOCK_ID = 0x6865_6E67_0601  # "heng" + issue 6: one pace check at a time (PostgreSQL)


def _previous(frame: pl.DataFrame) -> pl.DataFrame:
    """The stored states of the frame's KPIs and periods."""
    rows = PaceState.objects.filter(
        goal_id__in=frame["goal_id"].unique().to_list(),
        period_start__in=frame["period_start"].unique().to_list(),
    ).values_list("pk", "employee_id", "goal_id", "period_start", "breached")
    return queryset_frame(
        rows,
        {
            "state_id": pl.Int64,
            "employee_id": pl.Int64,
            "goal_id": pl.Int64,
            "period_start": pl.Date,
            "breached": pl.Boolean,
        },
    )


def _state(row: dict[str, Any], now: dt.datetime, **extra: Any) -> PaceState:
    return PaceState(
        pk=row.get("state_id"),
        goal_id=row["goal_id"],
        employee_id=row["employee_id"],
        indicator_id=row["indicator_id"],
        period_start=row["period_start"],
        period_end=row["period_end"],
        actual=row["actual"],
        expected=row["expected"],
        target=row["target"],
        threshold=row["threshold"],
        attainment=row["attainment"],
        checked_at=now,
        **extra,
    )


_STATE_FIELDS = [
    "breached",
    "actual",
    "expected",
    "target",
    "threshold",
    "attainment",
    "checked_at",
]


_STATE_COLUMNS = [
    "goal_id",
    "employee_id",
    "indicator_id",
    "period_start",
    "period_end",
    "actual",
    "expected",
    "target",
    "threshold",
    "attainment",
]


def _write_states(fired: pl.DataFrame, recovered: pl.DataFrame, now: dt.datetime) -> None:
    """First breaches insert a state (set-based: thousands at once after a bad week); the
    rarer repeat breaches and recoveries update theirs."""
    first = fired.filter(pl.col("state_id").is_null())
    insert_frame(
        PaceState,
        first.select(
            *_STATE_COLUMNS,
            pl.lit(True).alias("breached"),
            pl.lit(now).alias("breached_at"),
            pl.lit(now).alias("checked_at"),
        ),
    )
    again = [
        _state(row, now, breached=True, breached_at=now)
        for row in fired.filter(pl.col("state_id").is_not_null()).iter_rows(named=True)
    ]
    back = [
        _state(row, now, breached=False, recovered_at=now)
        for row in recovered.iter_rows(named=True)
    ]
    PaceState.objects.bulk_update(again, [*_STATE_FIELDS, "breached_at"], batch_size=2000)
    PaceState.objects.bulk_update(back, [*_STATE_FIELDS, "recovered_at"], batch_size=2000)


REWARD_TITLE = _("+%(points)s points: %(goal)s")
REWARD_BODY = _("Completed: %(goal)s. Well done!")


def _rewards(frame: pl.DataFrame, now: dt.datetime) -> int:
    """Automatic recognition: a rewarded KPI completed in a period (once per person and period),
    a rewarded key result reaching its target (once for its owner)."""
    done = frame.filter((pl.col("reward_points") > 0) & (pl.col("progress") >= 1.0))
    grants: list[tuple[int, int, int, str]] = [
        (
            r["employee_id"],
            r["goal_id"],
            r["reward_points"],
            f"goal:{r['goal_id']}:{r['employee_id']}:{r['period_start']}",
        )
        for r in done.iter_rows(named=True)
    ]
    for pk, owner, points in Goal.objects.filter(
        kind=GoalKind.KEY_RESULT, reward_points__gt=0, progress__gte=1.0, owner__isnull=False
    ).values_list("pk", "owner_id", "reward_points"):
        grants.append((owner, pk, points, f"goal:{pk}:{owner}"))
    if not grants:
        return 0
    keys = [g[3] for g in grants]
    known = set(Recognition.objects.filter(rule_key__in=keys).values_list("rule_key", flat=True))
    fresh = [g for g in grants if g[3] not in known]
    if not fresh:
        return 0
    titles = dict(Goal.objects.filter(pk__in={g[1] for g in fresh}).values_list("pk", "title"))
    Recognition.objects.bulk_create(
        [
            Recognition(
                employee_id=e,
                goal_id=g,
                points=p,
                rule_key=k,
                created_at=now,
                message=str(titles.get(g, ""))[:300],
            )
            for e, g, p, k in fresh
        ]
    )
    own = users_of([g[0] for g in fresh])
    users = {u.pk: u for u in User.objects.filter(pk__in=own.values())}
    send_many(
        [
            Outgoing(
                recipients=[users[own[e]]],
                title=REWARD_TITLE,
                body=REWARD_BODY,
                params={"points": p, "goal": titles.get(g, "")},
                url="/goals/me/",
                key=f"reward:{k}",
                kind="recognition",
            )
            for e, g, p, k in fresh
            if e in own and own[e] in users
        ]
    )
    return len(fresh)


def _candidates(frame: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    """The only rows that can change state: off pace now (a first or new breach), or on pace
    now and off pace at the last check (a recovery). A few thousand of two million."""
    was_off = previous.filter(pl.col("breached")).select(KEYS)
    back = frame.join(was_off, on=KEYS, how="semi").filter(pl.col("breached") == False)  # noqa: E712
    return pl.concat([frame.filter(pl.col("breached")), back])


def _queue_announcement() -> None:
    from heng.goals.tasks import announce_pace_alerts

    try:
        announce_pace_alerts.enqueue()
    except Exception:  # the alerts are recorded; the every-minute job announces them
        log.exception("could not queue the announcement of new pace alerts")


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_ID])


def pace_check(
    *,
    as_of: dt.date | None = None,
    trigger: str = "schedule",
    batch_id: int | None = None,
    now: dt.datetime | None = None,
) -> PaceRun:
    """Check every open KPI for every holder; alert on new breaches; roll progress up.

    One check at a time, and each one reads the facts *after* taking the lock: two checks
    started together (the one queued after a commit and the every-minute safety net) run one
    after the other, the second seeing the states the first wrote, so a breach alerts once.
    """
    started = time.perf_counter()
    now = now or timezone.now()
    as_of = as_of or default_as_of()
    skipped = Skipped()
    with transaction.atomic():
        _lock()
        frame = evaluate(as_of=as_of, skipped=skipped)
        kr_values = measure_key_results(as_of=as_of)
        previous = _previous(frame)
        candidates = _candidates(frame, previous)
        moves = breach_transitions(candidates, previous, keys=KEYS).join(
            previous.select(*KEYS, "state_id"), on=KEYS, how="left"
        )
        fired = moves.filter(pl.col("fire"))
        recovered = moves.filter(pl.col("recover"))
        _write_states(fired, recovered, now)
        alerts = record_alerts(fired, as_of=as_of, now=now)
        if alerts:
            transaction.on_commit(_queue_announcement)
        kpi_progress = dict(frame.group_by("goal_id").agg(pl.col("progress").mean()).iter_rows())
        goals_rollup(kpi_progress=kpi_progress, kr_values=kr_values)
        _rewards(frame, now)
        run = PaceRun.objects.create(
            started_at=now,
            trigger=trigger,
            batch_id=batch_id,
            as_of=as_of,
            rows=frame.height,
            fired=alerts,
            recovered=recovered.height,
            seconds=round(time.perf_counter() - started, 3),
        )
    for goal_id, reason in skipped.reasons.items():
        log.warning("pace check %s: KPI %s skipped: %s", run.pk, goal_id, reason)
    return run


# --- after ingestion: the on-commit path and the every-minute safety net --------------------
# A check *covers* a batch when it started after the batch was committed: it read the facts.
# Both paths skip covered batches, so together they run one check per burst of deliveries,
# and whatever runs twice still alerts once (see pace_check).


def pace_check_after_batch(
    *, batch_id: int, committed_after: dt.datetime | None = None
) -> PaceRun | None:
    """The check queued right after batch ``batch_id`` was committed (``committed_after``:
    when the commit was announced). Skipped when a check has started since then (it saw the
    batch), e.g. when many batches arrive together and the first queued check took them all."""
    if (
        committed_after is not None
        and PaceRun.objects.filter(started_at__gte=committed_after).exists()
    ):
        log.info("pace check after batch %s: already covered", batch_id)
        return None
    return pace_check(trigger="ingestion", batch_id=batch_id)


def pace_check_new_batches() -> PaceRun | None:
    """Safety net (every minute): run a check if a batch was committed after the latest check
    started — one whose on-commit check was lost (queue down, worker crash) or never queued
    (a batch committed by another route)."""
    from heng.integrations.models import Batch, BatchStatus

    latest = PaceRun.objects.order_by("-started_at").values_list("started_at", flat=True).first()
    batches = Batch.objects.filter(status=BatchStatus.COMMITTED, committed_at__isnull=False)
    if latest is not None:
        batches = batches.filter(committed_at__gt=latest)
    newest = batches.order_by("-committed_at", "-pk").values_list("pk", flat=True).first()
    if newest is None:
        return None
    return pace_check(trigger="ingestion", batch_id=newest)
