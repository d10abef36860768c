"""Writing the audit trail (K2): services call :func:`audit_record` inside their transaction.

Usage in a service::

    before = snapshot(employee)
    ... change and save ...
    audit_record(actor=actor, action="employee.update", target=employee,
                 employee_id=employee.pk, before=before, after=snapshot(employee))

Only the fields that differ are stored. Values of encrypted fields (and of keys listed in
:data:`SENSITIVE_KEYS`) are replaced by ``REDACTED``: the trail says *that* an ID number changed,
never what it was. The request id and client IP come from :class:`heng.core.middleware.
RequestContextMiddleware`; commands and background tasks pass their own actor label.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy

from heng.core.fields import EncryptedTextField
from heng.core.models import AuditEvent

REDACTED = "[redacted]"
# Keys redacted wherever they appear in before/after, including inside nested structures.
SENSITIVE_KEYS = frozenset(
    {"id_card_number", "phone", "bank_account", "salary_items", "amount", "password", "secret"}
)
_SKIPPED = frozenset({"created_at", "updated_at", "id_card_hash"})


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None


_NO_REQUEST = RequestContext()
_context: ContextVar[RequestContext | None] = ContextVar("heng_request_context", default=None)


def set_request_context(ctx: RequestContext) -> Any:
    return _context.set(ctx)


def reset_request_context(token: Any) -> None:
    _context.reset(token)


def current_request_context() -> RequestContext:
    return _context.get() or _NO_REQUEST


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return value


def redact(values: Mapping[str, Any], sensitive: Iterable[str] = ()) -> dict[str, Any]:
    """A copy with sensitive values replaced (empty values stay empty: "none on file")."""
    hidden = SENSITIVE_KEYS | set(sensitive)
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in hidden:
            out[key] = REDACTED if value not in ("", None, [], {}) else value
        elif isinstance(value, Mapping):
            out[key] = redact(value, sensitive)
        elif isinstance(value, list):
            out[key] = [redact(v, sensitive) if isinstance(v, Mapping) else v for v in value]
        else:
            out[key] = value
    return out


def sensitive_fields(model: type[models.Model]) -> set[str]:
    return {f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)}


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The instance's concrete field values (FKs by id), JSON-ready and *not yet* redacted."""
    wanted = set(fields) if fields is not None else None
    values: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.primary_key or field.name in _SKIPPED:
            continue
        if wanted is not None and field.name not in wanted:
            continue
        values[field.name] = _jsonable(getattr(instance, field.attname))
    return values


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: Any = "",
    target_label: str = "",
    employee_id: int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    note: str = "",
    sensitive: Iterable[str] = (),
    save: bool = True,
) -> AuditEvent:
    """Record one action. With both ``before`` and ``after`` only the changed keys are kept."""
    hidden = set(sensitive)
    if target is not None:
        hidden |= sensitive_fields(type(target))
        target_type = target_type or target._meta.label_lower
        target_id = target_id or target.pk
        target_label = target_label or str(target)
    before_out = dict(before) if before is not None else None
    after_out = dict(after) if after is not None else None
    if before_out is not None and after_out is not None:
        changed = {
            k for k in before_out.keys() | after_out.keys() if before_out.get(k) != after_out.get(k)
        }
        before_out = {k: v for k, v in before_out.items() if k in changed}
        after_out = {k: v for k, v in after_out.items() if k in changed}
    ctx = current_request_context()
    event = AuditEvent(
        actor_id=getattr(actor, "pk", None),
        actor_label=_actor_label(actor),
        action=action,
        target_type=target_type,
        target_id=str(target_id or "")[:40],
        target_label=str(target_label)[:200],
        employee_id=employee_id,
        before=redact(_jsonable(before_out), hidden) if before_out is not None else None,
        after=redact(_jsonable(after_out), hidden) if after_out is not None else None,
        note=note,
        request_id=ctx.request_id,
        ip=ctx.ip,
    )
    if save:
        event.save(force_insert=True)
    return event


def audit_bulk(events: list[AuditEvent], batch_size: int = 2000) -> None:
    """Store many events built with ``audit_record(..., save=False)`` (imports)."""
    AuditEvent.objects.bulk_create(events, batch_size=batch_size)


def _actor_label(actor: Any) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor[:150]
    return str(getattr(actor, "username", actor))[:150]


ACTION_LABELS: dict[str, Any] = {
    "employee.create": gettext_lazy("Hired / e-file created"),
    "employee.update": gettext_lazy("E-file changed"),
    "employee.reveal": gettext_lazy("Sensitive value shown"),
    "employee.placement_applied": gettext_lazy("Placement took effect"),
    "assignment.create": gettext_lazy("Placement changed"),
    "contract.create": gettext_lazy("Contract added"),
    "contract.update": gettext_lazy("Contract changed"),
    "contract.reveal": gettext_lazy("Salary shown"),
}


def action_label(action: str) -> str:
    """Human name of an action code (apps register theirs in ACTION_LABELS)."""
    return str(ACTION_LABELS.get(action, action))


def event_changes(event: AuditEvent) -> list[tuple[str, Any, Any]]:
    """(field, before, after) triples of an event, for display."""
    before, after = event.before or {}, event.after or {}
    return [(key, before.get(key), after.get(key)) for key in sorted(before.keys() | after.keys())]
