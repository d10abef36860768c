"""The pace check (E1, E2): after every ingestion and on a schedule.

    run = pace_check(trigger="schedule")

Evaluates every open KPI for every holder (:func:`heng.goals.evaluation.evaluate`), compares
with the stored :class:`PaceState` and, on the transition not-breached → breached only, records
a :class:`PaceAlert` and notifies the person and his manager with the numbers that triggered
it (in-app, plus their channels). A recovery resets the state so that the next breach alerts
again. Then KPI progress feeds the goal tree roll-up, and completed rewarded goals grant their
points. Writes are proportional to the changes (transitions, goals whose progress moved), not
to the number of people checked.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from typing import Any

import polars as pl
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heng.accounts.models import User
from heng.core.bulk import insert_frame
from heng.engine.pace import breach_transitions
from heng.goals.evaluation import Skipped, default_as_of, evaluate
from heng.goals.models import Goal, GoalKind, PaceAlert, PaceRun, PaceState, Recognition
from heng.goals.recipients import managers_of, users_of
from heng.goals.rollup import goals_rollup, measure_key_results
from heng.notifications.services import Outgoing, send_many
from heng.people.models import Employee
from heng.performance.models import Indicator

log = logging.getLogger(__name__)
KEYS = ["employee_id", "goal_id", "period_start"]
LOCK_ID = 0x6865_6E67_0601  # "heng" + issue 6: one pace check at a time (PostgreSQL)


def number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text}{unit}" if unit in ("%", "") else f"{text} {unit}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _previous(frame: pl.DataFrame) -> pl.DataFrame:
    goal_ids = frame["goal_id"].unique().to_list()
    starts = frame["period_start"].unique().to_list()
    rows = PaceState.objects.filter(goal_id__in=goal_ids, period_start__in=starts).values_list(
        "pk", "employee_id", "goal_id", "period_start", "breached"
    )
    return pl.DataFrame(
        list(rows),
        schema={
            "state_id": pl.Int64,
            "employee_id": pl.Int64,
            "goal_id": pl.Int64,
            "period_start": pl.Date,
            "breached": pl.Boolean,
        },
        orient="row",
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


TITLE = _("Off pace: %(indicator)s (%(name)s)")
BODY = _(
    "%(name)s — %(goal)s: %(actual)s by %(as_of)s, %(expected)s expected to date "
    "(%(attainment)s of the pace; alert below %(threshold)s). "
    "Target %(target)s for %(period_start)s – %(period_end)s."
)


def _alerts(fired: pl.DataFrame, as_of: dt.date, now: dt.datetime) -> int:
    """Record one alert per breach and notify the person and his manager(s)."""
    if fired.is_empty():
        return 0
    employees = fired.select("employee_id", "unit_id", "working_unit_id").unique("employee_id")
    managers = managers_of(employees.iter_rows())
    own = users_of(employees["employee_id"].to_list())
    names = dict(
        Employee.objects.filter(pk__in=employees["employee_id"].to_list()).values_list("pk", "name")
    )
    goal_ids = fired["goal_id"].unique().to_list()
    goals = dict(Goal.objects.filter(pk__in=goal_ids).values_list("pk", "title"))
    indicators = {
        i.pk: i for i in Indicator.objects.filter(pk__in=fired["indicator_id"].unique().to_list())
    }
    recipients = {
        employee_id: json.dumps(
            sorted(
                ({own[employee_id]} if employee_id in own else set())
                | managers.get(employee_id, set())
            )
        )
        for employee_id in employees["employee_id"].to_list()
    }
    alerts = insert_frame(
        PaceAlert,
        fired.select(
            "goal_id",
            "employee_id",
            "indicator_id",
            "period_start",
            "period_end",
            pl.lit(as_of).alias("as_of"),
            "actual",
            "expected",
            "target",
            "threshold",
            "attainment",
            pl.col("employee_id")
            .replace_strict(recipients, return_dtype=pl.Utf8)
            .alias("recipients"),
            pl.lit(now).alias("created_at"),
        ),
        with_pks=True,
    )
    user_ids = {u for ids in recipients.values() for u in json.loads(ids)}
    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids).only("pk", "preferred_language")}
    heard_by = {
        e: [users[u] for u in json.loads(ids) if u in users] for e, ids in recipients.items()
    }
    messages = []
    for alert in alerts.iter_rows(named=True):
        unit = indicators[alert["indicator_id"]].unit
        messages.append(
            Outgoing(
                recipients=heard_by[alert["employee_id"]],
                title=TITLE,
                body=BODY,
                url=f"/goals/people/{alert['employee_id']}/",
                params={
                    "name": names.get(alert["employee_id"], ""),
                    "indicator": indicators[alert["indicator_id"]].name,
                    "goal": goals.get(alert["goal_id"], ""),
                    "actual": number(alert["actual"], unit),
                    "expected": number(alert["expected"], unit),
                    "target": number(alert["target"], unit),
                    "attainment": percent(alert["attainment"]),
                    "threshold": percent(alert["threshold"]),
                    "as_of": as_of.isoformat(),
                    "period_start": alert["period_start"].isoformat(),
                    "period_end": alert["period_end"].isoformat(),
                },
                key=f"pace:{alert['id']}",
                kind="pace_alert",
            )
        )
    send_many(messages)
    return alerts.height


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
        judged = frame.filter(pl.col("breached").is_not_null())
        previous = _previous(judged)
        moves = breach_transitions(judged, previous, keys=KEYS).join(
            previous.select(*KEYS, "state_id"), on=KEYS, how="left"
        )
        fired = moves.filter(pl.col("fire"))
        recovered = moves.filter(pl.col("recover"))
        _write_states(fired, recovered, now)
        alerts = _alerts(fired, as_of, now)
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
