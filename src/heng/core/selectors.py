"""Reads on the audit trail."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from heng.core.models import AuditEvent


@dataclass(frozen=True)
class AuditFilter:
    q: str = ""
    action: str = ""
    target_type: str = ""
    target_id: str = ""
    employee_id: int | None = None
    actor: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def audit_search(f: AuditFilter) -> QuerySet[AuditEvent]:
    """Events matching every given criterion, newest first. Dates are inclusive, local time."""
    events = AuditEvent.objects.all()
    if f.q:
        events = events.filter(
            Q(target_label__icontains=f.q) | Q(actor_label__icontains=f.q) | Q(note__icontains=f.q)
        )
    if f.action:
        events = events.filter(action__startswith=f.action)
    if f.target_type:
        events = events.filter(target_type=f.target_type)
    if f.target_id:
        events = events.filter(target_id=f.target_id)
    if f.employee_id is not None:
        events = events.filter(employee_id=f.employee_id)
    if f.actor:
        events = events.filter(actor_label=f.actor)
    if f.date_from:
        events = events.filter(at__date__gte=f.date_from)
    if f.date_to:
        events = events.filter(at__date__lte=f.date_to)
    return events.order_by("-at", "-id")


def audit_actions() -> list[str]:
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())


def can_read_audit(user: object) -> bool:
    """Auditors and HR admins (through the role permission backend)."""
    has_perm = getattr(user, "has_perm", None)
    return bool(
        getattr(user, "is_authenticated", False) and has_perm and has_perm("core.view_auditevent")
    )
