"""Notifications: reminders and approval messages, one in-app row per recipient.

Apps of every layer call :func:`notify`. Core itself only writes the in-app row; the
notifications app (a higher layer, which core may not import) registers itself as the
*sender* when it starts (:func:`register_sender`), and then every message also goes out on
each recipient's channels (e-mail, DingTalk / WeCom / Feishu robots) by his preferences, with
retries. Without a registered sender (core alone, e.g. in a script) messages stay in-app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation

from heng.core.errors import NotFound
from heng.core.models import Notification

# The sender takes notify's keyword arguments and returns how many in-app rows were new.
Sender = Callable[..., int]
_sender: Sender | None = None


def register_sender(sender: Sender | None) -> Sender | None:
    """Route every :func:`notify` through ``sender`` (None: back to in-app only); returns the
    sender it replaces. Called once by the notifications app's ``ready()``."""
    global _sender
    previous, _sender = _sender, sender
    return previous


def registered_sender() -> Sender | None:
    return _sender


def notify(
    *,
    recipients: Iterable[Any],
    title: Any,
    body: Any = "",
    url: str = "",
    params: Mapping[str, Any] | None = None,
    key: str | None = None,
    kind: str = "general",
) -> int:
    """Notify each recipient once, in his own language; returns how many rows were new.

    ``title``/``body`` are lazy translations with ``%(name)s`` placeholders filled from
    ``params``. With ``key`` a repeat (same key + recipient) is ignored, which makes reminder
    jobs safe to run again. ``kind`` (e.g. ``cycle_reminder``) is what users filter their
    channels by; the in-app inbox always gets everything.
    """
    if _sender is not None:
        return _sender(
            recipients=list(recipients),
            title=title,
            body=body,
            url=url,
            params=dict(params or {}),
            key=key,
            kind=kind,
        )
    return notify_in_app(
        recipients=recipients, title=title, body=body, url=url, params=params, key=key
    )


def notify_in_app(
    *,
    recipients: Iterable[Any],
    title: Any,
    body: Any = "",
    url: str = "",
    params: Mapping[str, Any] | None = None,
    key: str | None = None,
) -> int:
    """The in-app row only (no channels): what :func:`notify` does without a sender."""
    params = dict(params or {})
    rows = []
    for user in {u.pk: u for u in recipients if u is not None}.values():
        language = getattr(user, "preferred_language", "") or settings.LANGUAGE_CODE
        with translation.override(language):
            rows.append(
                Notification(
                    recipient=user,
                    title=(str(title) % params)[:200],
                    body=str(body) % params if body else "",
                    url=url,
                    key=f"{key}:{user.pk}"[:120] if key else None,
                )
            )
    if not rows:
        return 0
    keyed = [r.key for r in rows if r.key]
    existing = set(Notification.objects.filter(key__in=keyed).values_list("key", flat=True))
    fresh = [r for r in rows if r.key is None or r.key not in existing]
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


def notifications_for(user: Any, *, unread_only: bool = False) -> QuerySet[Notification]:
    rows = Notification.objects.filter(recipient=user)
    return rows.filter(read_at__isnull=True) if unread_only else rows


@transaction.atomic
def notification_mark_read(*, user: Any, notification_id: int | None = None) -> int:
    """Mark one (or, without an id, all) of the user's notifications read."""
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        if not Notification.objects.filter(recipient=user, pk=notification_id).exists():
            raise NotFound()
        rows = rows.filter(pk=notification_id)
    return rows.update(read_at=timezone.now())
