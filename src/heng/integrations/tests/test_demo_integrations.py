"""The demo's year of facts arrives through the ingestion service, dirt included, once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from heng.demo.build import build_demo
from heng.integrations.demo import ingest_demo_data
from heng.integrations.models import Batch, Fact, QuarantinedRow
from heng.integrations.selectors import metric_values
from heng.org.models import OrgUnit
from heng.people.models import Employee


def test_the_demo_year_goes_through_ingestion_with_dirt_and_only_once(db: Any) -> None:
    build_demo(employees=150, progress=lambda _m: None)
    batches = Batch.objects.filter(idempotency_key__startswith="demo:")
    months = batches.filter(source__code="douyin").count()
    assert months == 13  # this month so far and the twelve before it
    assert set(batches.values_list("via", flat=True)) == {"demo"}
    totals = batches.aggregate(
        received=Sum("received"),
        test=Sum("test_rows"),
        dup=Sum("duplicates"),
        bad=Sum("quarantined"),
        ok=Sum("committed"),
    )
    assert totals["received"] == totals["test"] + totals["dup"] + totals["bad"] + totals["ok"]
    # per month: Douyin one test account, ERP one test order; two repeats per source
    assert batches.filter(source__code="douyin").aggregate(t=Sum("test_rows"))["t"] == 13
    assert batches.filter(source__code="sales_erp").aggregate(t=Sum("test_rows"))["t"] == 13
    assert batches.filter(source__code="logistics").aggregate(d=Sum("duplicates"))["d"] == 26
    codes = {r["code"] for q in QuarantinedRow.objects.all() for r in q.reasons}
    assert codes == {"not_a_number", "unknown_employee", "future_date"}

    # the south's operators reach about four times the north's plays (seed 000 §3.1)
    end = timezone.localdate() - dt.timedelta(days=1)
    start = end - dt.timedelta(days=27)
    plays = metric_values(formulas={"p": "douyin.plays"}, period_start=start, period_end=end)
    region_of = {}
    for region in OrgUnit.objects.filter(code__in=["R-S", "R-N"]):
        for pk in Employee.objects.filter(unit__path__startswith=region.path).values_list(
            "pk", flat=True
        ):
            region_of[pk] = region.code
    by_region: dict[str, list[float]] = {"R-S": [], "R-N": []}
    for row in plays.to_dicts():
        if row["subject_id"] in region_of:
            by_region[region_of[row["subject_id"]]].append(row["value"])
    south = sum(by_region["R-S"]) / len(by_region["R-S"])
    north = sum(by_region["R-N"]) / len(by_region["R-N"])
    assert 2.5 < south / north < 6

    facts = Fact.objects.count()
    ingest_demo_data(progress=lambda _m: None)
    assert Fact.objects.count() == facts
    assert Batch.objects.filter(idempotency_key__startswith="demo:").count() == batches.count()
