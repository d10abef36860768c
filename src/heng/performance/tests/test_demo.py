"""The demo company's schemes reproduce the seed cases (000, 001, 002, 003)."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from heng.people.models import Employee
from heng.performance.demo import build_performance_demo
from heng.performance.models import Scheme, SchemeVersion
from heng.performance.selectors import scheme_resolve_for

DAY = dt.date(2025, 9, 15)


@pytest.fixture
def demo(db: Any) -> None:
    # Through the command: performance sits below the demo app and does not import it.
    call_command("demo", "--employees", "120", stdout=StringIO())


def test_the_demo_reproduces_the_seed_schemes(demo: None) -> None:
    # One demo build for all checks: the demo (people, facts, a scored cycle) takes a while.
    _check_eleven_seed_schemes_are_published()
    _check_douyin_operators_get_their_regional_lines()
    _check_ecommerce_departments_have_the_exact_weights_of_seed_003()
    _check_the_dispatched_chef_combines_store_and_hq_lines()
    _check_the_operations_department_uses_kpi_70_and_360_30()
    _check_running_the_demo_again_changes_nothing()


def _lines(employee: Employee, on: dt.date = DAY) -> dict[str, int]:
    resolved = scheme_resolve_for(employee=employee, on=on)
    return {line.indicator: int(line.weight) for line in resolved.lines}


def _first(unit: str, position: str | None = None) -> Employee:
    found = Employee.objects.filter(unit__code=unit)
    if position:
        found = found.filter(position__code=position)
    return found.order_by("employee_no").first()  # type: ignore[return-value]


def _check_eleven_seed_schemes_are_published() -> None:
    assert sorted(Scheme.objects.values_list("code", flat=True)) == [
        "CHEF-DISPATCHED",
        "DOUYIN-OPS",
        "EC-BD",
        "EC-CS",
        "EC-DES",
        "EC-FIN",
        "EC-HR",
        "EC-LOG",
        "EC-NM",
        "EC-OPS",
        "HQ-OPS-KPI",
    ]
    assert SchemeVersion.objects.filter(number=1, effective_from=dt.date(2025, 1, 1)).count() == 11
    assert not Scheme.objects.filter(has_draft_changes=True).exists()


def _check_douyin_operators_get_their_regional_lines() -> None:
    process = {"post_frequency": 10, "reply_1h": 15, "revisions": 10, "training_hours": 15}
    # seed 000 §2.2/§3.1: south female-user conversion 30 (was conversion 20) + check-in plays
    assert _lines(_first("B-GZ", "douyin_ops")) == {
        **process,
        "female_conversion": 30,
        "checkin_plays": 20,
    }
    # north: male-user retention 25, plays 30 → 25
    assert _lines(_first("B-BJ", "douyin_ops")) == {**process, "plays": 25, "male_retention": 25}
    # west: home-maker interaction 30, discount reposts 20
    assert _lines(_first("B-CD", "douyin_ops")) == {
        **process,
        "homemaker_interaction": 30,
        "discount_reposts": 20,
    }


def _check_ecommerce_departments_have_the_exact_weights_of_seed_003() -> None:
    assert _lines(_first("EC-LOG")) == {
        "on_time_rate": 40,
        "damage_rate": 25,
        "unit_delivery_cost": 20,
        "complaint_rate": 15,
    }
    assert _lines(_first("EC-CS")) == {
        "satisfaction": 30,
        "response_time": 25,
        "resolution_rate": 20,
        "repeat_complaints": 15,
        "handling_time": 10,
    }
    bd = _first("EC-BD")
    regular = {
        "sales": 30,
        "new_customers": 25,
        "gross_margin": 20,
        "customer_retention": 15,
        "collection_rate": 10,
    }
    assert _lines(bd) == regular
    # §3.3 peak season: sales 30 → 40 during Double 11
    assert _lines(bd, dt.date(2025, 11, 11)) == {**regular, "sales": 40, "new_customers": 15}


def _check_the_dispatched_chef_combines_store_and_hq_lines() -> None:
    chef = (
        Employee.objects.filter(working_unit__kind="partner_store").order_by("employee_no").first()
    )
    assert chef is not None
    resolved = scheme_resolve_for(employee=chef, on=dt.date.today())
    assert {(ln.indicator, int(ln.weight), ln.source_set) for ln in resolved.lines} == {
        ("dish_quality", 50, "store"),
        ("complaint_rate", 20, "store"),
        ("new_dish_rd", 30, "hq"),
    }


def _check_the_operations_department_uses_kpi_70_and_360_30() -> None:
    resolved = scheme_resolve_for(employee=_first("HQ-OPS", "user_ops"), on=DAY)
    assert resolved.scheme_code == "HQ-OPS-KPI"
    assert (resolved.framework["kpi_weight"], resolved.framework["review_weight"]) == (70, 30)
    complaint = next(ln for ln in resolved.lines if ln.indicator == "complaint_rate")
    # the library scores complaints with lower_better; this line uses "met 10 / exceeded 12"
    assert complaint.rule == "threshold_points"
    assert complaint.params == {"exceeded_points": 12, "margin": 0.1, "met_points": 10}


def _check_running_the_demo_again_changes_nothing() -> None:
    before = list(SchemeVersion.objects.values_list("pk", "digest"))
    assert build_performance_demo(progress=lambda _m: None) == 0
    assert list(SchemeVersion.objects.values_list("pk", "digest")) == before


def test_demo_files_agree_on_every_shared_indicator() -> None:
    """The library has one definition per code: a later file must not silently redefine an
    indicator an earlier one uses (it would turn that scheme back into a draft)."""
    import yaml

    from heng.performance.demo import demo_files

    seen: dict[str, tuple[str, Any]] = {}
    clashes = []
    for file in demo_files():
        for indicator in yaml.safe_load(file.read_text(encoding="utf-8"))["indicators"]:
            first = seen.setdefault(indicator["code"], (file.name, indicator))
            if first[1] != indicator:
                clashes.append(f"{indicator['code']}: {first[0]} ≠ {file.name}")
    assert not clashes, clashes
