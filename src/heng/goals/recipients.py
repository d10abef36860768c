"""Who hears about a person: himself and his manager(s).

The manager is the unit head closest above the person's home unit (a ``unit_head`` grant on
the unit or its nearest ancestor that has one), plus — while he is dispatched — the closest
head above his working unit. A head is never his own manager: his alerts go one level up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from heng.accounts.models import Role, RoleGrant, User
from heng.org.models import OrgUnit

STEP = OrgUnit.steplen


def _levels(path: str, heads: dict[str, set[int]]) -> list[set[int]]:
    """Head user ids from the unit itself upwards, nearest first (levels without heads left out)."""
    out = []
    for end in range(len(path), 0, -STEP):
        found = heads.get(path[:end])
        if found:
            out.append(found)
    return out


def managers_of(
    people: Iterable[tuple[int, int, int | None]],
) -> dict[int, set[int]]:
    """``(employee_id, unit_id, working_unit_id)`` → manager user ids per employee."""
    people = list(people)
    if not people:
        return {}
    heads: dict[str, set[int]] = defaultdict(set)
    for user_id, path in RoleGrant.objects.filter(
        role=Role.UNIT_HEAD, unit__isnull=False
    ).values_list("user_id", "unit__path"):
        heads[path].add(user_id)
    unit_ids = {u for _e, home, work in people for u in (home, work) if u is not None}
    paths = dict(OrgUnit.objects.filter(pk__in=unit_ids).values_list("pk", "path"))
    own_user = dict(
        User.objects.filter(employee_id__in=[e for e, _h, _w in people]).values_list(
            "employee_id", "pk"
        )
    )
    out: dict[int, set[int]] = {}
    for employee_id, home, work in people:
        me = own_user.get(employee_id)
        chosen: set[int] = set()
        for unit_id in (home, work):
            if unit_id is None or unit_id not in paths:
                continue
            for level in _levels(paths[unit_id], heads):
                others = level - {me} if me is not None else level
                if others:
                    chosen |= others
                    break
        out[employee_id] = chosen
    return out


def users_of(employee_ids: Iterable[int]) -> dict[int, int]:
    """employee id → his login's user id (people without a login are left out)."""
    return dict(
        User.objects.filter(employee_id__in=list(employee_ids), is_active=True).values_list(
            "employee_id", "pk"
        )
    )
