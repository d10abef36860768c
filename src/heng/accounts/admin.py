from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from heng.accounts.models import ApiToken, RoleGrant, User


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [RoleGrantInline]
    list_display = ["username", "first_name", "employee", "is_active", "is_staff"]
    raw_id_fields = ["employee"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Heng", {"fields": ("employee", "preferred_language")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "prefix", "expires_at", "revoked_at", "last_used_at"]
    readonly_fields = ["prefix", "digest", "last_used_at"]
