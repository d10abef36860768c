"""Cycles over the API: scoped results, scorecard, export, ledger check, refusals."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from heng.performance.models import LedgerEntry
from heng.performance.services.calibration import cycle_publish
from heng.performance.services.cycles import cycle_advance
from heng.performance.services.scoring import cycle_score
from heng.performance.tests.cycle_fixtures import (
    load_facts,
    open_cycle,
    publish_scheme,
    set_targets,
)


@pytest.fixture
def published(world: Any, sales_scheme: Any) -> Any:
    publish_scheme(sales_scheme)
    load_facts(world)
    cycle = open_cycle(world)
    set_targets(cycle)
    cycle_score(cycle=cycle)
    cycle_advance(actor=None, cycle=cycle, to="manager_scoring")
    cycle_advance(actor=None, cycle=cycle, to="calibration")
    cycle_publish(actor=None, cycle=cycle)
    return cycle


def login(client: Any, user: Any) -> None:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")


def test_the_employee_sees_his_scorecard_with_rank_and_explanation(
    client: Any, world: Any, published: Any
) -> None:
    login(client, world.users["gz1"])
    r = client.get(f"/api/v1/performance/scorecards/{world.people['gz1'].pk}")
    assert r.status_code == 200
    card = r.json()
    assert (card["total"], card["rating"], card["rank_text"]) == (
        "106.0000",
        "excellent",
        "第1名 / 2",
    )
    sales = card["indicators"][0]
    assert (sales["indicator"], sales["actual"], sales["target"], sales["rule"]) == (
        "SALES",
        460.0,
        400.0,
        "linear",
    )
    assert card["trend"] == [
        {"cycle": "2026-01", "period": "2026-01-01", "total": 106.0, "rating": "excellent"}
    ]


def test_another_persons_scorecard_is_not_found(client: Any, world: Any, published: Any) -> None:
    login(client, world.users["gz1"])
    r = client.get(f"/api/v1/performance/scorecards/{world.people['bj1'].pk}")
    assert r.status_code == 404


def test_a_store_manager_sees_only_his_stores_results(
    client: Any, world: Any, published: Any
) -> None:
    login(client, world.users["gz_manager"])
    r = client.get(f"/api/v1/performance/cycles/{published.pk}/results")
    assert sorted(x["employee_no"] for x in r.json()) == ["T001", "T002"]


def test_only_hr_moves_a_cycle_and_nothing_changes_otherwise(
    client: Any, world: Any, published: Any
) -> None:
    login(client, world.users["gz_manager"])
    r = client.post(
        f"/api/v1/performance/cycles/{published.pk}/transitions",
        {"to": "archived"},
        content_type="application/json",
    )
    assert r.status_code == 403
    published.refresh_from_db()
    assert published.state == "published"


def test_export_has_one_row_per_participant_and_a_column_per_indicator(
    client: Any, world: Any, published: Any
) -> None:
    login(client, world.users["hr"])
    r = client.get(f"/api/v1/performance/cycles/{published.pk}/export.xlsx")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 5
    assert "SALES (score)" in rows[0]
    assert rows[1][:2] == ("T001", "广州甲")


def test_ledger_verification_over_the_api(client: Any, world: Any, published: Any) -> None:
    login(client, world.users["auditor"])
    r = client.get("/api/v1/performance/ledger/verify")
    assert r.json() == {"ok": True, "checked": 4, "broken_seq": None, "reason": ""}
    assert LedgerEntry.objects.count() == 4


def test_pages_show_the_cycle_and_the_scorecard(client: Any, world: Any, published: Any) -> None:
    login(client, world.users["hr"])
    page = client.get(f"/performance/cycles/{published.pk}/")
    assert page.status_code == 200
    assert "广州甲" in page.content.decode()
    login(client, world.users["gz1"])
    card = client.get("/performance/scorecard/").content.decode()
    assert "第1名 / 2" in card
    assert "106.00" in card
    assert (
        client.get(f"/performance/scorecard/?employee={world.people['bj1'].pk}").status_code == 404
    )
