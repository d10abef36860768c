"""Model permissions from roles, so the Django admin follows Heng's role model."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend

from heng.accounts.models import Role


class RolePermissionBackend(BaseBackend):
    """HR admins hold every model permission; auditors may view everything, change nothing.

    Row-level limits are not expressed here (the admin is an HR-admin tool); pages and the API
    apply the data scope through ``heng.accounts.scope``.
    """

    def _roles(self, user_obj: Any) -> set[str]:
        if not getattr(user_obj, "is_active", False) or user_obj.is_anonymous:
            return set()
        cached = getattr(user_obj, "_heng_company_roles", None)
        if cached is None:
            cached = set(
                user_obj.role_grants.filter(unit__isnull=True).values_list("role", flat=True)
            )
            user_obj._heng_company_roles = cached
        return cached

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        roles = self._roles(user_obj)
        if Role.HR_ADMIN in roles:
            return True
        return Role.AUDITOR in roles and perm.split(".", 1)[-1].startswith("view_")

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return bool(self._roles(user_obj) & {Role.HR_ADMIN, Role.AUDITOR})
