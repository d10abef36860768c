"""Reads: the inbox, the unread count, a user's channels and his delivery log."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from heng.core.models import Notification
from heng.notifications.models import Channel, ChannelSetting, Delivery


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def inbox(user: Any, *, unread_only: bool = False) -> QuerySet[Notification]:
    rows = Notification.objects.filter(recipient=user)
    return rows.filter(read_at__isnull=True) if unread_only else rows


def channel_settings(user: Any) -> list[tuple[str, str, ChannelSetting | None]]:
    """Every channel with its label and the user's setting (None: never configured)."""
    mine = {s.channel: s for s in ChannelSetting.objects.filter(user=user)}
    return [(value, str(label), mine.get(value)) for value, label in Channel.choices]


def deliveries_for(user: Any) -> QuerySet[Delivery]:
    return Delivery.objects.filter(user=user).prefetch_related("log")


def masked_url(url: str) -> str:
    """Show where a robot posts without revealing its token: scheme, host and path start."""
    if not url:
        return ""
    head, _sep, _tail = url.partition("?")
    return (head[:40] + "…") if len(head) > 40 or "?" in url else head
