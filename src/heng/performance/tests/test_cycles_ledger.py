"""The ledger refuses changes, catches tampering, and a double click publishes once."""

from __future__ import annotations

import importlib
import json
import threading
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction

from heng.performance.cycle_errors import CycleConflict
from heng.performance.models import Cycle, CycleState, LedgerEntry, Result
from heng.performance.services.calibration import cycle_publish, result_correct
from heng.performance.services.cycles import cycle_advance
from heng.performance.services.ledger import canonical, ledger_verify
from heng.performance.services.ledger_payloads import ledger_payload
from heng.performance.services.scoring import cycle_score
from heng.performance.tests.cycle_fixtures import (
    load_facts,
    open_cycle,
    publish_scheme,
    set_targets,
)

SQLITE_UP = importlib.import_module("heng.performance.migrations.0004_ledger_append_only").SQLITE_UP


def calibrating(world: Any, scheme: Any) -> Cycle:
    publish_scheme(scheme)
    load_facts(world)
    cycle = open_cycle(world)
    set_targets(cycle)
    cycle_score(cycle=cycle)
    cycle_advance(actor=None, cycle=cycle, to="manager_scoring")
    return cycle_advance(actor=None, cycle=cycle, to="calibration")


@pytest.fixture
def published(world: Any, sales_scheme: Any) -> Cycle:
    cycle = calibrating(world, sales_scheme)
    cycle_publish(actor=world.users["hr"], cycle=cycle)
    return cycle


def _tamper(sql: str) -> None:
    """Change a ledger row behind the application's back (triggers switched off)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE performance_ledgerentry DISABLE TRIGGER USER")
            cur.execute(sql)
            cur.execute("ALTER TABLE performance_ledgerentry ENABLE TRIGGER USER")
        else:
            cur.execute("DROP TRIGGER performance_ledger_no_update")
            cur.execute(sql)


def test_the_database_refuses_update_and_delete_of_ledger_rows(published: Cycle) -> None:
    for sql in (
        "UPDATE performance_ledgerentry SET payload = '{}' WHERE seq = 2",
        "DELETE FROM performance_ledgerentry WHERE seq = 2",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    assert LedgerEntry.objects.count() == 4
    assert ledger_verify().ok


def test_verify_names_the_first_tampered_entry(published: Cycle, capsys: Any) -> None:
    call_command("verify-ledger")
    assert "ledger OK: 4 entries" in capsys.readouterr().out
    # Someone raises T002's total in the stored payload (entry #2, ordered by employee_no).
    _tamper(
        "UPDATE performance_ledgerentry SET payload = "
        'REPLACE(payload, \'"final_total":"70.0000"\', \'"final_total":"90.0000"\') '
        "WHERE seq = 2"
    )
    assert '"final_total":"90.0000"' in LedgerEntry.objects.get(seq=2).payload
    report = ledger_verify()
    assert (report.ok, report.broken_seq, report.checked) == (False, 2, 1)
    assert report.reason == "content does not match its hash"
    with pytest.raises(CommandError, match="#2"):
        call_command("verify-ledger")


def test_rewriting_the_hash_too_breaks_the_next_link(published: Cycle) -> None:
    _tamper(
        "UPDATE performance_ledgerentry SET payload = 'x', hash = "
        "'0000000000000000000000000000000000000000000000000000000000000001' WHERE seq = 3"
    )
    report = ledger_verify()
    assert (report.ok, report.broken_seq) == (False, 3)


def test_a_correction_after_publication_is_a_new_entry(published: Cycle, world: Any) -> None:
    row = Result.objects.get(participant__employee_no="T003")
    result_correct(actor=world.users["hr"], result=row, total=Decimal("91"), reason="数据源补录")
    assert LedgerEntry.objects.count() == 5
    last = LedgerEntry.objects.get(seq=5)
    assert (last.kind, last.employee_no) == ("correction", "T003")
    assert '"final_total":"91.0000"' in last.payload or '"final_total":"91"' in last.payload
    assert ledger_verify().ok


def test_publish_is_refused_while_manager_scores_are_missing_unless_excused(
    world: Any, sales_scheme: Any, monkeypatch: Any
) -> None:
    cycle = calibrating(world, sales_scheme)
    monkeypatch.setattr(
        "heng.performance.services.calibration.missing_manual", lambda c: [("T001", "QUALITY")]
    )
    with pytest.raises(CycleConflict) as err:
        cycle_publish(actor=world.users["hr"], cycle=cycle)
    assert err.value.code == "manager_scores_missing"
    assert LedgerEntry.objects.count() == 0
    cycle_publish(actor=world.users["hr"], cycle=cycle, excuse="店长病假，经HR批准")
    cycle.refresh_from_db()
    assert (cycle.state, cycle.excuse) == (CycleState.PUBLISHED, "店长病假，经HR批准")


@pytest.fixture
def ledger_emptied_after(transactional_db: Any) -> Any:
    """Transactional tests end with a flush; the append-only triggers would refuse it, so the
    ledger rows are removed with the triggers off first."""
    yield
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE performance_ledgerentry DISABLE TRIGGER USER")
            cur.execute("DELETE FROM performance_ledgerentry")
            cur.execute("ALTER TABLE performance_ledgerentry ENABLE TRIGGER USER")
        else:
            cur.execute("DROP TRIGGER performance_ledger_no_delete")
            cur.execute("DELETE FROM performance_ledgerentry")
            cur.execute(SQLITE_UP[1])


@pytest.mark.django_db(transaction=True)
def test_a_double_click_on_publish_publishes_exactly_once(
    ledger_emptied_after: Any, world: Any, sales_scheme: Any
) -> None:
    cycle = calibrating(world, sales_scheme)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def click() -> None:
        try:
            barrier.wait()
            cycle_publish(actor=None, cycle=Cycle.objects.get(pk=cycle.pk))
            outcomes.append("published")
        except CycleConflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "published"]
    assert LedgerEntry.objects.count() == 4
    assert ledger_verify().ok


def test_published_entries_hold_the_result_and_its_explanation_as_corrections_write_them(
    world: Any, sales_scheme: Any
) -> None:
    # given a cycle in calibration where one result was adjusted to a Chinese rating text
    # and one has no 360 score
    cycle = calibrating(world, sales_scheme)
    first = Result.objects.filter(cycle=cycle).order_by("participant__employee_no").first()
    assert first is not None
    Result.objects.filter(pk=first.pk).update(final_rating='优秀 "A"', review_score=None)

    # when the cycle is published (the vectorised path)
    cycle_publish(actor=world.users["hr"], cycle=cycle)

    # then every entry's text is what the one-result path (used for corrections) writes
    entries = list(LedgerEntry.objects.filter(cycle_code=cycle.code).order_by("seq"))
    results = Result.objects.filter(cycle=cycle).select_related("participant")
    expected = {
        r.participant.employee_no: canonical(ledger_payload(r, cycle).payload) for r in results
    }
    assert [e.employee_no for e in entries] == sorted(expected)
    assert {e.employee_no: e.payload for e in entries} == expected
    # and it carries the explanation verbatim and the totals as stored
    payload = json.loads(entries[0].payload)
    assert payload["rating"] == '优秀 "A"'
    assert payload["review"] is None
    assert payload["indicators"] == json.loads(first.indicators)
    assert payload["final_total"] == str(first.final_total)
    assert ledger_verify().ok
