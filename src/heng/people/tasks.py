"""Scheduled work for people: placements that take effect, contract expiry reminders."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from heng.people.services import assignments_apply_due, contracts_remind_expiring


@db_periodic_task(crontab(hour="0", minute="5"))
def apply_due_assignments() -> int:
    """Future-dated transfers and dispatches take effect; ended dispatches return home."""
    return assignments_apply_due()


@db_periodic_task(crontab(hour="8", minute="0"))
def remind_expiring_contracts() -> int:
    return contracts_remind_expiring()
