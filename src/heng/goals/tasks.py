"""Background work (thin): the pace check after new data, hourly, and on demand."""

from __future__ import annotations

from django_tasks import task
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from heng.goals.checks import pace_check, pace_check_new_batches


@task()
def check_pace(trigger: str = "task", batch_id: int | None = None) -> int:
    return pace_check(trigger=trigger, batch_id=batch_id).fired


@db_periodic_task(crontab(minute="*"))
def check_pace_after_ingestion() -> int:
    """Batches committed since the last check (by any route: upload, push, connector)."""
    run = pace_check_new_batches()
    return run.fired if run is not None else 0


@db_periodic_task(crontab(minute="7"))
def check_pace_hourly() -> int:
    """Time passes too: the expected figure grows every day even when no data arrives."""
    return pace_check(trigger="schedule").fired
