"""Data scope: which org subtrees and which people a user may see.

A scope is the union of the subtrees of the user's role grants, plus the staff dispatched into
them (their *working* unit is inside), plus the user's own e-file. Company-wide roles see all.
Apps build their ``*_visible_to`` querysets and ``access_*`` functions on :func:`scope_for`
(see ``org.permissions`` and ``people.permissions``); "missing" and "outside your scope" answer
the same ``NotFound``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from heng.accounts.models import COMPANY_WIDE_ROLES, Role, User


@dataclass(frozen=True)
class Scope:
    company_wide: bool = False
    unit_paths: tuple[str, ...] = ()
    own_employee_id: int | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    # Roles allowed to change people/org data inside the scope.
    can_manage_people: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.company_wide and not self.unit_paths and self.own_employee_id is None


def scope_for(user: User | AnonymousUser) -> Scope:
    """Compute the user's scope (cached on the user object for the request)."""
    if not user.is_authenticated:
        return Scope()
    cached: Scope | None = getattr(user, "_heng_scope", None)
    if cached is not None:
        return cached
    assert isinstance(user, User)
    grants = list(user.role_grants.select_related("unit"))
    roles = frozenset(g.role for g in grants)
    if user.employee_id is not None:
        roles = roles | {Role.EMPLOYEE}
    company_wide = user.is_superuser or any(
        g.role in COMPANY_WIDE_ROLES and g.unit is None for g in grants
    )
    paths = tuple(sorted({g.unit.path for g in grants if g.unit is not None}))
    scope = Scope(
        company_wide=company_wide,
        unit_paths=_outermost(paths),
        own_employee_id=user.employee_id,
        roles=roles,
        can_manage_people=user.is_superuser or bool(roles & {Role.HR_ADMIN, Role.REGIONAL_HR}),
    )
    user._heng_scope = scope  # type: ignore[attr-defined]
    return scope


def _outermost(paths: tuple[str, ...]) -> tuple[str, ...]:
    """Drop paths already covered by an ancestor path (sorted input)."""
    kept: list[str] = []
    for path in paths:
        if not kept or not path.startswith(kept[-1]):
            kept.append(path)
    return tuple(kept)


def path_condition(prefix: str, paths: tuple[str, ...]) -> Q:
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{prefix}path__startswith": path})
    return condition


def can_manage_path(user: User | AnonymousUser, path: str) -> bool:
    """May the user change people and structure at the unit with this tree path?"""
    scope = scope_for(user)
    if not scope.can_manage_people:
        return False
    return scope.company_wide or any(path.startswith(p) for p in scope.unit_paths)
