from __future__ import annotations

from typing import Any

import pytest

from heng.accounts.models import User
from heng.demo.build import _Builder, build_demo
from heng.org.models import OrgUnit
from heng.people.models import Assignment, Employee
from heng.people.permissions import employees_visible_to


@pytest.fixture
def demo(db: Any) -> None:
    build_demo(employees=300, progress=lambda _m: None)


def test_demo_has_the_twelve_branches_of_the_retail_case(demo: None) -> None:
    branches = OrgUnit.objects.filter(kind="branch")
    assert branches.count() == 12
    regions = OrgUnit.objects.filter(kind="region", market_profile__has_key="market")
    assert sorted(r.market_profile["market"] for r in regions) == ["north", "south", "west"]
    # 1–2 Douyin operators per branch (seed 000)
    for branch in branches:
        n = Employee.objects.filter(unit=branch, position__code="douyin_ops").count()
        assert 1 <= n <= 2, branch.name


def test_demo_has_eight_ecommerce_departments_and_dispatched_chefs(demo: None) -> None:
    ecommerce = OrgUnit.objects.get(code="EC")
    assert OrgUnit.objects.get_children(ecommerce).filter(kind="department").count() == 8
    dispatched = Employee.objects.filter(working_unit__kind="partner_store")
    assert dispatched.count() >= 3
    assert set(dispatched.values_list("unit__code", flat=True)) == {"HQ-KITCHEN"}


def test_running_the_demo_twice_duplicates_nothing(demo: None) -> None:
    counts = (
        OrgUnit.objects.count(),
        Employee.objects.count(),
        Assignment.objects.count(),
        User.objects.count(),
    )
    build_demo(employees=300, progress=lambda _m: None)
    assert counts == (
        OrgUnit.objects.count(),
        Employee.objects.count(),
        Assignment.objects.count(),
        User.objects.count(),
    )
    assert counts[1] == 300


def test_demo_store_manager_sees_only_his_store(demo: None) -> None:
    manager = User.objects.get(username="gz_store")
    visible = employees_visible_to(manager)
    assert visible.exists()
    assert set(visible.values_list("unit__code", flat=True)) == {"S-GZ1"}


def test_demo_is_deterministic(db: Any) -> None:
    # Two builders with the same seed plan exactly the same people (names, units, ID numbers).
    def plan(seed: int) -> list[tuple[str, str, str, str]]:
        builder = _Builder(seed=seed, progress=lambda _m: None)
        builder.structure()
        builder.people(120)
        return [(r.employee_no, r.name, r.unit.code, r.id_card_number) for r in builder.rows]

    assert plan(7) == plan(7)
    assert plan(7) != plan(8)
