"""Open → targets → score → calibrate → publish → ledger, with exact numbers."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from heng.performance.cycle_errors import CycleConflict, ScoringRefused
from heng.performance.models import CycleState, LedgerEntry, Result, Target
from heng.performance.services.calibration import cycle_publish, result_adjust
from heng.performance.services.cycles import cycle_advance
from heng.performance.services.ledger import ledger_verify
from heng.performance.services.scoring import cycle_score
from heng.performance.tests.cycle_fixtures import (
    load_facts,
    open_cycle,
    publish_scheme,
    set_targets,
)


@pytest.fixture
def scored(world: Any, sales_scheme: Any) -> Any:
    publish_scheme(sales_scheme)
    load_facts(world)
    cycle = open_cycle(world)
    set_targets(cycle)
    cycle_score(cycle=cycle)
    return cycle


def totals(cycle: Any) -> dict[str, tuple[str, str, int]]:
    return {
        r.participant.employee_no: (str(r.total), r.rating, r.rank)
        for r in Result.objects.filter(cycle=cycle).select_related("participant")
    }


def test_opening_snapshots_the_population_and_scheme(world: Any, sales_scheme: Any) -> None:
    publish_scheme(sales_scheme)
    cycle = open_cycle(world)
    people = {p.employee_no: p for p in cycle.participants.all()}
    assert sorted(people) == ["T001", "T002", "T003", "T004"]
    assert people["T001"].unit.code == "SGZ"
    assert people["T004"].region_code == "RN"
    assert people["T001"].scheme_code == "SALES-REP"
    assert people["T001"].scheme_version == 1
    assert [ln["indicator"] for ln in people["T001"].lines] == ["SALES", "NEWCUST", "COMPLAINT"]
    assert cycle.state == CycleState.OPEN


def test_a_cycle_is_scored_from_facts_and_targets(scored: Any) -> None:
    # T001: sales 460/400 → 115, newcust 30/30 → 100, complaint 2 vs 2 → 100
    #       total 115×0.4 + 100×0.3 + 100×0.3 = 106 (excellent), rank 1 of 2 in SGZ
    # T002: 400/400 → 100, 15/30 → 50, 2/4×100 → 50: 40 + 15 + 15 = 70 (pass), rank 2
    # T003: 200/400 → 50, 100, 2/1 → 200 capped 120: 20 + 30 + 36 = 86 (good)
    # T004: 380/400 → 95, 33/30 → 110, 100: 38 + 33 + 30 = 101 (excellent)
    assert totals(scored) == {
        "T001": ("106.0000", "excellent", 1),
        "T002": ("70.0000", "pass", 2),
        "T003": ("86.0000", "good", 1),
        "T004": ("101.0000", "excellent", 1),
    }
    row = Result.objects.get(participant__employee_no="T001")
    sales = next(x for x in row.indicator_rows() if x["indicator"] == "SALES")
    assert (sales["actual"], sales["target"], sales["score"], sales["contribution"]) == (
        460.0,
        400.0,
        115.0,
        46.0,
    )
    assert len(row.input_hash) == 64


def test_rescoring_replaces_and_never_duplicates(scored: Any) -> None:
    first = {r.participant_id: (r.total, r.input_hash) for r in Result.objects.all()}
    cycle_score(cycle=scored)
    assert Result.objects.count() == 4
    assert {r.participant_id: (r.total, r.input_hash) for r in Result.objects.all()} == first


def test_a_worker_killed_while_writing_leaves_the_old_results(
    scored: Any, monkeypatch: Any
) -> None:
    before = totals(scored)

    def crash(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt("worker killed")

    monkeypatch.setattr("heng.performance.services.scoring.insert_frame", crash)
    with pytest.raises(KeyboardInterrupt):
        cycle_score(cycle=scored)
    monkeypatch.undo()
    assert totals(scored) == before  # the delete was rolled back with the failed insert
    cycle_score(cycle=scored)
    assert totals(scored) == before
    assert Result.objects.count() == 4


def test_a_missing_target_refuses_scoring_and_writes_nothing(world: Any, sales_scheme: Any) -> None:
    publish_scheme(sales_scheme)
    load_facts(world)
    cycle = open_cycle(world)
    set_targets(cycle)
    Target.objects.filter(participant__employee_no="T003", indicator="NEWCUST").delete()
    with pytest.raises(ScoringRefused) as err:
        cycle_score(cycle=cycle)
    assert err.value.code == "target_missing"
    assert "T003" in err.value.message
    assert "NEWCUST" in err.value.message
    assert Result.objects.count() == 0


def test_targets_lock_when_manager_scoring_starts(scored: Any) -> None:
    cycle_advance(actor=None, cycle=scored, to="manager_scoring")
    p = scored.participants.get(employee_no="T001")
    with pytest.raises(CycleConflict) as err:
        set_targets(scored, {"SALES": 1})
    assert err.value.code == "targets_locked"
    assert Target.objects.get(participant=p, indicator="SALES").value == Decimal(400)


def test_calibrate_publish_and_verify_the_ledger(scored: Any, world: Any) -> None:
    cycle_advance(actor=None, cycle=scored, to="manager_scoring")
    cycle_advance(actor=None, cycle=scored, to="calibration")
    row = Result.objects.get(participant__employee_no="T002")
    with pytest.raises(Exception) as err:
        result_adjust(actor=world.users["hr"], result=row, total=Decimal(81), reason=" ")
    assert getattr(err.value, "code", "") == "reason_missing"
    result_adjust(actor=world.users["hr"], result=row, total=Decimal(81), reason="门店装修停业一周")
    row.refresh_from_db()
    assert (row.total, row.final_total, row.final_rating) == (Decimal(70), Decimal(81), "good")
    assert [(a.field, a.old_value, a.new_value) for a in row.adjustments.all()] == [
        ("total", "70.0000", "81"),
        ("rating", "pass", "good"),
    ]
    written = cycle_publish(actor=world.users["hr"], cycle=scored)
    assert written == 4
    assert LedgerEntry.objects.count() == 4
    scored.refresh_from_db()
    assert scored.state == CycleState.PUBLISHED
    entry = LedgerEntry.objects.get(employee_no="T002")
    assert json.loads(entry.payload)["final_total"] == "81.0000"
    assert ledger_verify().ok
    assert ledger_verify().checked == 4
    with pytest.raises(CycleConflict):
        cycle_publish(actor=world.users["hr"], cycle=scored)
    assert LedgerEntry.objects.count() == 4
