"""Back-office views. Edits here mark the scheme as a new draft; publishing (which checks
everything) stays in the scheme editor, the API and ``heng scheme import --publish``.
Published versions are read-only everywhere."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from heng.performance.models import (
    Framework,
    Indicator,
    OverrideChange,
    Scheme,
    SchemeAssignment,
    SchemeLine,
    SchemeOverride,
    SchemeVersion,
)
from heng.performance.services.indicators import INDICATOR_FIELDS


class IndicatorAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    """The same checks as the library page and the API: rule, parameters, formula."""

    class Meta:
        model = Indicator
        fields = ["code", *INDICATOR_FIELDS]

    def clean(self) -> dict[str, Any]:
        from heng.core.errors import ApplicationError
        from heng.performance.services.indicators import indicator_validate

        cleaned = super().clean() or {}
        code = cleaned.get("code") or (self.instance.code if self.instance.pk else "")
        try:
            indicator_validate(code=str(code), values=cleaned)
        except ApplicationError as exc:
            for field, message in (exc.fields or {}).items():
                self.add_error(field if field in self.fields else None, message)
        return cleaned


@admin.register(Indicator)
class IndicatorAdmin(SimpleHistoryAdmin):
    form = IndicatorAdminForm
    list_display = ["code", "name", "category", "direction", "value_kind", "rule"]
    list_filter = ["category", "direction", "value_kind", "rule"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Framework)
class FrameworkAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "category_weighting", "kpi_weight", "review_weight"]
    search_fields = ["code", "name"]


class AssignmentInline(admin.TabularInline):
    model = SchemeAssignment
    extra = 0


class LineInline(admin.TabularInline):
    model = SchemeLine
    extra = 0
    fields = [
        "order",
        "indicator",
        "weight",
        "rule",
        "params",
        "target_method",
        "target_value",
        "source_set",
    ]


class VersionInline(admin.TabularInline):
    model = SchemeVersion
    extra = 0
    fields = ("number", "effective_from", "published_at", "published_by", "digest")
    readonly_fields = ("number", "effective_from", "published_at", "published_by", "digest")
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Scheme)
class SchemeAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "framework", "has_draft_changes"]
    search_fields = ["code", "name"]
    inlines = [AssignmentInline, LineInline, VersionInline]
    readonly_fields = ["has_draft_changes"]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        Scheme.objects.filter(pk=form.instance.pk).update(has_draft_changes=True)


class ChangeInline(admin.TabularInline):
    model = OverrideChange
    extra = 0


@admin.register(SchemeOverride)
class OverrideAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "scheme",
        "code",
        "name",
        "unit",
        "position",
        "employee",
        "valid_from",
        "valid_to",
    ]
    list_filter = ["scheme"]
    search_fields = ["code", "name", "scheme__code"]
    raw_id_fields = ["employee"]
    inlines = [ChangeInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        Scheme.objects.filter(pk=form.instance.scheme_id).update(has_draft_changes=True)


@admin.register(SchemeVersion)
class VersionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["scheme", "number", "effective_from", "published_at", "published_by"]
    list_filter = ["scheme"]
    readonly_fields = [
        "scheme",
        "number",
        "effective_from",
        "published_at",
        "published_by",
        "document",
        "digest",
        "note",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
