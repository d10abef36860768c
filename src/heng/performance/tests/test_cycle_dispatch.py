"""A person dispatched mid-cycle is scored on both units' lines, weighted by days (F1, #5).

Schemes for position "sales" in framework DIRECT (line weights are final):
    SA  unit RN (T004's home store SBJ lies in it):  SALES 70, NEWCUST 30
    SB  unit RS (store SGZ lies in it):              NEWCUST 20, COMPLAINT 80
T004 (北京甲, home SBJ) is dispatched to SGZ from 1 to 20 April 2026 and is back home from the
21st: 20 of 30 days in SGZ (share 2/3), 10 in SBJ (1/3). Combined lines, SGZ's first (most
days), weights rounded half-even to 4 decimals:
    NEWCUST    20 × 2/3 + 30 × 1/3 = 23.3333…  → 23.3333
    COMPLAINT  80 × 2/3            = 53.3333…  → 53.3333, + 0.0001 residue (largest) = 53.3334
    SALES      70 × 1/3            = 23.3333…  → 23.3333
                                           23.3333 + 53.3334 + 23.3333 = 100
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from heng.integrations.models import Fact
from heng.integrations.services import metric_create, source_create
from heng.org.models import Position
from heng.people.models import AssignmentReason
from heng.people.services import assignment_change
from heng.performance import services
from heng.performance.cycle_errors import CycleInvalid
from heng.performance.models import Cycle, CycleState, Participant, Result, Scheme
from heng.performance.services.cycles import cycle_create, cycle_open
from heng.performance.services.dispatch import UnitLines, lines_combine
from heng.performance.services.scoring import cycle_score
from heng.performance.tests.cycle_fixtures import publish_scheme, set_targets

D = Decimal
APRIL = (dt.date(2026, 4, 1), dt.date(2026, 4, 30))
BASE = "base line of the scheme"


def _scheme(code: str, unit: Any, framework: Any, library: Any, weights: dict[str, int]) -> Scheme:
    scheme = services.scheme_create(
        actor=None,
        code=code,
        name=code,
        framework=framework,
        applies_to=[(unit, Position.objects.get(code="sales"))],
    )
    for indicator, weight in weights.items():
        services.scheme_line_add(
            actor=None, scheme=scheme, indicator=library[indicator], weight=D(weight)
        )
    publish_scheme(scheme)
    return scheme


def _dispatch_to_sgz(world: Any) -> None:
    assignment_change(
        employee=world.people["bj1"],
        start_date=APRIL[0],
        reason=AssignmentReason.DISPATCH,
        working_unit=world.units["SGZ"],
        end_date=dt.date(2026, 4, 20),
    )


def _open(world: Any, units: tuple[str, ...] = ("SBJ",)) -> Cycle:
    cycle = cycle_create(
        actor=world.users["hr"],
        code="2026-04",
        name="四月考核",
        cadence="monthly",
        period_start=APRIL[0],
        period_end=APRIL[1],
        unit_codes=list(units),
        position_codes=["sales"],
    )
    with translation.override("en"):  # the snapshot's texts are frozen in this language
        return cycle_open(actor=world.users["hr"], cycle=cycle)


def _facts(world: Any, no: str, values: dict[str, float]) -> None:
    source = source_create(code="m", name="测试来源", natural_key=["date", "employee_no"])
    people = {p.employee_no: p for p in world.people.values()}
    Fact.objects.bulk_create(
        Fact(
            metric=metric_create(source=source, code=code, name=code, aggregation="sum"),
            employee=people[no],
            unit=None,
            date=dt.date(2026, 4, 15),
            value=value,
            batch_id=1,
            row_no=1,
        )
        for code, value in values.items()
    )


def _lines(row: Participant) -> list[tuple[str, str, str]]:
    return [(ln["indicator"], ln["weight"], ln["rule"]) for ln in row.lines]


@pytest.fixture
def two_schemes(world: Any, library: Any, frameworks: Any) -> None:
    _scheme("SA", world.units["RN"], frameworks["DIRECT"], library, {"SALES": 70, "NEWCUST": 30})
    _scheme(
        "SB", world.units["RS"], frameworks["DIRECT"], library, {"NEWCUST": 20, "COMPLAINT": 80}
    )


def test_a_dispatched_person_gets_both_units_lines_weighted_by_days(
    world: Any, two_schemes: None
) -> None:
    # given T004 worked 10 days at home (SBJ, scheme SA) and 20 dispatched to SGZ (scheme SB)
    _dispatch_to_sgz(world)
    # when the cycle opens
    cycle = _open(world)
    # then his one line set holds SB's and SA's lines by days worked (module docstring)
    row = cycle.participants.get(employee_no="T004")
    assert row.unit_days == {"SBJ": 10, "SGZ": 20}
    assert _lines(row) == [
        ("NEWCUST", "23.3333", "linear"),
        ("COMPLAINT", "53.3334", "lower_better"),
        ("SALES", "23.3333", "linear"),
    ]
    assert sum(D(ln["weight"]) for ln in row.lines) == D(100)
    assert [ln["why"] for ln in row.lines] == [
        "combined by days worked: SGZ 20/30 days × 20, SBJ 10/30 days × 30; "
        f"rule and target as in SGZ ({BASE})",
        f"combined by days worked: SGZ 20/30 days × 80; rule and target as in SGZ ({BASE})",
        f"combined by days worked: SBJ 10/30 days × 70; rule and target as in SBJ ({BASE})",
    ]
    # the scheme recorded is SGZ's (most days), though he was back in SBJ on 30 April
    assert (row.unit.code, row.scheme_code, row.scheme_version) == ("SBJ", "SB", 1)
    assert row.note == (
        "Worked in several units: SBJ 10d, SGZ 20d; unit indicators weighted by days worked. "
        "Their indicator sets were combined by days worked; scheme SB of SGZ, the unit with "
        "the most days, is recorded."
    )
    assert sorted(cycle.indicators) == ["COMPLAINT", "NEWCUST", "SALES"]
    assert list(cycle.line_sets) == [row.line_set]


def test_the_combined_lines_score_the_days_weighted_total(world: Any, two_schemes: None) -> None:
    # given the dispatch above, April facts sales 460, new customers 15, complaints 2 and
    # targets 400 / 30 / 2: scores SALES 115, NEWCUST 50, COMPLAINT 100
    _dispatch_to_sgz(world)
    _facts(world, "T004", {"sales": 460, "newcust": 15, "complaint": 2})
    cycle = _open(world)
    set_targets(cycle, {"SALES": 400, "NEWCUST": 30, "COMPLAINT": 2})
    # when the cycle is scored
    assert cycle_score(cycle=cycle) == 1
    # then the total is the days-weighted mean of the two schemes' totals:
    #   SA alone: 115 × 0.7 + 50 × 0.3 = 95.5    SB alone: 50 × 0.2 + 100 × 0.8 = 90
    #   95.5 × 1/3 + 90 × 2/3 = 91.8333… → 91.83 (the total has 2 decimals)
    # and the KPI is the sum of the line contributions on the combined weights, each rounded
    # half-even to 4 decimals: SALES 115 × 23.3333% = 26.833295 → 26.8333, NEWCUST 50 ×
    # 23.3333% = 11.66665 → 11.6666, COMPLAINT 100 × 53.3334% = 53.3334; 91.8333 in all
    result = Result.objects.get(cycle=cycle)
    assert (result.kpi, result.total) == (D("91.8333"), D("91.83"))


def test_units_with_the_same_lines_keep_one_unchanged_line_set(
    world: Any, sales_scheme: Scheme
) -> None:
    # given SALES-REP applies to every sales rep, in SBJ and in SGZ alike
    publish_scheme(sales_scheme)
    _dispatch_to_sgz(world)
    # when the cycle opens for SBJ and SGZ (T001, T002 stay in SGZ all month)
    cycle = _open(world, units=("SBJ", "SGZ"))
    # then the dispatched T004 shares the others' line set, untouched
    rows = {p.employee_no: p for p in cycle.participants.all()}
    assert sorted(rows) == ["T001", "T002", "T004"]
    assert {p.line_set for p in rows.values()} == {rows["T004"].line_set}
    assert len(cycle.line_sets) == 1
    assert [(ln["indicator"], D(ln["weight"]), ln["why"]) for ln in rows["T004"].lines] == [
        ("SALES", D(40), BASE),
        ("NEWCUST", D(30), BASE),
        ("COMPLAINT", D(30), BASE),
    ]
    assert rows["T004"].scheme_code == "SALES-REP"
    assert rows["T004"].note == (
        "Worked in several units: SBJ 10d, SGZ 20d; unit indicators weighted by days worked."
    )


def test_a_unit_override_is_another_indicator_set(world: Any, sales_scheme: Scheme) -> None:
    # given SALES-REP with an SGZ override SALES 60, NEWCUST 10 (COMPLAINT stays 30)
    services.override_save(
        actor=None,
        scheme=sales_scheme,
        code="gz-store",
        changes=[
            services.ChangeIn(indicator="SALES", weight=D(60)),
            services.ChangeIn(indicator="NEWCUST", weight=D(10)),
        ],
        unit=world.units["SGZ"],
    )
    publish_scheme(sales_scheme)
    _dispatch_to_sgz(world)
    # when the cycle opens
    row = _open(world).participants.get(employee_no="T004")
    # then SALES 60 × 2/3 + 40 × 1/3 = 53.3333…, NEWCUST 10 × 2/3 + 30 × 1/3 = 16.6666… and
    # COMPLAINT 30: rounded 53.3333 + 16.6667 + 30 = 100, no residue
    assert _lines(row) == [
        ("SALES", "53.3333", "linear"),
        ("NEWCUST", "16.6667", "linear"),
        ("COMPLAINT", "30", "lower_better"),
    ]
    assert row.scheme_code == "SALES-REP"


def test_a_unit_in_another_framework_refuses_opening(
    world: Any, library: Any, frameworks: Any
) -> None:
    # given SGZ's scheme is in framework F433, SBJ's in DIRECT
    _scheme("SA", world.units["RN"], frameworks["DIRECT"], library, {"SALES": 70, "NEWCUST": 30})
    _scheme("SB", world.units["RS"], frameworks["F433"], library, {"NEWCUST": 20, "COMPLAINT": 80})
    _dispatch_to_sgz(world)
    # when the cycle opens
    with pytest.raises(CycleInvalid) as err:
        _open(world)
    # then it is refused naming the person, the scheme and the unit, and nothing is written
    assert err.value.code == "participants_invalid"
    assert err.value.message == (
        "T004: Scheme SB, which applies in unit SGZ where the employee worked 20 days, uses "
        "another framework than the rest of the cycle; the units' indicator sets cannot be "
        "combined. (1 problem(s))"
    )
    assert Participant.objects.count() == 0
    assert Cycle.objects.get(code="2026-04").state == CycleState.DRAFT


def test_a_unit_without_a_scheme_for_him_refuses_opening(
    world: Any, library: Any, frameworks: Any
) -> None:
    # given only SBJ's region has a scheme for sales reps
    _scheme("SA", world.units["RN"], frameworks["DIRECT"], library, {"SALES": 70, "NEWCUST": 30})
    _dispatch_to_sgz(world)
    # when the cycle opens
    with pytest.raises(CycleInvalid) as err:
        _open(world)
    # then the 20 days in SGZ cannot be scored: refused, the unit named, nothing written
    assert err.value.fields == {
        "T004": "In unit SGZ (20 days worked): No published scheme applies to 北京甲 on 2026-04-30."
    }
    assert Participant.objects.count() == 0


def _line(indicator: str, weight: str, cap: int = 120) -> dict[str, Any]:
    return {"indicator": indicator, "weight": weight, "rule": "linear", "params": {"cap": cap}}


def test_a_tie_in_days_takes_rule_and_target_from_the_home_unit() -> None:
    # given 15 days at home A (X 50 capped 120, Y 50) and 15 in B (X 100 capped 150)
    parts = [
        UnitLines("B", 15, (_line("X", "100", cap=150) | {"why": "b"},)),
        UnitLines("A", 15, (_line("X", "50") | {"why": "a"}, _line("Y", "50") | {"why": "a"})),
    ]
    # when combined
    with translation.override("en"):
        lines = lines_combine(parts, home="A")
    # then X = 50 × ½ + 100 × ½ = 75 with A's cap, Y = 25; A's lines come first
    assert [(x["indicator"], x["weight"], x["params"]) for x in lines] == [
        ("X", "75", {"cap": 120}),
        ("Y", "25", {"cap": 120}),
    ]
    assert lines[0]["why"] == (
        "combined by days worked: A 15/30 days × 50, B 15/30 days × 100; "
        "rule and target as in A (a)"
    )


def test_a_rounding_excess_is_taken_off_the_largest_line() -> None:
    # given 1 day at home A (X 20, Y 80) and 2 in B (Z 100)
    parts = [
        UnitLines("A", 1, (_line("X", "20") | {"why": ""}, _line("Y", "80") | {"why": ""})),
        UnitLines("B", 2, (_line("Z", "100") | {"why": ""},)),
    ]
    # when combined: Z 200/3 = 66.6667, X 20/3 = 6.6667, Y 80/3 = 26.6667 (all rounded up)
    lines = lines_combine(parts, home="A")
    # then the sum 100.0001 is brought back to 100 on Z, the largest
    assert [(x["indicator"], x["weight"]) for x in lines] == [
        ("Z", "66.6666"),
        ("X", "6.6667"),
        ("Y", "26.6667"),
    ]
