from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from heng.people.errors import AssignmentInvalid, EmployeeInvalid
from heng.people.models import Assignment, AssignmentReason, Employee
from heng.people.services import (
    HireRow,
    assignment_change,
    assignments_apply_due,
    employee_create,
    employees_bulk_hire,
)
from heng.people.validators import id_card_checksum_ok, id_card_with_checksum

TODAY = dt.date.today()


def test_hiring_creates_the_efile_and_the_first_assignment(world: Any) -> None:
    person = employee_create(
        employee_no="N1",
        name="新人",
        unit=world.units["SBJ"],
        hire_date=dt.date(2025, 3, 1),
        id_card_number="11010519491231002X",
    )
    first = person.assignments.get()
    assert (first.home_unit, first.start_date, first.end_date, first.reason) == (
        world.units["SBJ"],
        dt.date(2025, 3, 1),
        None,
        "hire",
    )


def test_duplicate_employee_number_is_refused_with_the_field_named(world: Any) -> None:
    before = Employee.objects.count()
    with pytest.raises(EmployeeInvalid) as err:
        employee_create(
            employee_no="T001", name="重号", unit=world.units["SGZ"], hire_date=dt.date(2025, 1, 1)
        )
    assert set(err.value.fields) == {"employee_no"}
    assert Employee.objects.count() == before


def test_id_card_with_a_wrong_check_digit_is_refused(world: Any) -> None:
    with pytest.raises(EmployeeInvalid) as err:
        employee_create(
            employee_no="N2",
            name="错号",
            unit=world.units["SGZ"],
            hire_date=dt.date(2025, 1, 1),
            id_card_number="110105194912310021",
        )
    assert "id_card_number" in err.value.fields
    assert not Employee.objects.filter(employee_no="N2").exists()


def test_id_card_checksum_matches_gb11643() -> None:
    # 11010519491231002 → weighted sum 167, 167 mod 11 = 2 → check character "X"
    assert id_card_with_checksum("11010519491231002") == "11010519491231002X"
    assert id_card_checksum_ok("11010519491231002X")
    assert not id_card_checksum_ok("110105194912310021")


def test_a_transfer_closes_the_old_assignment_and_opens_a_new_one(world: Any) -> None:
    person = world.people["gz1"]
    start = TODAY - dt.timedelta(days=5)
    assignment_change(
        employee=person,
        start_date=start,
        reason=AssignmentReason.TRANSFER,
        home_unit=world.units["SBJ"],
    )
    old, new = person.assignments.order_by("start_date")
    assert old.end_date == start - dt.timedelta(days=1)
    assert (new.home_unit, new.end_date) == (world.units["SBJ"], None)
    person.refresh_from_db()
    assert person.unit == world.units["SBJ"]


def test_a_future_transfer_waits_for_its_effective_date(world: Any) -> None:
    person = world.people["fs1"]
    effective = TODAY + dt.timedelta(days=7)
    assignment_change(
        employee=person,
        start_date=effective,
        reason=AssignmentReason.TRANSFER,
        home_unit=world.units["SGZ"],
    )
    person.refresh_from_db()
    assert person.unit == world.units["SFS"]  # not yet
    assert assignments_apply_due(today=effective - dt.timedelta(days=1)) == 0
    assert assignments_apply_due(today=effective) == 1
    person.refresh_from_db()
    assert person.unit == world.units["SGZ"]


def test_end_before_start_is_refused_and_nothing_written(world: Any) -> None:
    before = Assignment.objects.count()
    with pytest.raises(AssignmentInvalid) as err:
        assignment_change(
            employee=world.people["cook"],
            start_date=TODAY,
            reason=AssignmentReason.DISPATCH,
            working_unit=world.units["P"],
            end_date=TODAY - dt.timedelta(days=1),
        )
    assert "end_date" in err.value.fields
    assert Assignment.objects.count() == before
    assert world.people["cook"].assignments.get().end_date is None


def test_change_dated_before_the_latest_assignment_is_refused(world: Any) -> None:
    with pytest.raises(AssignmentInvalid) as err:
        assignment_change(
            employee=world.people["gz2"],
            start_date=dt.date(2023, 1, 1),
            reason=AssignmentReason.TRANSFER,
            home_unit=world.units["SBJ"],
        )
    assert "start_date" in err.value.fields


def test_an_expired_dispatch_returns_the_person_to_the_home_unit(world: Any) -> None:
    chef = world.people["chef"]
    assert chef.working_unit == world.units["P"]
    assignments_apply_due(today=TODAY + dt.timedelta(days=31))
    chef.refresh_from_db()
    assert (chef.unit, chef.working_unit) == (world.units["K"], None)


def test_bulk_hire_is_all_or_nothing(world: Any) -> None:
    rows = [
        HireRow(employee_no="B1", name="批一", unit=world.units["SGZ"], hire_date=TODAY),
        HireRow(employee_no="T001", name="重号", unit=world.units["SGZ"], hire_date=TODAY),
        HireRow(employee_no="B1", name="批重", unit=world.units["SGZ"], hire_date=TODAY),
    ]
    with pytest.raises(EmployeeInvalid) as err:
        employees_bulk_hire(rows=rows)
    assert set(err.value.fields) == {"rows[2].employee_no", "rows[3].employee_no"}
    assert not Employee.objects.filter(employee_no="B1").exists()
    assert employees_bulk_hire(rows=rows[:1]) == 1
    assert Employee.objects.get(employee_no="B1").assignments.count() == 1
