"""Reads on accounts: who holds which role over a place in the org tree."""

from __future__ import annotations

from django.db.models import Q

from heng.accounts.models import Role, RoleGrant, User


def _prefixes(path: str, steplen: int) -> list[str]:
    return [path[:i] for i in range(steplen, len(path) + 1, steplen)]


def role_holders_by_level(path: str, role: str, *, steplen: int = 4) -> list[list[User]]:
    """Holders of ``role`` covering the unit at ``path``, grouped by grant level, deepest first.

    ``[[store managers], [branch heads], ...]``; company-wide grants form the last group.
    """
    grants = (
        RoleGrant.objects.filter(role=role, user__is_active=True)
        .filter(Q(unit__path__in=_prefixes(path, steplen)) | Q(unit__isnull=True))
        .select_related("user", "unit")
    )
    by_depth: dict[int, dict[int, User]] = {}
    for grant in grants:
        depth = len(grant.unit.path) if grant.unit is not None else 0
        by_depth.setdefault(depth, {})[grant.user.pk] = grant.user
    return [
        sorted(by_depth[d].values(), key=lambda u: u.username)
        for d in sorted(by_depth, reverse=True)
    ]


def users_with_role_covering(
    path: str, role: str, *, nearest: bool = False, steplen: int = 4, skip: int = 0
) -> list[User]:
    """Active users whose ``role`` grant covers the unit at ``path`` (its unit or an ancestor).

    ``nearest`` keeps only the grants on the deepest covering unit (the store's own manager
    rather than the region's); ``skip`` passes over that many covering levels first (the
    head *above* the unit head). Company-wide grants count as the shallowest level.
    """
    levels = role_holders_by_level(path, role, steplen=steplen)
    chosen = levels[skip : skip + 1] if nearest else levels[skip:]
    users = {u.pk: u for level in chosen for u in level}
    return sorted(users.values(), key=lambda u: u.username)


def company_hr_admins() -> list[User]:
    grants = RoleGrant.objects.filter(
        role=Role.HR_ADMIN, unit__isnull=True, user__is_active=True
    ).select_related("user")
    return sorted({g.user.pk: g.user for g in grants}.values(), key=lambda u: u.username)
