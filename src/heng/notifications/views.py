"""Pages: the inbox (with mark-as-read) and the channel preferences with the delivery log."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heng.core.errors import ApplicationError
from heng.core.notifications import notification_mark_read
from heng.notifications import services
from heng.notifications.models import WEBHOOK_CHANNELS, Channel, DeliveryStatus
from heng.notifications.selectors import (
    channel_settings,
    deliveries_for,
    inbox,
    masked_url,
    unread_count,
)


@login_required
def inbox_page(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(inbox(request.user, unread_only=unread_only), 30).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "unread_only": unread_only, "unread": unread_count(request.user)}
    return render(request, "notifications/inbox.html", context)


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("id", "")
    notification_mark_read(user=request.user, notification_id=int(raw) if raw.isdigit() else None)
    if getattr(request, "htmx", False):
        return render(
            request,
            "notifications/_bell.html",
            {"unread_notifications": unread_count(request.user)},
        )
    return redirect(request.POST.get("next") or "notifications:inbox")


def _rows(user: Any, errors: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    return [
        {
            "channel": channel,
            "label": label,
            "setting": setting,
            "webhook": channel in WEBHOOK_CHANNELS,
            "signed": channel in (Channel.DINGTALK, Channel.FEISHU),
            "url_hint": masked_url(setting.webhook_url) if setting else "",
            "has_secret": bool(setting and setting.secret),
            "kinds": ", ".join(setting.kinds) if setting else "",
            "error": errors.get(channel, {}),
        }
        for channel, label, setting in channel_settings(user)
    ]


@login_required
def channels_page(request: HttpRequest) -> HttpResponse:
    errors: dict[str, dict[str, str]] = {}
    if request.method == "POST":
        channel = request.POST.get("channel", "")
        try:
            if request.POST.get("action") == "test":
                delivery = services.channel_test(user=request.user, channel=channel)
                if delivery.status == DeliveryStatus.SENT:
                    messages.success(request, _("Test message sent."))
                else:
                    messages.error(
                        request,
                        _("Test message not delivered: %(error)s") % {"error": delivery.last_error},
                    )
            else:
                kinds = [k.strip() for k in request.POST.get("kinds", "").split(",") if k.strip()]
                services.channel_setting_save(
                    user=request.user,
                    channel=channel,
                    enabled=request.POST.get("enabled") == "on",
                    address=request.POST.get("address", ""),
                    webhook_url=request.POST.get("webhook_url") or None,
                    secret=request.POST.get("secret") or None,
                    kinds=kinds,
                )
                messages.success(request, _("Saved."))
            return redirect("notifications:channels")
        except ApplicationError as exc:
            errors[channel] = {**exc.fields, "message": exc.message}
    context = {
        "rows": _rows(request.user, errors),
        "errors": errors,
        "deliveries": deliveries_for(request.user)[:30],
    }
    return render(request, "notifications/channels.html", context, status=422 if errors else 200)
