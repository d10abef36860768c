"""Background work of the performance domain (thin: load by id, call a service)."""

from __future__ import annotations

from django_tasks import task
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from heng.core.errors import ApplicationError
from heng.performance.models import Cycle, CycleState


@task()
def score_cycle(cycle_id: int) -> int:
    from heng.performance.services.scoring import cycle_score

    try:
        return cycle_score(cycle=Cycle.objects.get(pk=cycle_id))
    except ApplicationError:
        return -1  # the refusal is stored on the cycle (score_status/score_message)


@db_periodic_task(crontab(hour="9", minute="0"))
def remind_cycles() -> int:
    from heng.performance.services.cycles import cycle_remind

    open_states = [CycleState.OPEN, CycleState.SELF_REVIEW, CycleState.MANAGER_SCORING]
    return sum(cycle_remind(cycle=c) for c in Cycle.objects.filter(state__in=open_states))
