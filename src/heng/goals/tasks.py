"""Background work (thin): the pace check right after new data, as a safety net every minute,
hourly, and on demand; the announcement of the alerts a check recorded."""

from __future__ import annotations

import datetime as dt

from django_tasks import task
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from heng.goals.alerts import announce_alerts
from heng.goals.checks import pace_check, pace_check_after_batch, pace_check_new_batches


@task()
def check_pace(trigger: str = "task", batch_id: int | None = None) -> int:
    return pace_check(trigger=trigger, batch_id=batch_id).fired


@task()
def check_pace_after_batch(batch_id: int, committed_after: str | None = None) -> int:
    """Queued on commit of a batch (see heng.goals.signals); skipped if already covered."""
    after = dt.datetime.fromisoformat(committed_after) if committed_after else None
    run = pace_check_after_batch(batch_id=batch_id, committed_after=after)
    return run.fired if run is not None else 0


@db_periodic_task(crontab(minute="*"))
def check_pace_after_ingestion() -> int:
    """Safety net: batches committed since the last check whose on-commit check was lost."""
    run = pace_check_new_batches()
    return run.fired if run is not None else 0


@db_periodic_task(crontab(minute="7"))
def check_pace_hourly() -> int:
    """Time passes too: the expected figure grows every day even when no data arrives."""
    return pace_check(trigger="schedule").fired


@task()
def announce_pace_alerts() -> int:
    """Queued when a check that recorded alerts commits: their messages, in-app + channels."""
    return announce_alerts()


@db_periodic_task(crontab(minute="*"))
def announce_pace_alerts_left() -> int:
    """Safety net: alerts whose announcement was never queued or was lost (queue down)."""
    return announce_alerts()
