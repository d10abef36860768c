"""The back office for HR admins. Sensitive values never appear here (pages with an audited
reveal are the only way to see them), and every save or delete made here is audited too."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from heng.core.audit import audit_record, snapshot
from heng.people.models import Assignment, Contract, Employee


class AuditedAdmin(SimpleHistoryAdmin):
    """Admin edits bypass the services, so record them here the same way."""

    def _employee_id(self, obj: Any) -> int | None:
        return obj.pk if isinstance(obj, Employee) else getattr(obj, "employee_id", None)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = snapshot(type(obj).objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        label = obj._meta.model_name
        audit_record(
            actor=request.user,
            action=f"{label}.{'update' if change else 'create'}",
            target=obj,
            employee_id=self._employee_id(obj),
            before=before,
            after=snapshot(obj),
            note="admin",
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit_record(
            actor=request.user,
            action=f"{obj._meta.model_name}.delete",
            target=obj,
            employee_id=self._employee_id(obj),
            before=snapshot(obj),
            note="admin",
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            audit_record(
                actor=request.user,
                action=f"{obj._meta.model_name}.delete",
                target=obj,
                employee_id=self._employee_id(obj),
                before=snapshot(obj),
                note="admin",
            )
        super().delete_queryset(request, queryset)


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    raw_id_fields = ["home_unit", "working_unit", "position"]
    # History is written by services (close old, open new); the admin only shows it.
    readonly_fields = [
        "home_unit",
        "working_unit",
        "position",
        "start_date",
        "end_date",
        "reason",
        "note",
    ]
    can_delete = False


@admin.register(Employee)
class EmployeeAdmin(AuditedAdmin):
    list_display = ["employee_no", "name", "unit", "working_unit", "position", "status"]
    search_fields = ["employee_no", "name"]
    list_filter = ["status"]
    raw_id_fields = ["unit", "working_unit", "position"]
    inlines = [AssignmentInline]
    list_select_related = ["unit", "working_unit", "position"]
    exclude = ["id_card_number", "phone", "bank_account"]


@admin.register(Contract)
class ContractAdmin(AuditedAdmin):
    list_display = ["employee", "contract_type", "start_date", "end_date"]
    raw_id_fields = ["employee", "position"]
    exclude = ["salary_items"]
