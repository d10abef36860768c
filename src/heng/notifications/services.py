"""Send a message to people: the in-app row, plus one delivery per channel they switched on.

Callers use :func:`send` (one message) or :func:`send_many` (thousands of pace alerts at once);
apps below this one in the layers call :func:`heng.core.notifications.notify`, which this app
takes over at start-up (see :mod:`heng.notifications.apps`), so their reminders reach the
channels too.
Both write ``core.Notification`` rows exactly as :func:`heng.core.notifications.notify` does
(same de-duplication key format, each recipient's language), add the :class:`Delivery` rows
in the same transaction, and hand the deliveries to the background worker after commit.
Nothing is lost if the worker is down: the every-minute job picks up whatever is due.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import smtplib
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.conf import settings
from django.core.mail import BadHeaderError, EmailMessage
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from heng.core.bulk import bulk_insert, insert_frame
from heng.core.errors import ValidationFailed
from heng.core.models import Notification
from heng.notifications import channels
from heng.notifications.models import (
    WEBHOOK_CHANNELS,
    Channel,
    ChannelSetting,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
)

log = logging.getLogger(__name__)

# Seconds to wait after the 1st, 2nd … failed attempt.
BACKOFF = (30, 120, 600, 1800, 7200)
# A delivery being sent is claimed for this long; a worker that dies mid-send frees it then.
CLAIM = dt.timedelta(seconds=120)
KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def max_attempts() -> int:
    return int(getattr(settings, "HENG_DELIVERY_MAX_ATTEMPTS", 5))


def webhook_timeout() -> float:
    return float(getattr(settings, "HENG_WEBHOOK_TIMEOUT", 5.0))


def absolute(url: str) -> str:
    base = str(getattr(settings, "HENG_BASE_URL", "") or "").rstrip("/")
    return f"{base}{url}" if url.startswith("/") and base else url


@dataclass(frozen=True)
class Outgoing:
    """One message for some recipients; ``title``/``body`` may be lazy translations with
    ``%(name)s`` placeholders filled from ``params`` in each recipient's language."""

    recipients: Sequence[Any]
    title: Any
    body: Any = ""
    url: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    key: str | None = None
    kind: str = "general"


def send(
    *,
    recipients: Iterable[Any],
    title: Any,
    body: Any = "",
    url: str = "",
    params: Mapping[str, Any] | None = None,
    key: str | None = None,
    kind: str = "general",
) -> int:
    """Notify each recipient once (in-app) and on his channels; returns new in-app rows."""
    return send_many([Outgoing(list(recipients), title, body, url, dict(params or {}), key, kind)])


class _Templates:
    """Each (lazy) title and body in each language, translated once per ``send_many`` call:
    thousands of pace alerts share two texts, and switching the active language per message
    cost more than the formatting."""

    def __init__(self) -> None:
        self._seen: dict[tuple[int, str], tuple[Any, str]] = {}

    def text(self, template: Any, language: str) -> str:
        key = (id(template), language)
        if key not in self._seen:
            with translation.override(language):
                self._seen[key] = (template, str(template))  # keeps ``template`` alive
        return self._seen[key][1]

    def render(self, message: Outgoing, language: str) -> tuple[str, str]:
        params = dict(message.params)
        title = self.text(message.title, language)
        body = self.text(message.body, language) if message.body else ""
        if params:
            title, body = title % params, (body % params if body else "")
        return title[:200], body


@dataclass
class _Row:
    """One in-app notification to write (cheaper than a model instance when there are
    tens of thousands of them)."""

    recipient_id: int
    title: str
    body: str
    url: str
    key: str | None
    kind: str
    pk: int | None = None


