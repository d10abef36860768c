"""The audit trail over the API (auditors and HR admins)."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from heng.core.api import ERRORS, BoundedPagination
from heng.core.errors import NotFound
from heng.core.selectors import AuditFilter, audit_search, can_read_audit

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    id: int
    at: dt.datetime
    actor_id: int | None
    actor_label: str
    action: str
    target_type: str
    target_id: str
    target_label: str
    employee_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str
    request_id: str
    ip: str | None


@router.get("/events", response={200: list[AuditEventOut], **ERRORS})
@paginate(BoundedPagination)
def list_events(
    request: HttpRequest,
    q: str = "",
    action: str = "",
    target_type: str = "",
    target_id: str = "",
    employee_id: int | None = None,
    actor: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> Any:
    if not can_read_audit(request.user):
        raise NotFound()
    return audit_search(
        AuditFilter(
            q=q,
            action=action,
            target_type=target_type,
            target_id=target_id,
            employee_id=employee_id,
            actor=actor,
            date_from=date_from,
            date_to=date_to,
        )
    )
