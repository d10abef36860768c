"""The approval routes every installation starts with (editable in the admin afterwards).

Transfer (seed 002 §3.2: 本人申请 → 部门审核 → 人事审批 → 领导签字): the applicant's unit head
reviews, the region's HR approves, the head one level above signs off.
Dispatch to a partner store: the home unit's head reviews, HR approves.

Used by the data migration and by the demo (tests that flush the database between cases lose
migration data, so the demo puts the routes back when they are missing).
"""

from __future__ import annotations

from typing import Any

ROUTES = [
    (
        "transfer",
        "调岗审批",
        "Transfer approval",
        [
            (1, "部门审核", "Department review", "unit_head", 0, 48),
            (2, "人事审批", "HR approval", "region_hr", 0, 48),
            (3, "领导签字", "Leader sign-off", "unit_head", 1, 72),
        ],
    ),
    (
        "dispatch",
        "驻店派遣审批",
        "Dispatch approval",
        [
            (1, "部门审核", "Department review", "unit_head", 0, 48),
            (2, "人事审批", "HR approval", "region_hr", 0, 48),
        ],
    ),
]


def ensure_default_routes(route_model: Any, step_model: Any) -> None:
    """Create the default routes that are missing; existing (possibly edited) ones stay."""
    for code, name, name_en, steps in ROUTES:
        route, created = route_model.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "kind": code}
        )
        if created:
            for order, sname, sname_en, rule, skip, hours in steps:
                step_model.objects.create(
                    route=route,
                    order=order,
                    name=sname,
                    name_en=sname_en,
                    rule=rule,
                    skip=skip,
                    due_hours=hours,
                )
