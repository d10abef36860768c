from django.contrib import admin

from heng.workflows.models import ApprovalRequest, Decision, Route, RouteStep


class RouteStepInline(admin.TabularInline):
    model = RouteStep
    extra = 0
    raw_id_fields = ["unit", "person"]


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "is_active"]
    inlines = [RouteStepInline]


class DecisionInline(admin.TabularInline):
    model = Decision
    extra = 0
    can_delete = False
    readonly_fields = ["step", "actor", "outcome", "comment", "at"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(admin.ModelAdmin):
    # Requests move only through services (locks, audit): the admin shows, never edits.
    list_display = ["pk", "kind", "employee", "state", "current_step", "submitted_at"]
    list_filter = ["kind", "state"]
    inlines = [DecisionInline]
    readonly_fields = [f.name for f in ApprovalRequest._meta.fields]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
