"""Who may see and change which org units (built on the user's scope)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from heng.accounts.models import User
from heng.accounts.scope import can_manage_path, path_condition, scope_for
from heng.core.errors import NotFound
from heng.org.models import OrgUnit


def units_visible_to(user: User | AnonymousUser) -> QuerySet[OrgUnit]:
    """Units in the user's subtrees, plus the user's own home and working units."""
    scope = scope_for(user)
    if scope.company_wide:
        return OrgUnit.objects.all()
    condition = path_condition("", scope.unit_paths)
    if user.is_authenticated and getattr(user, "employee_id", None) is not None:
        # Read through the reverse relation by value so no people import is needed here.
        own_units = [u for u in user.employee_units() if u is not None]
        condition |= Q(pk__in=own_units)
    return OrgUnit.objects.filter(condition)


def access_unit(user: User | AnonymousUser, unit_id: int) -> OrgUnit:
    try:
        return units_visible_to(user).get(pk=unit_id)
    except (OrgUnit.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def can_manage_unit(user: User | AnonymousUser, unit: OrgUnit) -> bool:
    return can_manage_path(user, unit.path)
