"""Back office: HR admins configure sources, metrics and connectors here; batches and runs are
read-only records (they change only through the ingestion services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from heng.integrations.forms import ConnectorForm
from heng.integrations.models import Batch, Connector, ConnectorRun, Metric, QuarantinedRow, Source
from heng.integrations.services import connector_save


class MetricInline(admin.TabularInline):
    model = Metric
    extra = 0
    fields = (
        "code",
        "name",
        "name_en",
        "unit",
        "value_type",
        "aggregation",
        "min_value",
        "max_value",
    )


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "subject_kind", "layout", "active")
    list_filter = ("kind", "active")
    search_fields = ("code", "name")
    inlines = [MetricInline]


@admin.register(Connector)
class ConnectorAdmin(admin.ModelAdmin):
    """The same form and checks as the connector page; saving goes through
    ``connector_save``, which sets the next run. The secret is shown masked only."""

    form = ConnectorForm
    list_display = (
        "name",
        "source",
        "schedule",
        "enabled",
        "auth_value_masked",
        "next_run_at",
        "last_run_at",
    )
    list_filter = ("enabled", "source")
    readonly_fields = ("next_run_at", "last_run_at")
    fields = (*ConnectorForm.Meta.fields, "clear_auth_value", *readonly_fields)

    def save_model(self, request: HttpRequest, obj: Connector, form: Any, change: bool) -> None:
        connector_save(obj)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Batch)
class BatchAdmin(ReadOnly):
    list_display = (
        "id",
        "source",
        "via",
        "status",
        "received",
        "duplicates",
        "test_rows",
        "quarantined",
        "committed",
        "created_at",
    )
    list_filter = ("status", "via", "source")


@admin.register(ConnectorRun)
class ConnectorRunAdmin(ReadOnly):
    list_display = ("connector", "scheduled_for", "status", "requests", "retries", "records")
    list_filter = ("status",)


@admin.register(QuarantinedRow)
class QuarantinedRowAdmin(ReadOnly):
    list_display = ("batch", "row_no", "reasons", "resolved_by")
