"""Each role sees exactly its scope; outside it, "not found" (the same as missing)."""

from __future__ import annotations

from typing import Any

import pytest

from heng.core.errors import NotFound
from heng.org.permissions import access_unit, units_visible_to
from heng.people.permissions import access_employee, employees_visible_to


def _numbers(user: Any) -> set[str]:
    return set(employees_visible_to(user).values_list("employee_no", flat=True))


EVERYONE = {"T001", "T002", "T003", "T004", "T005", "T006", "T007"}


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("hr", EVERYONE),
        ("auditor", EVERYONE),
        ("hr_south", {"T001", "T002", "T003"}),  # the south subtree
        ("gz_manager", {"T001", "T002"}),  # his store only
        ("partner_manager", {"T005"}),  # the chef dispatched into his partner store
        ("gz1", {"T001"}),  # an employee sees himself
        ("nobody", set()),
    ],
)
def test_each_role_sees_exactly_its_scope(world: Any, username: str, expected: set[str]) -> None:
    assert _numbers(world.users[username]) == expected


def test_store_manager_cannot_see_other_store_staff(world: Any) -> None:
    manager = world.users["gz_manager"]
    assert access_employee(manager, world.people["gz1"].pk).employee_no == "T001"
    with pytest.raises(NotFound):
        access_employee(manager, world.people["fs1"].pk)


def test_out_of_scope_and_missing_answer_the_same(world: Any) -> None:
    manager = world.users["gz_manager"]
    with pytest.raises(NotFound) as outside:
        access_employee(manager, world.people["bj1"].pk)
    with pytest.raises(NotFound) as missing:
        access_employee(manager, 999_999)
    assert outside.value.as_dict() == missing.value.as_dict()


def test_partner_manager_loses_the_chef_when_the_dispatch_ends(world: Any) -> None:
    import datetime as dt

    from heng.people.services import assignments_apply_due

    assignments_apply_due(today=dt.date.today() + dt.timedelta(days=31))
    fresh = type(world.users["partner_manager"]).objects.get(username="partner_manager")
    assert _numbers(fresh) == set()


def test_units_follow_the_scope(world: Any) -> None:
    codes = set(units_visible_to(world.users["hr_south"]).values_list("code", flat=True))
    assert codes == {"RS", "BGZ", "SGZ", "SFS"}
    employee_units = set(units_visible_to(world.users["gz1"]).values_list("code", flat=True))
    assert employee_units == {"SGZ"}
    with pytest.raises(NotFound):
        access_unit(world.users["gz_manager"], world.units["SBJ"].pk)
