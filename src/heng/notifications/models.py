"""Channels on top of the in-app inbox (``core.Notification``): preferences and an outbox.

Every message is an in-app notification first. A user's enabled channels (e-mail, DingTalk,
WeCom or Feishu robot webhooks) each get a :class:`Delivery` row written in the same
transaction as the notification; a background task sends them after commit, retries
timeouts and 5xx answers with back-off, and logs every attempt in :class:`DeliveryAttempt`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heng.core.fields import EncryptedTextField
from heng.core.models import TimeStampedModel


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    DINGTALK = "dingtalk", _("DingTalk robot")
    WECOM = "wecom", _("WeCom robot")
    FEISHU = "feishu", _("Feishu robot")


WEBHOOK_CHANNELS = (Channel.DINGTALK, Channel.WECOM, Channel.FEISHU)


class ChannelSetting(TimeStampedModel):
    """One user's wish to also receive messages on one channel (the inbox is always on)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channel_settings"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    address = models.EmailField(
        _("e-mail address"), blank=True, help_text=_("Empty: the account's own address.")
    )
    # Robot URLs carry their access token: a secret like the signing secret.
    webhook_url = EncryptedTextField(_("webhook URL"), blank=True)
    secret = EncryptedTextField(_("signing secret"), blank=True)
    kinds = models.JSONField(
        _("message kinds"),
        default=list,
        blank=True,
        help_text=_("Only these kinds of message (empty: all)."),
    )

    class Meta:
        verbose_name = _("channel setting")
        verbose_name_plural = _("channel settings")
        constraints = [
            models.UniqueConstraint(fields=["user", "channel"], name="channel_setting_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_channel_display()}"

    def wants(self, kind: str) -> bool:
        return self.enabled and (not self.kinds or kind in self.kinds)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    RETRYING = "retrying", _("Will retry")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class Delivery(models.Model):
    """One message to send on one channel. The text is fixed at creation, in the recipient's
    language, so a retry sends exactly what the inbox shows."""

    notification = models.ForeignKey(
        "core.Notification", on_delete=models.CASCADE, related_name="deliveries"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("message kind"), max_length=40, blank=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When a waiting/retrying row is due; for a row being sent, when its claim expires.
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["user", "created_at"], name="delivery_user"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.user}: {self.title}"


class DeliveryAttempt(models.Model):
    """The log of every try: when, what came back, how long it took."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(_("time"), default=timezone.now)
    ok = models.BooleanField(_("succeeded"))
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} @ {self.at:%Y-%m-%d %H:%M:%S}: {'ok' if self.ok else 'error'}"