def _insert(rows: list[_Row]) -> None:
    if not rows:
        return
    frame = pl.DataFrame(
        {
            "recipient_id": [r.recipient_id for r in rows],
            "title": [r.title for r in rows],
            "body": [r.body for r in rows],
            "url": [r.url for r in rows],
            "key": [r.key for r in rows],
        },
        schema={
            "recipient_id": pl.Int64,
            "title": pl.Utf8,
            "body": pl.Utf8,
            "url": pl.Utf8,
            "key": pl.Utf8,
        },
    ).with_columns(pl.lit(timezone.now()).alias("created_at"))
    written = insert_frame(Notification, frame, with_pks=True)
    for row, pk in zip(rows, written["id"].to_list(), strict=True):
        row.pk = pk


@transaction.atomic
def send_many(messages: Sequence[Outgoing]) -> int:
    rows: list[_Row] = []
    rendered: dict[tuple[int, str], tuple[str, str]] = {}
    templates = _Templates()
    for index, message in enumerate(messages):
        for user in {u.pk: u for u in message.recipients if u is not None}.values():
            language = getattr(user, "preferred_language", "") or settings.LANGUAGE_CODE
            if (index, language) not in rendered:
                rendered[index, language] = templates.render(message, language)
            title, body = rendered[index, language]
            key = f"{message.key}:{user.pk}"[:120] if message.key else None
            rows.append(_Row(user.pk, title, body, message.url, key, message.kind))
    if not rows:
        return 0
    existing = _taken([r.key for r in rows if r.key])
    # Keys are unique: within one call the first of two equal keys wins.
    seen: set[str] = set()
    unique = []
    for row in rows:
        if row.key is not None:
            if row.key in existing or row.key in seen:
                continue
            seen.add(row.key)
        unique.append(row)
    try:
        with transaction.atomic():
            _insert(unique)
    except IntegrityError:
        # Another sender wrote some of the same keys since the look-up (two reminder jobs at
        # once): a key makes the repeat harmless, so leave those out and write the rest.
        taken = _taken([r.key for r in unique if r.key])
        unique = [r for r in unique if r.key is None or r.key not in taken]
        _insert(unique)
    deliveries = _deliveries(unique)
    if deliveries:
        ids = [d.pk for d in deliveries if d.status == DeliveryStatus.PENDING]
        if ids:
            transaction.on_commit(lambda: _enqueue(ids))
    return len(unique)


def _taken(keys: list[str | None]) -> set[str | None]:
    """The keys among ``keys`` already used (one query per 50,000 on PostgreSQL)."""
    found: set[str | None] = set()
    size = 50_000 if connection.vendor == "postgresql" else 5000
    for start in range(0, len(keys), size):
        chunk = keys[start : start + size]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT key FROM {Notification._meta.db_table} WHERE key = ANY(%s)", [chunk]
                )
                found |= {key for (key,) in cursor.fetchall()}
        else:
            found |= set(Notification.objects.filter(key__in=chunk).values_list("key", flat=True))
    return found


def _deliveries(rows: list[_Row]) -> list[Delivery]:
    user_ids = {n.recipient_id for n in rows}
    wanted: dict[int, list[ChannelSetting]] = defaultdict(list)
    for setting in ChannelSetting.objects.filter(user_id__in=user_ids, enabled=True).select_related(
        "user"
    ):
        wanted[setting.user_id].append(setting)
    out: list[Delivery] = []
    for notification in rows:
        assert notification.pk is not None  # written by _insert
        for setting in wanted.get(notification.recipient_id, ()):
            if not setting.wants(notification.kind):
                continue
            delivery = Delivery(
                notification_id=notification.pk,
                user_id=notification.recipient_id,
                channel=setting.channel,
                kind=notification.kind,
                title=notification.title,
                body=notification.body,
                url=notification.url,
            )
            reason = _missing_address(setting)
            if reason:
                delivery.status = DeliveryStatus.SKIPPED
                delivery.last_error = reason
                log.info(
                    "delivery skipped: user %s, %s: %s", setting.user_id, setting.channel, reason
                )
            out.append(delivery)
    bulk_insert(Delivery, out, with_pks=True)
    return out


