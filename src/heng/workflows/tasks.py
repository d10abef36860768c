"""Scheduled work for approvals: remind approvers of overdue steps (hourly)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from heng.workflows.services import approvals_remind_overdue


@db_periodic_task(crontab(minute="15"))
def remind_overdue_approvals() -> int:
    return approvals_remind_overdue()
