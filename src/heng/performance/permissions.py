"""Who may read and change indicators, frameworks and schemes.

- The indicator library and frameworks are company policy: HR admins change them; anyone
  with a management or audit role reads them.
- A scheme may be changed by HR admins, and by regional HR when everyone it is assigned to
  sits inside their subtree (every assignment names a unit in their scope). A scheme for a
  position company-wide is therefore HR-admin only.
- Everyone may read the resolved scheme of the people they can see — employees their own.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import HttpRequest

from heng.accounts.models import User
from heng.accounts.scope import scope_for
from heng.core.errors import NotFound, PermissionDenied
from heng.org.models import OrgUnit
from heng.performance.models import Framework, Indicator, Scheme

AnyUser = User | AnonymousUser


def actor_of(request: HttpRequest) -> User | None:
    """The signed-in user of a request, as services record it."""
    user = request.user
    return user if isinstance(user, User) else None


def can_read_policy(user: AnyUser) -> bool:
    """Managers, HR and auditors see the library, frameworks and schemes."""
    scope = scope_for(user)
    return scope.company_wide or bool(scope.unit_paths)


def can_edit_library(user: AnyUser) -> bool:
    scope = scope_for(user)
    return scope.company_wide and scope.can_manage_people


def can_edit_units(user: AnyUser, units: list[OrgUnit | None]) -> bool:
    """May the user own a scheme assigned to exactly these units (None = company-wide)?"""
    scope = scope_for(user)
    if not scope.can_manage_people:
        return False
    if scope.company_wide:
        return True
    return bool(units) and all(
        unit is not None and any(unit.path.startswith(p) for p in scope.unit_paths)
        for unit in units
    )


def can_create_scheme(user: AnyUser) -> bool:
    """HR admins and regional HR (the latter for units in their scope)."""
    return scope_for(user).can_manage_people


def can_edit_scheme(user: AnyUser, scheme: Scheme) -> bool:
    units = [a.unit for a in scheme.assignments.select_related("unit")]
    return can_edit_units(user, units)


def schemes_visible_to(user: AnyUser) -> QuerySet[Scheme]:
    if not can_read_policy(user):
        return Scheme.objects.none()
    return Scheme.objects.all()


def access_scheme(user: AnyUser, code: str) -> Scheme:
    try:
        return schemes_visible_to(user).select_related("framework").get(code=code)
    except Scheme.DoesNotExist:
        raise NotFound() from None


def access_scheme_for_edit(user: AnyUser, code: str) -> Scheme:
    scheme = access_scheme(user, code)
    if not can_edit_scheme(user, scheme):
        raise PermissionDenied()
    return scheme


def access_indicator(user: AnyUser, code: str) -> Indicator:
    if not can_read_policy(user):
        raise NotFound()
    try:
        return Indicator.objects.get(code=code)
    except Indicator.DoesNotExist:
        raise NotFound() from None


def access_framework(user: AnyUser, code: str) -> Framework:
    if not can_read_policy(user):
        raise NotFound()
    try:
        return Framework.objects.get(code=code)
    except Framework.DoesNotExist:
        raise NotFound() from None


def require_library_editor(user: AnyUser) -> None:
    if not can_edit_library(user):
        raise PermissionDenied()