def _missing_address(setting: ChannelSetting) -> str:
    if setting.channel == Channel.EMAIL:
        if not (setting.address or setting.user.email):
            return "no e-mail address on the account or in the setting"
        return ""
    if not setting.webhook_url:
        return "no webhook URL configured"
    return ""


def _enqueue(ids: list[int]) -> None:
    from heng.notifications.tasks import deliver

    for start in range(0, len(ids), 200):
        try:
            deliver.enqueue(delivery_ids=ids[start : start + 200])
        except Exception:  # the queue being down must not lose anything: the schedule retries
            log.exception(
                "could not queue deliveries %s…; the every-minute job will send them", ids[start]
            )


# --- sending one delivery -------------------------------------------------------------------
def _send(delivery: Delivery, setting: ChannelSetting | None) -> int | None:
    if setting is None or not setting.enabled:
        raise channels.Permanent("the channel was switched off")
    message = channels.Message(delivery.title, delivery.body, absolute(delivery.url))
    if delivery.channel == Channel.EMAIL:
        address = setting.address or delivery.user.email
        if not address:
            raise channels.Permanent("no e-mail address")
        body = f"{message.body}\n\n{message.link}".strip() if message.link else message.body
        try:
            EmailMessage(subject=message.title, body=body or message.title, to=[address]).send()
        except BadHeaderError as exc:
            raise channels.Permanent(str(exc)) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise channels.Transient(f"mail server: {exc}") from exc
        return None
    if not setting.webhook_url:
        raise channels.Permanent("no webhook URL configured")
    now = time.time()
    if delivery.channel == Channel.DINGTALK:
        request = channels.dingtalk_request(
            url=setting.webhook_url,
            secret=setting.secret,
            message=message,
            timestamp_ms=int(now * 1000),
            link_text=pgettext("message link", "Open"),
        )
    elif delivery.channel == Channel.WECOM:
        request = channels.wecom_request(
            url=setting.webhook_url, message=message, link_text=pgettext("message link", "Open")
        )
    else:
        request = channels.feishu_request(
            url=setting.webhook_url,
            secret=setting.secret,
            message=message,
            timestamp_s=int(now),
            link_text=pgettext("message link", "Open"),
        )
    return channels.post_json(delivery.channel, request, timeout=webhook_timeout())


def delivery_attempt(*, delivery_id: int, now: dt.datetime | None = None) -> Delivery | None:
    """Try one delivery if it is due; record the attempt. Safe to call twice at once: the
    claim is a single conditional UPDATE, so only one caller sends."""
    now = now or timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id,
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING, DeliveryStatus.SENDING],
        next_attempt_at__lte=now,
    ).update(status=DeliveryStatus.SENDING, next_attempt_at=now + CLAIM, attempts=F("attempts") + 1)
    delivery = Delivery.objects.select_related("user").filter(pk=delivery_id).first()
    if not claimed or delivery is None:
        return delivery
    setting = ChannelSetting.objects.filter(
        user_id=delivery.user_id, channel=delivery.channel
    ).first()
    started = time.monotonic()
    status_code: int | None = None
    error = ""
    try:
        status_code = _send(delivery, setting)
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = timezone.now()
    except channels.Transient as exc:
        status_code, error = exc.status_code, str(exc)
        if delivery.attempts >= max_attempts():
            delivery.status = DeliveryStatus.FAILED
            error = f"{error} (gave up after {delivery.attempts} attempts)"
        else:
            delivery.status = DeliveryStatus.RETRYING
            wait = BACKOFF[min(delivery.attempts, len(BACKOFF)) - 1]
            delivery.next_attempt_at = timezone.now() + dt.timedelta(seconds=wait)
    except channels.Permanent as exc:
        status_code, error = exc.status_code, str(exc)
        delivery.status = DeliveryStatus.FAILED
    elapsed = int((time.monotonic() - started) * 1000)
    delivery.last_error = error
    with transaction.atomic():
        delivery.save(update_fields=["status", "sent_at", "next_attempt_at", "last_error"])
        DeliveryAttempt.objects.create(
            delivery=delivery,
            ok=not error,
            status_code=status_code,
            error=error,
            duration_ms=elapsed,
        )
    if error:
        log.warning(
            "delivery %s (%s to user %s) attempt %s: %s → %s",
            delivery.pk,
            delivery.channel,
            delivery.user_id,
            delivery.attempts,
            error,
            delivery.status,
        )
    return delivery


