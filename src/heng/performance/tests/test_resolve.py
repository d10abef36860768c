"""Resolution (B4): which lines score a person on a date, and why (ADR 0003).

Base SALES-REP: SALES 40, NEWCUST 30, COMPLAINT 30. Overrides (all keep totals at 100):
    south      unit RS (region, depth 2)      SALES 50, NEWCUST 20
    gz-store   unit SGZ (store, depth 4)      SALES 60, NEWCUST 10
    peak       2025-11-01 ~ 2025-11-30        SALES 45, NEWCUST 25
    peak-week  2025-11-11 ~ 2025-11-17        SALES 55, NEWCUST 15
    north      unit RN                        remove COMPLAINT, add VISITS 30 (a swap)
    me         employee T002 (gz2)            SALES 70, NEWCUST 0
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from heng.core.errors import ValidationFailed
from heng.performance import services
from heng.performance.models import Scheme, SchemeVersion
from heng.performance.selectors import scheme_resolve_for
from heng.performance.services import ChangeIn

D = Decimal
NOV_12 = dt.date(2025, 11, 12)


def _override(scheme: Scheme, code: str, changes: dict[str, Any], **scope: Any) -> None:
    items = [
        ChangeIn(indicator=k, action="remove") if v is None else ChangeIn(indicator=k, weight=D(v))
        for k, v in changes.items()
    ]
    services.override_save(actor=None, scheme=scheme, code=code, changes=items, **scope)


@pytest.fixture
def published(world: Any, sales_scheme: Scheme) -> Scheme:
    u, p = world.units, world.people
    _override(sales_scheme, "south", {"SALES": 50, "NEWCUST": 20}, unit=u["RS"])
    _override(sales_scheme, "gz-store", {"SALES": 60, "NEWCUST": 10}, unit=u["SGZ"])
    _override(
        sales_scheme,
        "peak",
        {"SALES": 45, "NEWCUST": 25},
        valid_from=dt.date(2025, 11, 1),
        valid_to=dt.date(2025, 11, 30),
    )
    _override(
        sales_scheme,
        "peak-week",
        {"SALES": 55, "NEWCUST": 15},
        valid_from=dt.date(2025, 11, 11),
        valid_to=dt.date(2025, 11, 17),
    )
    _override(sales_scheme, "north", {"COMPLAINT": None, "VISITS": 30}, unit=u["RN"])
    _override(sales_scheme, "me", {"SALES": 70, "NEWCUST": 0}, employee=p["gz2"])
    services.scheme_publish(actor=None, scheme=sales_scheme, effective_from=dt.date(2024, 1, 1))
    return sales_scheme


def _weights(world: Any, who: str, on: dt.date) -> dict[str, int]:
    resolved = scheme_resolve_for(employee=world.people[who], on=on)
    return {line.indicator: int(line.weight) for line in resolved.lines}


def test_the_most_specific_scope_wins_over_region_and_period(world: Any, published: Scheme) -> None:
    # gz1 works in store SGZ under region RS; on 11-12 south, gz-store, peak and peak-week
    # all apply; the store (deepest unit) wins SALES and NEWCUST.
    resolved = scheme_resolve_for(employee=world.people["gz1"], on=NOV_12)
    lines = {line.indicator: line for line in resolved.lines}
    assert {k: int(v.weight) for k, v in lines.items()} == {
        "SALES": 60,
        "NEWCUST": 10,
        "COMPLAINT": 30,
    }
    assert lines["SALES"].origin == "gz-store"
    assert "gz-store" in lines["SALES"].why
    assert "广州店" in lines["SALES"].why
    assert lines["SALES"].outranked == ("south", "peak-week", "peak")
    assert lines["COMPLAINT"].origin is None
    assert [o.code for o in resolved.overrides] == ["gz-store", "south", "peak-week", "peak"]
    assert resolved.version == 1
    assert resolved.total_weight == 100


def test_scope_outranks_period(world: Any, published: Scheme) -> None:
    # fs1 is in the south but not in store SGZ: the region beats both periods.
    assert _weights(world, "fs1", NOV_12) == {"SALES": 50, "NEWCUST": 20, "COMPLAINT": 30}


def test_the_shorter_period_wins_then_the_longer_then_the_base(
    world: Any, published: Scheme
) -> None:
    # bj1 (north) gets the swap from "north" plus the seasonal weights.
    assert _weights(world, "bj1", NOV_12) == {"SALES": 55, "NEWCUST": 15, "VISITS": 30}
    assert _weights(world, "bj1", dt.date(2025, 11, 20)) == {
        "SALES": 45,
        "NEWCUST": 25,
        "VISITS": 30,
    }
    assert _weights(world, "bj1", dt.date(2025, 12, 1)) == {
        "SALES": 40,
        "NEWCUST": 30,
        "VISITS": 30,
    }


def test_a_swapped_indicator_says_which_override_removed_what(
    world: Any, published: Scheme
) -> None:
    resolved = scheme_resolve_for(employee=world.people["bj1"], on=dt.date(2025, 12, 1))
    visits = next(line for line in resolved.lines if line.indicator == "VISITS")
    assert visits.origin == "north"
    assert visits.rule == "frequency"
    assert visits.params == {"minimum": 4}
    assert visits.target_method == "none"
    assert resolved.removed == (("COMPLAINT", "north"),)


def test_one_employee_outranks_every_unit(world: Any, published: Scheme) -> None:
    assert _weights(world, "gz2", NOV_12) == {"SALES": 70, "NEWCUST": 0, "COMPLAINT": 30}


def test_equal_rank_is_broken_by_code(world: Any, sales_scheme: Scheme) -> None:
    # two company-wide overrides with the same 3-day period: "a-first" outranks "b-second"
    period = {"valid_from": dt.date(2025, 3, 1), "valid_to": dt.date(2025, 3, 3)}
    _override(sales_scheme, "b-second", {"SALES": 20, "NEWCUST": 50}, **period)
    _override(sales_scheme, "a-first", {"SALES": 10, "NEWCUST": 60}, **period)
    services.scheme_publish(actor=None, scheme=sales_scheme, effective_from=dt.date(2024, 1, 1))
    assert _weights(world, "gz1", dt.date(2025, 3, 2)) == {
        "SALES": 10,
        "NEWCUST": 60,
        "COMPLAINT": 30,
    }


def test_the_dispatched_chef_is_scoped_by_the_store_he_works_in(
    world: Any, library: Any, frameworks: Any
) -> None:
    from heng.org.models import Position

    scheme = services.scheme_create(
        actor=None,
        code="CHEF",
        name="驻店厨师",
        framework=frameworks["DIRECT"],
        applies_to=[(None, Position.objects.get(code="chef"))],
    )
    services.scheme_line_add(
        actor=None, scheme=scheme, indicator=library["QUALITY"], weight=D(50), source_set="store"
    )
    services.scheme_line_add(
        actor=None, scheme=scheme, indicator=library["COMPLAINT"], weight=D(20), source_set="store"
    )
    services.scheme_line_add(
        actor=None, scheme=scheme, indicator=library["TRAINING"], weight=D(30), source_set="hq"
    )
    _override(scheme, "partner", {"QUALITY": 60, "COMPLAINT": 10}, unit=world.units["P"])
    services.scheme_publish(actor=None, scheme=scheme, effective_from=dt.date(2024, 1, 1))
    today = dt.date.today()
    chef = scheme_resolve_for(employee=world.people["chef"], on=today)
    assert (chef.unit_code, chef.scheme_code) == ("P", "CHEF")
    assert {ln.indicator: (int(ln.weight), ln.source_set) for ln in chef.lines} == {
        "QUALITY": (60, "store"),
        "COMPLAINT": (10, "store"),
        "TRAINING": (30, "hq"),
    }
    # the cook stays in the kitchen: base lines; and before the dispatch the chef did too
    assert _weights(world, "cook", today) == {"QUALITY": 50, "COMPLAINT": 20, "TRAINING": 30}
    assert _weights(world, "chef", today - dt.timedelta(days=30)) == {
        "QUALITY": 50,
        "COMPLAINT": 20,
        "TRAINING": 30,
    }


def test_the_version_in_effect_on_the_date_is_used(world: Any, sales_scheme: Scheme) -> None:
    services.scheme_publish(actor=None, scheme=sales_scheme, effective_from=dt.date(2024, 1, 1))
    services.scheme_weights_set(
        actor=None, scheme=sales_scheme, weights={"SALES": D(50), "NEWCUST": D(20)}
    )
    services.scheme_publish(actor=None, scheme=sales_scheme, effective_from=dt.date(2025, 7, 1))
    before = scheme_resolve_for(employee=world.people["gz1"], on=dt.date(2025, 6, 30))
    after = scheme_resolve_for(employee=world.people["gz1"], on=dt.date(2025, 7, 1))
    assert (before.version, after.version) == (1, 2)
    assert [int(ln.weight) for ln in before.lines] == [40, 30, 30]
    assert [int(ln.weight) for ln in after.lines] == [50, 20, 30]


def test_no_scheme_applies_is_a_clear_refusal(world: Any, published: Scheme) -> None:
    with pytest.raises(ValidationFailed) as caught:
        scheme_resolve_for(employee=world.people["hr"], on=NOV_12)
    assert caught.value.code == "no_scheme"
    assert "人事甲" in caught.value.message


def test_before_the_first_version_nothing_applies(world: Any, sales_scheme: Scheme) -> None:
    services.scheme_publish(actor=None, scheme=sales_scheme, effective_from=dt.date(2025, 1, 1))
    with pytest.raises(ValidationFailed):
        scheme_resolve_for(employee=world.people["gz1"], on=dt.date(2024, 12, 31))


def test_overrides_that_can_apply_together_must_still_sum_to_100(
    world: Any, sales_scheme: Scheme
) -> None:
    # south alone: 50 + 20 + 30 = 100; promo alone: 35 + 30 + 35 = 100; but a southern
    # employee in the promo period gets SALES 50, NEWCUST 20 (south) + COMPLAINT 35 = 105.
    _override(sales_scheme, "south", {"SALES": 50, "NEWCUST": 20}, unit=world.units["RS"])
    _override(
        sales_scheme,
        "promo",
        {"SALES": 35, "COMPLAINT": 35},
        valid_from=dt.date(2025, 6, 1),
        valid_to=dt.date(2025, 6, 18),
    )
    with pytest.raises(ValidationFailed) as caught:
        services.scheme_publish(actor=None, scheme=sales_scheme)
    assert caught.value.code == "override_weights_not_100"
    assert "south" in caught.value.message
    assert "promo" in caught.value.message
    assert "105" in caught.value.message
    assert not SchemeVersion.objects.exists()


def test_overrides_of_separate_regions_are_not_combined(world: Any, sales_scheme: Scheme) -> None:
    # south and north never apply to the same person, so their mix is not checked
    _override(sales_scheme, "south", {"SALES": 50, "NEWCUST": 20}, unit=world.units["RS"])
    _override(sales_scheme, "north", {"SALES": 20, "COMPLAINT": 50}, unit=world.units["RN"])
    version = services.scheme_publish(actor=None, scheme=sales_scheme)
    assert [o["code"] for o in version.document["overrides"]] == ["north", "south"]


def test_resolution_is_a_handful_of_queries(
    world: Any, published: Scheme, django_assert_num_queries: Any
) -> None:
    employee = world.people["gz1"]
    # covering assignment, the unit chain, the versions in effect
    with django_assert_num_queries(3):
        resolved = scheme_resolve_for(employee=employee, on=NOV_12)
    assert resolved.total_weight == 100
