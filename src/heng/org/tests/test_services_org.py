from __future__ import annotations

from typing import Any

import pytest

from heng.org.errors import UnitHasPeople, UnitInvalid, UnitMoveIntoOwnSubtree
from heng.org.models import OrgUnit
from heng.org.services import unit_create, unit_delete, unit_move, unit_update


def test_new_unit_goes_under_its_parent(world: Any) -> None:
    # given the Guangzhou branch; when a store is added under it
    store = unit_create(parent=world.units["BGZ"], code="SNEW", name="新店", kind="store")
    # then it is one level deeper and inside the branch's subtree
    assert store.depth == world.units["BGZ"].depth + 1
    assert store.path.startswith(world.units["BGZ"].path)


def test_duplicate_code_is_refused_and_nothing_written(world: Any) -> None:
    before = OrgUnit.objects.count()
    with pytest.raises(UnitInvalid) as err:
        unit_create(parent=world.units["C"], code="SGZ", name="重复", kind="store")
    assert set(err.value.fields) == {"code"}
    assert OrgUnit.objects.count() == before


def test_unknown_kind_is_refused(world: Any) -> None:
    with pytest.raises(UnitInvalid) as err:
        unit_create(parent=world.units["C"], code="X", name="X", kind="castle")
    assert "kind" in err.value.fields


def test_moving_a_branch_moves_its_whole_subtree(world: Any) -> None:
    # when the Guangzhou branch moves from the south region to the north region
    unit_move(unit=world.units["BGZ"], new_parent=world.units["RN"])
    north = OrgUnit.objects.get(code="RN")
    # then both its stores now sit under the north region too
    moved = OrgUnit.objects.filter(code__in=["BGZ", "SGZ", "SFS"])
    assert all(u.path.startswith(north.path) for u in moved)
    assert OrgUnit.objects.get(code="SGZ").depth == 4


def test_moving_a_unit_under_its_own_descendant_is_refused(world: Any) -> None:
    region_path = OrgUnit.objects.get(code="RS").path
    with pytest.raises(UnitMoveIntoOwnSubtree) as err:
        unit_move(unit=world.units["RS"], new_parent=world.units["SGZ"])
    assert err.value.code == "unit_cycle"
    assert "parent" in err.value.fields
    assert OrgUnit.objects.get(code="RS").path == region_path


def test_deleting_a_unit_with_people_is_refused_and_nothing_deleted(world: Any) -> None:
    before = OrgUnit.objects.count()
    with pytest.raises(UnitHasPeople):
        unit_delete(unit=world.units["BGZ"])  # its stores have staff
    assert OrgUnit.objects.count() == before


def test_deleting_an_empty_subtree_works(world: Any) -> None:
    empty = unit_create(parent=world.units["RN"], code="E1", name="空分公司", kind="branch")
    unit_create(parent=empty, code="E2", name="空门店", kind="store")
    unit_delete(unit=empty)
    assert not OrgUnit.objects.filter(code__in=["E1", "E2"]).exists()


def test_update_changes_fields_and_keeps_history(world: Any) -> None:
    unit = unit_update(
        unit=world.units["SGZ"], name="广州天河店", market_profile={"market": "south"}
    )
    assert OrgUnit.objects.get(pk=unit.pk).name == "广州天河店"
    assert unit.history.count() == 2  # created + renamed
