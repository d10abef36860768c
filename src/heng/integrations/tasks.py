"""Background work (thin: load by id, call a service).

``heng worker`` (huey's consumer) runs the every-minute schedule check and the queued commits
of big uploads. The connectors' own schedules live in the database (cron fields per
connector), so changing one needs no restart.
"""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from heng.integrations.models import Connector
from heng.integrations.services import batch_commit, connector_run, connectors_run_due


@db_periodic_task(crontab(minute="*"))
def run_due_connectors() -> int:
    return len(connectors_run_due())


@task()
def commit_batch(batch_id: int) -> str:
    return batch_commit(batch_id=batch_id).status


@task()
def run_connector_now(connector_id: int) -> str:
    connector = Connector.objects.select_related("source").get(pk=connector_id)
    return connector_run(connector=connector, scheduled_for=timezone.now()).status
