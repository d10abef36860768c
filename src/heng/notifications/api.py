"""The inbox, channel preferences and the delivery log over the API (always one's own)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from heng.core.api import ERRORS, BoundedPagination
from heng.core.errors import NotFound
from heng.core.notifications import notification_mark_read
from heng.notifications import services
from heng.notifications.models import WEBHOOK_CHANNELS, Channel
from heng.notifications.selectors import (
    channel_settings,
    deliveries_for,
    inbox,
    masked_url,
    unread_count,
)

router = Router(tags=["notifications"])


class InboxItemOut(Schema):
    id: int
    title: str
    body: str
    url: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class UnreadOut(Schema):
    unread: int


class ChannelOut(Schema):
    channel: str
    label: str
    enabled: bool
    configured: bool
    address: str
    webhook_url_hint: str
    has_secret: bool
    kinds: list[str]


class ChannelIn(Schema):
    enabled: bool
    address: str = ""
    webhook_url: str | None = None
    secret: str | None = None
    kinds: list[str] = []


class AttemptOut(Schema):
    at: dt.datetime
    ok: bool
    status_code: int | None
    error: str
    duration_ms: int


class DeliveryOut(Schema):
    id: int
    notification_id: int
    channel: str
    kind: str
    title: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    log: list[AttemptOut]


@router.get("/inbox", response={200: list[InboxItemOut], **ERRORS})
@paginate(BoundedPagination)
def list_inbox(request: HttpRequest, unread: bool = False) -> Any:
    """My notifications, newest first (``unread=true``: only the unread ones)."""
    return inbox(request.user, unread_only=unread)


@router.get("/inbox/unread-count", response={200: UnreadOut, **ERRORS})
def inbox_unread(request: HttpRequest) -> Any:
    return {"unread": unread_count(request.user)}


@router.post("/inbox/read", response={200: UnreadOut, **ERRORS})
def inbox_read_all(request: HttpRequest) -> Any:
    notification_mark_read(user=request.user)
    return {"unread": 0}


@router.post("/inbox/{notification_id}/read", response={200: UnreadOut, **ERRORS})
def inbox_read_one(request: HttpRequest, notification_id: int) -> Any:
    notification_mark_read(user=request.user, notification_id=notification_id)
    return {"unread": unread_count(request.user)}


def _channel_out(channel: str, label: str, setting: Any) -> dict[str, Any]:
    return {
        "channel": channel,
        "label": label,
        "enabled": bool(setting and setting.enabled),
        "configured": setting is not None,
        "address": setting.address if setting else "",
        "webhook_url_hint": masked_url(setting.webhook_url) if setting else "",
        "has_secret": bool(setting and setting.secret),
        "kinds": list(setting.kinds) if setting else [],
    }


@router.get("/notification-channels", response={200: list[ChannelOut], **ERRORS})
def list_channels(request: HttpRequest) -> Any:
    """My channels. Webhook URLs and secrets are never shown back, only whether they are set."""
    return [_channel_out(*row) for row in channel_settings(request.user)]


def _known(channel: str) -> str:
    if channel not in Channel.values:
        raise NotFound()
    return channel


@router.put("/notification-channels/{channel}", response={200: ChannelOut, **ERRORS})
def put_channel(request: HttpRequest, channel: str, payload: ChannelIn) -> Any:
    """Switch a channel on or off. ``webhook_url``/``secret`` omitted keep the stored ones."""
    setting = services.channel_setting_save(
        user=request.user,
        channel=_known(channel),
        enabled=payload.enabled,
        address=payload.address,
        webhook_url=payload.webhook_url if channel in WEBHOOK_CHANNELS else None,
        secret=payload.secret,
        kinds=payload.kinds,
    )
    return _channel_out(channel, str(Channel(channel).label), setting)


@router.post("/notification-channels/{channel}/test", response={200: DeliveryOut, **ERRORS})
def test_channel(request: HttpRequest, channel: str) -> Any:
    """Send a test message on the channel right away; the answer says whether it arrived."""
    delivery = services.channel_test(user=request.user, channel=_known(channel))
    return deliveries_for(request.user).get(pk=delivery.pk)


@router.get("/deliveries", response={200: list[DeliveryOut], **ERRORS})
@paginate(BoundedPagination)
def list_deliveries(request: HttpRequest, status: str = "") -> Any:
    """My deliveries with every attempt (time, HTTP status, error)."""
    rows = deliveries_for(request.user)
    return rows.filter(status=status) if status else rows
