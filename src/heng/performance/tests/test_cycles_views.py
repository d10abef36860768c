"""The cycle pages: create, every lifecycle step through its button (HR only), a refused
publish with the message next to the button and nothing changed, results hidden from
employees until publication (page and API), the XLSX export link."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from heng.performance.models import Cycle, CycleState, LedgerEntry
from heng.performance.services.cycles import cycle_advance, cycle_create
from heng.performance.services.scoring import cycle_score
from heng.performance.tests.cycle_fixtures import (
    JAN,
    load_facts,
    open_cycle,
    publish_scheme,
    set_targets,
)

MISSING = [("T001", "QUALITY")]


def login(client: Any, user: Any) -> None:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")


def steps_on(page: str) -> list[str]:
    return re.findall(r'data-testid="step-([a-z_]+)"', page)


def step(client: Any, cycle: Any, to: str, **extra: str) -> Any:
    return client.post(f"/performance/cycles/{cycle.pk}/transition/", {"to": to, **extra})


@pytest.fixture
def scored(world: Any, sales_scheme: Any) -> Any:
    publish_scheme(sales_scheme)
    load_facts(world)
    cycle = open_cycle(world)
    set_targets(cycle)
    cycle_score(cycle=cycle)
    return cycle


@pytest.fixture
def calibrating(scored: Any) -> Any:
    cycle_advance(actor=None, cycle=scored, to="manager_scoring")
    cycle_advance(actor=None, cycle=scored, to="calibration")
    return scored


# --- create -------------------------------------------------------------------------------


def test_hr_creates_a_draft_cycle_on_the_page(client: Any, world: Any) -> None:
    login(client, world.users["hr"])
    assert 'data-testid="cycle-new"' in client.get("/performance/cycles/").content.decode()
    assert client.get("/performance/cycles/new/").status_code == 200
    r = client.post(
        "/performance/cycles/new/",
        {
            "code": "2026-02",
            "name": "二月考核",
            "cadence": "monthly",
            "period_start": "2026-02-01",
            "period_end": "2026-02-28",
            "unit_codes": "BGZ, SBJ",
            "position_codes": "sales",
            "leaver_policy": "prorate",
            "peer_limit": "5",
        },
    )
    cycle = Cycle.objects.get(code="2026-02")
    assert r.status_code == 302
    assert r["Location"] == f"/performance/cycles/{cycle.pk}/"
    assert (cycle.state, cycle.cadence, cycle.unit_codes, cycle.position_codes) == (
        CycleState.DRAFT,
        "monthly",
        ["BGZ", "SBJ"],
        ["sales"],
    )


def test_creating_with_an_unknown_unit_is_refused_next_to_the_field(world: Any) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    login(client, world.users["hr"])
    r = client.post(
        "/performance/cycles/new/",
        {
            "code": "2026-02",
            "name": "二月考核",
            "cadence": "monthly",
            "period_start": "2026-02-01",
            "period_end": "2026-02-28",
            "unit_codes": "NOPE",
            "leaver_policy": "prorate",
            "peer_limit": "5",
        },
    )
    assert r.status_code == 422
    with translation.override("en"):
        expected = gettext("Unknown units: %(codes)s") % {"codes": "NOPE"}
    assert expected in r.content.decode()
    assert not Cycle.objects.filter(code="2026-02").exists()


def test_only_hr_may_create_cycles(client: Any, world: Any) -> None:
    login(client, world.users["gz_manager"])
    assert 'data-testid="cycle-new"' not in client.get("/performance/cycles/").content.decode()
    assert client.get("/performance/cycles/new/").status_code == 403


# --- lifecycle ------------------------------------------------------------------------------


def test_hr_moves_a_cycle_through_every_state_with_the_buttons(
    client: Any, world: Any, sales_scheme: Any
) -> None:
    publish_scheme(sales_scheme)
    load_facts(world)
    cycle = cycle_create(
        actor=world.users["hr"],
        code="2026-01",
        name="一月",
        cadence="monthly",
        period_start=JAN[0],
        period_end=JAN[1],
        position_codes=["sales"],
    )
    login(client, world.users["hr"])
    url = f"/performance/cycles/{cycle.pk}/"
    expected = [
        (["open"], "open", CycleState.OPEN),
        (["self_review", "manager_scoring"], "self_review", CycleState.SELF_REVIEW),
        (["manager_scoring"], "manager_scoring", CycleState.MANAGER_SCORING),
        (["calibration"], "calibration", CycleState.CALIBRATION),
        (["published"], "published", CycleState.PUBLISHED),
        (["archived"], "archived", CycleState.ARCHIVED),
    ]
    for buttons, to, state in expected:
        page = client.get(url).content.decode()
        assert steps_on(page) == buttons
        r = step(client, cycle, to)
        assert r.status_code == 302, r.content.decode()[:2000]
        cycle.refresh_from_db()
        assert cycle.state == state
        if state == CycleState.OPEN:
            assert cycle.participants.count() == 4
            set_targets(cycle)
            cycle_score(cycle=cycle)
    assert steps_on(client.get(url).content.decode()) == []
    assert LedgerEntry.objects.count() == 4


def test_the_buttons_are_hidden_from_managers_and_a_post_changes_nothing(
    client: Any, world: Any, calibrating: Any
) -> None:
    login(client, world.users["gz_manager"])
    page = client.get(f"/performance/cycles/{calibrating.pk}/").content.decode()
    assert 'data-testid="lifecycle"' not in page
    assert steps_on(page) == []
    assert step(client, calibrating, "published", excuse="x").status_code == 403
    calibrating.refresh_from_db()
    assert calibrating.state == CycleState.CALIBRATION
    assert LedgerEntry.objects.count() == 0


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_publishing_with_missing_manager_scores_is_refused_on_the_page(
    world: Any, calibrating: Any, monkeypatch: Any, language: str
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    monkeypatch.setattr("heng.performance.services.calibration.missing_manual", lambda c: MISSING)
    monkeypatch.setattr("heng.performance.views.cycles.missing_manual", lambda c: MISSING)
    login(client, world.users["hr"])
    page = client.get(f"/performance/cycles/{calibrating.pk}/").content.decode()
    assert 'name="excuse"' in page  # the excuse form sits with the publish button
    r = step(client, calibrating, "published")
    assert r.status_code == 409
    html = r.content.decode()
    with translation.override(language):
        message = gettext(
            "%(count)s manager score(s) are missing (first: %(no)s %(code)s); give a reason "
            "to publish anyway."
        ) % {"count": 1, "no": "T001", "code": "QUALITY"}
    error = re.search(r'data-testid="step-published".*?</form>', html, re.S)
    assert error is not None
    assert message in error.group(0)
    assert f'<html lang="{language}">' in html
    calibrating.refresh_from_db()
    assert (calibrating.state, calibrating.excuse) == (CycleState.CALIBRATION, "")
    assert LedgerEntry.objects.count() == 0
    # With a reason it goes through.
    r = step(client, calibrating, "published", excuse="店长病假，经HR批准")
    assert r.status_code == 302
    calibrating.refresh_from_db()
    assert (calibrating.state, calibrating.excuse) == (CycleState.PUBLISHED, "店长病假，经HR批准")
    assert LedgerEntry.objects.count() == 4


def test_a_step_that_is_not_possible_now_is_refused_with_the_reason(
    world: Any, scored: Any
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    login(client, world.users["hr"])
    r = step(client, scored, "archived")
    assert r.status_code == 409
    with translation.override("en"):
        message = gettext("The cycle is %(state)s; this step is not possible now.") % {
            "state": scored.get_state_display()
        }
    assert message in r.content.decode()
    scored.refresh_from_db()
    assert scored.state == CycleState.OPEN


# --- who sees results -----------------------------------------------------------------------


def test_an_employee_sees_no_unpublished_result_on_the_page_or_the_api(
    client: Any, world: Any, calibrating: Any
) -> None:
    login(client, world.users["gz1"])
    page = client.get(f"/performance/cycles/{calibrating.pk}/").content.decode()
    assert 'data-testid="results-hidden"' in page
    body = page.split('<main class="content">', 1)[1]  # past the top bar (his own name)
    for leak in ("106.00", "广州甲", "T001", "1 / 2", "excellent", "hist-data"):
        assert leak not in body
    api = f"/api/v1/performance/cycles/{calibrating.pk}"
    assert client.get(f"{api}/results").json() == []
    assert client.get(f"{api}/distribution").status_code == 404
    gz1 = world.people["gz1"].pk
    card = client.get(f"/api/v1/performance/scorecards/{gz1}?cycle={calibrating.pk}")
    assert card.status_code == 404
    assert client.get(f"/performance/cycles/{calibrating.pk}/calibration/").status_code == 404


def test_managers_see_their_people_before_publication_and_employees_after(
    client: Any, world: Any, calibrating: Any
) -> None:
    from heng.performance.services.calibration import cycle_publish

    api = f"/api/v1/performance/cycles/{calibrating.pk}/results"
    login(client, world.users["gz_manager"])
    assert sorted(x["employee_no"] for x in client.get(api).json()) == ["T001", "T002"]
    page = client.get(f"/performance/cycles/{calibrating.pk}/").content.decode()
    assert "广州甲" in page
    assert "广州乙" in page
    assert "北京甲" not in page
    cycle_publish(actor=None, cycle=calibrating)
    login(client, world.users["gz1"])
    rows = client.get(api).json()
    assert [(x["employee_no"], x["final_total"], x["rank"]) for x in rows] == [
        ("T001", "106.0000", 1)
    ]
    page = client.get(f"/performance/cycles/{calibrating.pk}/").content.decode()
    assert "106.00" in page
    assert "1 / 2" in page
    assert "广州乙" not in page


# --- export ---------------------------------------------------------------------------------


def test_the_export_link_downloads_an_xlsx_with_one_row_per_participant(
    client: Any, world: Any, calibrating: Any
) -> None:
    login(client, world.users["hr"])
    page = client.get(f"/performance/cycles/{calibrating.pk}/").content.decode()
    link = re.search(r'href="([^"]+)" data-testid="export-link"', page)
    assert link is not None
    r = client.get(link.group(1))
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "cycle-2026-01.xlsx" in r["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert len(rows) == 1 + calibrating.participants.count()
    assert [row[0] for row in rows[1:]] == ["T001", "T002", "T003", "T004"]
    assert "SALES (score)" in rows[0]
    assert rows[1][8] == 106.0  # final total


def test_the_export_is_for_hr_only(client: Any, world: Any, calibrating: Any) -> None:
    login(client, world.users["gz_manager"])
    page = client.get(f"/performance/cycles/{calibrating.pk}/").content.decode()
    assert 'data-testid="export-link"' not in page
    assert client.get(f"/performance/cycles/{calibrating.pk}/export.xlsx").status_code == 403
