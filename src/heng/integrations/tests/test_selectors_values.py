"""metric_values: every aggregation over a period, hand-computed; scope filters; errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from heng.core.errors import ValidationFailed
from heng.integrations.files import table_from_records
from heng.integrations.selectors import (
    fact_lineage,
    metric_values,
    metric_values_wide,
    seen_column,
)
from heng.integrations.services import batch_ingest, metric_create, source_create

JAN = {"period_start": dt.date(2026, 1, 1), "period_end": dt.date(2026, 1, 31)}


def ingest(source: Any, rows: list[dict[str, Any]]) -> Any:
    return batch_ingest(source=source, table=table_from_records(rows), via="api", actor=None).batch


@pytest.fixture
def facts(douyin: Any, world: Any) -> Any:
    return ingest(
        douyin,
        [
            {"employee_no": "T001", "date": "2025-12-31", "plays": 1000, "views": 1, "orders": 1},
            {
                "employee_no": "T001",
                "date": "2026-01-01",
                "plays": 100,
                "views": 50,
                "orders": 5,
                "rate": 40,
                "followers": 10,
            },
            {
                "employee_no": "T001",
                "date": "2026-01-31",
                "plays": 300,
                "views": 150,
                "orders": 10,
                "rate": 60,
                "followers": 30,
            },
            {"employee_no": "T001", "date": "2026-01-15", "followers": 20},
            {"employee_no": "T002", "date": "2026-01-10", "plays": 7, "views": 0, "orders": 0},
            {"employee_no": "T003", "date": "2026-02-01", "plays": 9},
        ],
    )


def values(frame: Any) -> dict[tuple[str, int], float | None]:
    return {(r["key"], r["subject_id"]): r["value"] for r in frame.to_dicts()}


def test_sum_mean_last_count_min_max_over_a_month_inclusive(facts: Any, world: Any) -> None:
    t1, t2 = world.people["gz1"].pk, world.people["gz2"].pk
    got = values(
        metric_values(
            formulas={
                "plays": "sum(plays)",  # 100 + 300 (31 Dec and 1 Feb are outside)
                "rate": "mean(rate)",  # (40 + 60) / 2
                "followers": "last(followers)",  # 31 Jan beats 15 Jan and 1 Jan
                "days": "count(plays)",
                "low": "min(plays)",
                "high": "max(plays)",
                "conv": "sum(orders) / sum(views) * 100",  # 15 / 200 * 100 = 7.5; T002: 0/0 → null
                "default": "followers",  # a bare metric uses its own aggregation (last)
            },
            **JAN,
        )
    )
    assert got[("plays", t1)] == 400
    assert got[("plays", t2)] == 7
    assert got[("rate", t1)] == 50
    assert got[("followers", t1)] == 30
    assert got[("default", t1)] == 30
    assert got[("days", t1)] == 2
    assert (got[("low", t1)], got[("high", t1)]) == (100, 300)
    assert got[("conv", t1)] == pytest.approx(7.5)
    assert got[("conv", t2)] is None
    # T002 has no rate and no followers: no row at all, rather than a made-up 0
    assert ("rate", t2) not in got
    assert ("followers", t2) not in got
    assert world.people["fs1"].pk not in {k[1] for k in got}


def test_the_wide_form_has_one_row_per_subject_and_tells_no_data_from_no_value(
    facts: Any, world: Any
) -> None:
    t1, t2 = world.people["gz1"].pk, world.people["gz2"].pk
    # when the same formulas are asked for one row per subject
    wide = metric_values_wide(
        formulas={"plays": "sum(plays)", "rate": "mean(rate)", "conv": "sum(orders) / sum(views)"},
        **JAN,
    )
    rows = {r["employee_id"]: r for r in wide.to_dicts()}
    # then each person with facts has one row, values as in the long form
    assert set(rows) == {t1, t2}
    assert (rows[t1]["plays"], rows[t1]["rate"], rows[t1]["conv"]) == (400, 50, 15 / 200)
    # T002 has no rate: no data (not seen, null); a 0 / 0 conversion: data, but no value
    assert (rows[t2]["rate"], rows[t2][seen_column("rate")]) == (None, False)
    assert (rows[t2]["conv"], rows[t2][seen_column("conv")]) == (None, True)
    assert rows[t2][seen_column("plays")] is True


def test_distinct_counts_text_values(erp: Any, world: Any) -> None:
    ingest(
        erp,
        [
            {
                "employee_no": "T001",
                "date": "2026-01-02",
                "metric": "customer_id",
                "value": "C1",
                "order_id": "1",
            },
            {
                "employee_no": "T001",
                "date": "2026-01-03",
                "metric": "customer_id",
                "value": "C2",
                "order_id": "2",
            },
            {
                "employee_no": "T001",
                "date": "2026-01-04",
                "metric": "customer_id",
                "value": "C1",
                "order_id": "3",
            },
        ],
    )
    got = values(
        metric_values(
            formulas={"reach": "distinct(customer_id)", "orders": "count(customer_id)"}, **JAN
        )
    )
    gz1 = world.people["gz1"].pk
    assert (got[("reach", gz1)], got[("orders", gz1)]) == (2, 3)


def test_a_week_is_any_range_of_days(facts: Any, world: Any) -> None:
    got = values(
        metric_values(
            formulas={"p": "plays"},
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 1, 7),
        )
    )
    assert got == {("p", world.people["gz1"].pk): 100}


def test_employee_filter_and_unit_subjects(facts: Any, benchmarks: Any, world: Any) -> None:
    ingest(
        benchmarks,
        [
            {"unit_code": "RS", "date": "2026-01-05", "plays_benchmark": 80},
            {"unit_code": "RS", "date": "2026-01-06", "plays_benchmark": 100},
            {"unit_code": "RN", "date": "2026-01-06", "plays_benchmark": 30},
        ],
    )
    rs, gz2 = world.units["RS"].pk, world.people["gz2"].pk
    only = metric_values(
        formulas={"p": "plays", "b": "plays_benchmark"}, employee_ids=[gz2], unit_ids=[rs], **JAN
    )
    assert sorted(only.rows()) == [("employee", gz2, "p", 7.0), ("unit", rs, "b", 90.0)]


def test_ambiguous_unknown_and_text_metrics_are_refused(douyin: Any, erp: Any) -> None:
    source = source_create(code="crm", name="CRM")
    metric_create(source=source, code="plays", name="plays")
    with pytest.raises(ValidationFailed) as caught:
        metric_values(formulas={"x": "sum(plays)"}, **JAN)
    assert caught.value.code == "ambiguous_metric"
    assert metric_values(formulas={"x": "sum(douyin.plays)"}, **JAN).is_empty()
    with pytest.raises(ValidationFailed) as caught:
        metric_values(formulas={"x": "nothing"}, **JAN)
    assert caught.value.code == "unknown_metric"
    with pytest.raises(ValidationFailed) as caught:
        metric_values(formulas={"x": "sum(customer_id)"}, **JAN)
    assert "count() and distinct()" in caught.value.message
    with pytest.raises(ValidationFailed):
        metric_values(
            formulas={"x": "plays"},
            period_start=dt.date(2026, 2, 1),
            period_end=dt.date(2026, 1, 1),
        )


def test_lineage_names_every_fact_and_its_batch(facts: Any, world: Any) -> None:
    found = fact_lineage(metric_codes=["plays"], employee_id=world.people["gz1"].pk, **JAN)
    assert [(str(r["date"]), r["value"], r["row_no"]) for r in found["rows"]] == [
        ("2026-01-01", 100.0, 2),
        ("2026-01-31", 300.0, 3),
    ]
    assert found["batches"] == [facts]
    assert found["total_rows"] == 2


def test_last_takes_the_fact_sent_latest_when_two_share_the_latest_day(world: Any) -> None:
    # given a source without a natural key that reports stock twice on 31 Jan (a morning and an
    # evening delivery), and once on 30 Jan in a batch sent after both
    shop = source_create(code="shop", name="门店库存")
    metric_create(source=shop, code="stock", name="库存", aggregation="last")
    ingest(shop, [{"employee_no": "T001", "date": "2026-01-31", "stock": 12}])
    ingest(shop, [{"employee_no": "T001", "date": "2026-01-31", "stock": 7}])
    ingest(shop, [{"employee_no": "T001", "date": "2026-01-30", "stock": 99}])
    # when last(stock) is read for January
    got = values(metric_values(formulas={"stock": "last(stock)"}, **JAN))
    # then the latest day wins, and within it the delivery sent last
    employee = world.people["gz1"].pk  # T001
    assert got == {("stock", employee): 7.0}
