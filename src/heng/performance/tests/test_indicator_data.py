"""Indicator values from the data for any period, and their lineage (D4): selector, API and
pages; scoped to the reader; the scorecard links each indicator to its lineage.

Data: a Douyin-like source with plays, views, orders pushed through the ingestion service in
two batches (January 5 and February 3, 2026):

    T001 (广州店)  Jan 5: plays 100 views 50 orders 5    Feb 3: plays 30 views 10 orders 1
    T002 (广州店)  Jan 5: plays 40  views 20 orders 1
    T004 (北京店)  Jan 5: plays 70  views 35 orders 7
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from heng.core.errors import NotFound, ValidationFailed
from heng.integrations.files import table_from_records
from heng.integrations.models import BatchVia
from heng.integrations.periods import period_bounds
from heng.integrations.services import batch_ingest, metric_create, source_create
from heng.performance import services
from heng.performance.selectors.indicator_data import (
    indicator_formula,
    indicator_lineage,
    indicator_values,
)

JAN = {"period": "month", "on": "2026-01-15"}


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _login(client: Any, user: Any) -> None:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")


@pytest.fixture
def data(world: Any) -> dict[str, Any]:
    source = source_create(code="dy", name="抖音后台", natural_key=["date", "employee_no"])
    for code in ("plays", "views", "orders"):
        metric_create(source=source, code=code, name=code, value_type="integer", min_value=0)
    batches = []
    for key, rows in (
        (
            "jan",
            [
                {
                    "employee_no": "T001",
                    "date": "2026-01-05",
                    "plays": 100,
                    "views": 50,
                    "orders": 5,
                },
                {
                    "employee_no": "T002",
                    "date": "2026-01-05",
                    "plays": 40,
                    "views": 20,
                    "orders": 1,
                },
                {
                    "employee_no": "T004",
                    "date": "2026-01-05",
                    "plays": 70,
                    "views": 35,
                    "orders": 7,
                },
            ],
        ),
        (
            "feb",
            [{"employee_no": "T001", "date": "2026-02-03", "plays": 30, "views": 10, "orders": 1}],
        ),
    ):
        outcome = batch_ingest(
            source=source,
            table=table_from_records(rows),
            via=BatchVia.API,
            actor=None,
            idempotency_key=key,
        )
        assert outcome.batch.status == "committed", outcome.batch.report
        batches.append(outcome.batch)
    indicators = {
        code: services.indicator_create(
            actor=None,
            code=code,
            name=name,
            category="result",
            direction="higher",
            value_kind=kind,
            source_metric=metric,
            formula=formula,
            rule="linear" if kind != "manual" else "manual",
            params={},
        )
        for code, name, kind, metric, formula in (
            ("CONV", "转化率", "formula", "", "sum(orders) / sum(views) * 100"),
            ("PLAYS", "播放量", "metric", "dy.plays", ""),
            ("QUALITY", "出品质量", "manual", "", ""),
        )
    }
    return {"source": source, "batches": batches, "indicators": indicators}


# --- periods and the selector ------------------------------------------------------------------
def test_periods_are_the_day_week_month_quarter_around_a_date_or_a_custom_range() -> None:
    wed = dt.date(2026, 2, 11)
    assert period_bounds("day", on=wed) == (wed, wed)
    assert period_bounds("week", on=wed) == (dt.date(2026, 2, 9), dt.date(2026, 2, 15))
    assert period_bounds("month", on=wed) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert period_bounds("quarter", on=wed) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert period_bounds("quarter", on=dt.date(2026, 11, 30)) == (
        dt.date(2026, 10, 1),
        dt.date(2026, 12, 31),
    )
    assert period_bounds("custom", start=wed, end=wed) == (wed, wed)
    with pytest.raises(ValidationFailed) as bad:
        period_bounds("custom", start=wed, end=dt.date(2026, 2, 1))
    assert set(bad.value.fields) == {"end"}
    with pytest.raises(ValidationFailed) as missing:
        period_bounds("custom", start=wed)
    assert set(missing.value.fields) == {"end"}
    with pytest.raises(ValidationFailed) as kind:
        period_bounds("fortnight", on=wed)
    assert set(kind.value.fields) == {"period"}


def test_the_selector_computes_an_indicator_for_everyone_at_once(
    world: Any, data: dict[str, Any]
) -> None:
    people = world.people
    conv = indicator_formula(data["indicators"]["CONV"])
    assert conv == "sum(orders) / sum(views) * 100"
    january = indicator_values(
        formula=conv,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 1, 31),
        employee_ids=None,
    )
    assert january.schema == pl.Schema({"employee_id": pl.Int64, "value": pl.Float64})
    assert dict(january.iter_rows()) == {
        people["gz1"].pk: 10.0,
        people["gz2"].pk: 5.0,
        people["bj1"].pk: 20.0,
    }
    # a quarter takes both batches for T001: (5 + 1) / (50 + 10) * 100; only the ids asked for
    quarter = indicator_values(
        formula=indicator_formula(data["indicators"]["PLAYS"]),
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 3, 31),
        employee_ids=[people["gz1"].pk],
    )
    assert dict(quarter.iter_rows()) == {people["gz1"].pk: 130.0}
    with pytest.raises(ValidationFailed) as manual:
        indicator_formula(data["indicators"]["QUALITY"])
    assert manual.value.code == "not_from_data"


def test_the_selector_lineage_lists_the_batches_and_source_rows(
    world: Any, data: dict[str, Any]
) -> None:
    found = indicator_lineage(
        formula="sum(orders) / sum(views) * 100",
        employee_id=world.people["gz1"].pk,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 2, 28),
    )
    assert found["value"] == pytest.approx(10.0)
    assert [b.pk for b in found["batches"]] == [b.pk for b in data["batches"]]
    assert found["total_rows"] == 4  # views and orders, two days
    first = found["rows"][0]
    assert first["raw"]["employee_no"] == "T001"
    assert str(first["raw"]["views"]) == "50"


# --- API ---------------------------------------------------------------------------------------
def test_api_values_for_a_month_are_limited_to_my_scope_and_link_to_lineage(
    client: Any, world: Any, data: dict[str, Any]
) -> None:
    people = world.people
    _login(client, world.users["hr"])
    everyone = client.get("/api/v1/performance/indicators/CONV/values", JAN)
    assert everyone.status_code == 200, everyone.content
    body = everyone.json()
    assert (body["formula"], body["period_start"], body["period_end"]) == (
        "sum(orders) / sum(views) * 100",
        "2026-01-01",
        "2026-01-31",
    )
    # best first
    assert [(i["employee_no"], i["value"]) for i in body["items"]] == [
        ("T004", 20.0),
        ("T001", 10.0),
        ("T002", 5.0),
    ]
    # the Guangzhou store's head sees his two people only
    _login(client, world.users["gz_manager"])
    mine = client.get("/api/v1/performance/indicators/CONV/values", JAN).json()
    assert [i["employee_no"] for i in mine["items"]] == ["T001", "T002"]
    assert mine["count"] == 2
    lineage = client.get(mine["items"][0]["lineage"])
    assert lineage.status_code == 200, lineage.content
    assert lineage.json()["value"] == pytest.approx(10.0)
    assert lineage.json()["employee_id"] == people["gz1"].pk
    # an employee sees his own value
    _login(client, world.users["gz1"])
    own = client.get("/api/v1/performance/indicators/PLAYS/values", JAN).json()
    assert [(i["employee_no"], i["value"]) for i in own["items"]] == [("T001", 100.0)]


def test_api_values_for_each_kind_of_period(client: Any, world: Any, data: dict[str, Any]) -> None:
    _login(client, world.users["hr"])
    url = "/api/v1/performance/indicators/PLAYS/values"

    def t001(query: dict[str, str]) -> float | None:
        answer = client.get(url, query)
        assert answer.status_code == 200, answer.content
        found = [i["value"] for i in answer.json()["items"] if i["employee_no"] == "T001"]
        return found[0] if found else None

    assert t001({"period": "day", "on": "2026-01-05"}) == 100
    assert t001({"period": "day", "on": "2026-01-06"}) is None
    assert t001({"period": "week", "on": "2026-02-05"}) == 30  # Mon 2 – Sun 8 February
    assert t001({"period": "month", "on": "2026-02-28"}) == 30
    assert t001({"period": "quarter", "on": "2026-03-01"}) == 130
    assert t001({"period": "custom", "start": "2026-01-05", "end": "2026-02-03"}) == 130
    bad = client.get(url, {"period": "custom", "start": "2026-02-03", "end": "2026-01-05"})
    assert bad.status_code == 422
    assert "end" in bad.json()["fields"]


def test_api_lineage_of_an_indicator_value(client: Any, world: Any, data: dict[str, Any]) -> None:
    _login(client, world.users["hr"])
    answer = client.get(
        "/api/v1/performance/indicators/CONV/lineage",
        {"employee_id": world.people["gz1"].pk, **JAN},
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["indicator"], body["formula"], body["value"]) == (
        "CONV",
        "sum(orders) / sum(views) * 100",
        10.0,
    )
    assert [b["id"] for b in body["batches"]] == [data["batches"][0].pk]
    assert sorted((r["metric"], r["value"]) for r in body["rows"]) == [
        ("dy.orders", 5.0),
        ("dy.views", 50.0),
    ]
    assert all(r["raw"]["employee_no"] == "T001" for r in body["rows"])


def test_api_lineage_outside_my_scope_or_of_an_unknown_indicator_is_not_found(
    client: Any, world: Any, data: dict[str, Any]
) -> None:
    _login(client, world.users["gz_manager"])
    url = "/api/v1/performance/indicators/CONV/lineage"
    outside = client.get(url, {"employee_id": world.people["bj1"].pk, **JAN})
    assert outside.status_code == 404
    missing = client.get(url, {"employee_id": 999_999, **JAN})
    assert missing.status_code == 404
    assert outside.json()["code"] == missing.json()["code"] == "not_found"
    unknown = client.get(
        "/api/v1/performance/indicators/NOPE/lineage",
        {"employee_id": world.people["gz1"].pk, **JAN},
    )
    assert unknown.status_code == 404
    # a cycle the person was not part of is not found either
    cycle = client.get(url, {"employee_id": world.people["gz1"].pk, "cycle_id": 999_999})
    assert cycle.status_code == 404
    # a manual indicator has no facts: a clear refusal
    manual = client.get(
        "/api/v1/performance/indicators/QUALITY/lineage",
        {"employee_id": world.people["gz1"].pk, **JAN},
    )
    assert manual.status_code == 422
    assert manual.json()["code"] == "not_from_data"


def test_a_user_without_any_scope_gets_no_values(
    client: Any, world: Any, data: dict[str, Any]
) -> None:
    _login(client, world.users["nobody"])
    assert client.get("/api/v1/performance/indicators/CONV/values", JAN).status_code == 404
    assert client.get("/performance/indicators/CONV/values/", JAN).status_code == 404


# --- pages -------------------------------------------------------------------------------------
def test_the_values_page_links_each_value_to_its_lineage_page(
    client: Any, world: Any, data: dict[str, Any]
) -> None:
    _login(client, world.users["gz_manager"])
    page = client.get("/performance/indicators/CONV/values/", JAN)
    assert page.status_code == 200
    html = page.content.decode()
    assert "广州甲" in html
    assert "北京甲" not in html  # outside the store head's scope
    link = (
        f"/performance/indicators/CONV/lineage/?employee={world.people['gz1'].pk}"
        "&amp;start=2026-01-01&amp;end=2026-01-31&amp;period=custom"
    )
    assert link in html
    lineage = client.get(link.replace("&amp;", "&"))
    assert lineage.status_code == 200
    text = lineage.content.decode()
    assert 'data-testid="lineage-value">10<' in text
    assert f"/integrations/batches/{data['batches'][0].pk}/" in text
    assert "employee_no=T001" in text  # the source row as delivered


def test_the_lineage_page_hides_people_outside_my_scope(
    client: Any, world: Any, data: dict[str, Any]
) -> None:
    _login(client, world.users["gz_manager"])
    answer = client.get(
        "/performance/indicators/CONV/lineage/",
        {"employee": world.people["bj1"].pk, "period": "month", "on": "2026-01-15"},
    )
    assert answer.status_code == 404
    assert client.get("/performance/indicators/CONV/lineage/").status_code == 404


def test_pages_refuse_a_bad_period_and_a_manual_indicator_clearly(
    client: Any, world: Any, data: dict[str, Any]
) -> None:
    _login(client, world.users["hr"])
    bad = client.get(
        "/performance/indicators/CONV/values/",
        {"period": "custom", "start": "2026-02-01", "end": "2026-01-01"},
    )
    assert bad.status_code == 422
    assert 'data-testid="period-errors"' in bad.content.decode()
    manual = client.get(
        "/performance/indicators/QUALITY/lineage/",
        {"employee": world.people["gz1"].pk, **JAN},
    )
    assert manual.status_code == 422
    assert 'data-testid="lineage-error"' in manual.content.decode()


def test_selector_helpers_raise_not_found_for_unknown_codes(world: Any) -> None:
    from heng.performance.selectors.indicator_data import cycle_indicator, indicator_get

    with pytest.raises(NotFound):
        indicator_get("NOPE")
    with pytest.raises(NotFound):
        cycle_indicator(cycle_id=1, employee_id=world.people["gz1"].pk, code="SALES")


def test_the_scorecard_links_each_indicator_to_its_lineage_in_the_cycle(
    client: Any, world: Any, sales_scheme: Any
) -> None:
    from heng.performance.services.calibration import cycle_publish
    from heng.performance.services.cycles import cycle_advance
    from heng.performance.services.scoring import cycle_score
    from heng.performance.tests.cycle_fixtures import (
        load_facts,
        open_cycle,
        publish_scheme,
        set_targets,
    )

    publish_scheme(sales_scheme)
    load_facts(world)
    cycle = open_cycle(world)
    set_targets(cycle)
    cycle_score(cycle=cycle)
    cycle_advance(actor=None, cycle=cycle, to="manager_scoring")
    cycle_advance(actor=None, cycle=cycle, to="calibration")
    cycle_publish(actor=None, cycle=cycle)
    gz1 = world.people["gz1"].pk
    _login(client, world.users["gz1"])
    card = client.get("/performance/scorecard/").content.decode()
    link = f"/performance/indicators/SALES/lineage/?employee={gz1}&amp;cycle={cycle.pk}"
    assert link in card
    lineage = client.get(link.replace("&amp;", "&"))
    assert lineage.status_code == 200
    html = lineage.content.decode()
    assert 'data-testid="lineage-cycle"' in html
    assert 'data-testid="lineage-value">460<' in html  # T001's January sales
    api = client.get(
        "/api/v1/performance/indicators/SALES/lineage",
        {"employee_id": gz1, "cycle_id": cycle.pk},
    ).json()
    assert (api["value"], api["period_start"], api["formula"]) == (460.0, "2026-01-01", "m.sales")
    # not someone else's
    other = world.people["bj1"].pk
    outside = client.get(
        f"/performance/indicators/SALES/lineage/?employee={other}&cycle={cycle.pk}"
    )
    assert outside.status_code == 404


def test_the_library_links_data_indicators_to_their_values(
    client: Any, world: Any, data: dict[str, Any]
) -> None:
    _login(client, world.users["hr"])
    html = client.get("/performance/indicators/").content.decode()
    assert "/performance/indicators/CONV/values/" in html
    assert "/performance/indicators/PLAYS/values/" in html
    assert "/performance/indicators/QUALITY/values/" not in html  # manual: nothing to compute
