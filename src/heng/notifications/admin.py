"""Back office: channel settings (secrets write-only) and the read-only delivery log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from heng.notifications.models import ChannelSetting, Delivery, DeliveryAttempt


@admin.register(ChannelSetting)
class ChannelSettingAdmin(admin.ModelAdmin):
    list_display = ("user", "channel", "enabled", "updated_at")
    list_filter = ("channel", "enabled")
    search_fields = ("user__username",)
    exclude = ("webhook_url", "secret")


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("at", "ok", "status_code", "error", "duration_ms")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "channel", "kind", "status", "attempts", "last_error")
    list_filter = ("status", "channel", "kind")
    search_fields = ("user__username", "title")
    inlines = [AttemptInline]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
