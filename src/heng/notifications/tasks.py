"""Background sending (thin): after commit, and every minute for retries and leftovers."""

from __future__ import annotations

from django_tasks import task
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from heng.notifications.services import deliveries_run_due, delivery_attempt


@task()
def deliver(delivery_ids: list[int]) -> int:
    for delivery_id in delivery_ids:
        delivery_attempt(delivery_id=delivery_id)
    return len(delivery_ids)


@db_periodic_task(crontab(minute="*"))
def deliver_due() -> int:
    return deliveries_run_due()