def deliveries_due(*, now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    now = now or timezone.now()
    return list(
        Delivery.objects.filter(
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING, DeliveryStatus.SENDING],
            next_attempt_at__lte=now,
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def deliveries_run_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Send what is due (new, to retry, or abandoned mid-send); returns how many were tried."""
    ids = deliveries_due(now=now, limit=limit)
    for delivery_id in ids:
        delivery_attempt(delivery_id=delivery_id, now=now)
    return len(ids)


# --- preferences ----------------------------------------------------------------------------
def _valid_url(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@transaction.atomic
def channel_setting_save(
    *,
    user: Any,
    channel: str,
    enabled: bool,
    address: str = "",
    webhook_url: str | None = None,
    secret: str | None = None,
    kinds: Sequence[str] = (),
) -> ChannelSetting:
    """Create or change the user's setting for one channel. ``webhook_url`` / ``secret`` left
    as None keep what is stored (they are never shown back); "" clears them."""
    fields: dict[str, str] = {}
    if channel not in Channel.values:
        raise ValidationFailed(
            _("Unknown channel %(channel)s.") % {"channel": channel},
            code="unknown_channel",
            fields={"channel": channel},
        )
    url = (webhook_url or "").strip()
    if channel in WEBHOOK_CHANNELS and url and not _valid_url(url):
        fields["webhook_url"] = _("Enter an http:// or https:// address.")
    if channel == Channel.EMAIL and address and "@" not in address:
        fields["address"] = _("Enter a valid e-mail address.")
    bad_kinds = [k for k in kinds if not KIND_PATTERN.match(k)]
    if bad_kinds:
        fields["kinds"] = _("Unknown message kinds: %(kinds)s.") % {"kinds": ", ".join(bad_kinds)}
    if fields:
        raise ValidationFailed(_("Some fields are invalid."), code="channel_invalid", fields=fields)
    setting = ChannelSetting.objects.filter(user=user, channel=channel).first() or ChannelSetting(
        user=user, channel=channel
    )
    setting.enabled = enabled
    setting.address = address.strip() if channel == Channel.EMAIL else ""
    if webhook_url is not None and channel in WEBHOOK_CHANNELS:
        setting.webhook_url = url
    if secret is not None and channel in (Channel.DINGTALK, Channel.FEISHU):
        setting.secret = secret.strip()
    setting.kinds = sorted(set(kinds))
    setting.save()
    return setting


def channel_test(*, user: Any, channel: str) -> Delivery:
    """Send a test message on one channel now (not through the queue) and report the outcome."""
    setting = ChannelSetting.objects.filter(user=user, channel=channel).first()
    if setting is None or not setting.enabled:
        raise ValidationFailed(
            _("Switch the channel on first."), code="channel_off", fields={"channel": channel}
        )
    with transaction.atomic():
        notification = Notification.objects.create(
            recipient=user,
            title=_("Test message from Heng"),
            body=_("If you can read this, the channel works."),
            url="/notifications/",
        )
        delivery = Delivery.objects.create(
            notification=notification,
            user=user,
            channel=channel,
            kind="test",
            title=notification.title,
            body=notification.body,
            url=notification.url,
        )
    return delivery_attempt(delivery_id=delivery.pk) or delivery
