"""A4: contracts with history and expiry reminders to HR and the unit head."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from heng.core.models import Notification
from heng.people.errors import ContractInvalid
from heng.people.models import Contract
from heng.people.services import contract_create, contract_update, contracts_remind_expiring

TODAY = dt.date(2026, 3, 1)


def test_contract_terms_overlapping_another_are_refused(world: Any) -> None:
    contract_create(
        employee=world.people["gz1"],
        contract_type="fixed",
        start_date=dt.date(2024, 1, 1),
        end_date=dt.date(2025, 12, 31),
    )
    with pytest.raises(ContractInvalid) as err:
        contract_create(
            employee=world.people["gz1"],
            contract_type="fixed",
            start_date=dt.date(2025, 6, 1),
            end_date=dt.date(2027, 5, 31),
        )
    assert set(err.value.fields) == {"start_date"}
    renewal = contract_create(
        employee=world.people["gz1"], contract_type="open", start_date=dt.date(2026, 1, 1)
    )
    assert renewal.end_date is None
    assert Contract.objects.filter(employee=world.people["gz1"]).count() == 2


def test_fixed_term_needs_an_end_not_before_its_start(world: Any) -> None:
    for end in (None, dt.date(2023, 12, 31)):
        with pytest.raises(ContractInvalid) as err:
            contract_create(
                employee=world.people["gz1"],
                contract_type="fixed",
                start_date=dt.date(2024, 1, 1),
                end_date=end,
            )
        assert "end_date" in err.value.fields
    assert not Contract.objects.exists()


def test_contract_changes_keep_history(world: Any) -> None:
    contract = contract_create(
        employee=world.people["gz1"],
        contract_type="fixed",
        start_date=dt.date(2024, 1, 1),
        end_date=dt.date(2025, 12, 31),
        salary_items=[{"item": "base", "amount": 6000}],
    )
    contract_update(
        contract=contract,
        end_date=dt.date(2026, 12, 31),
        salary_items=[{"item": "base", "amount": 6500}],
    )
    versions = list(contract.history.order_by("history_date"))
    assert [(v.end_date, v.salary_items[0]["amount"]) for v in versions] == [
        (dt.date(2025, 12, 31), "6000.00"),
        (dt.date(2026, 12, 31), "6500.00"),
    ]


def test_hr_and_the_unit_head_are_reminded_30_days_before_the_end_once(world: Any) -> None:
    # gz1's contract ends 2026-03-31: 30 days after 2026-03-01 → due today; bj1's in 31 days.
    contract_create(
        employee=world.people["gz1"],
        contract_type="fixed",
        start_date=dt.date(2024, 4, 1),
        end_date=dt.date(2026, 3, 31),
    )
    contract_create(
        employee=world.people["bj1"],
        contract_type="fixed",
        start_date=dt.date(2024, 4, 1),
        end_date=dt.date(2026, 4, 1),
    )
    assert contracts_remind_expiring(today=TODAY) == 1
    recipients = set(Notification.objects.values_list("recipient__username", flat=True))
    assert recipients == {"hr", "hr_south", "gz_manager"}
    assert contracts_remind_expiring(today=TODAY) == 0  # not twice
    assert contracts_remind_expiring(today=TODAY + dt.timedelta(days=1)) == 1  # bj1 now
    assert Notification.objects.filter(recipient__username="hr").count() == 2


def test_a_changed_end_date_is_reminded_again(world: Any) -> None:
    contract = contract_create(
        employee=world.people["gz1"],
        contract_type="fixed",
        start_date=dt.date(2024, 4, 1),
        end_date=dt.date(2026, 3, 31),
    )
    contracts_remind_expiring(today=TODAY)
    contract_update(contract=contract, end_date=dt.date(2026, 3, 20))
    assert contracts_remind_expiring(today=TODAY) == 1
    assert Notification.objects.filter(recipient__username="gz_manager").count() == 2
