"""The calibration page: distribution against the target mix per unit and region, the box
plot and region charts, adjustments (reason required, who/when) and the rank that follows the
final total after an adjustment — exactly, ties included, into the ledger.

Scored totals (see cycle_fixtures): SGZ T001 106 (rank 1/2), T002 70 (rank 2/2);
SFS T003 86 (1/1); SBJ T004 101 (1/1). Regions: RS = T001, T002, T003; RN = T004.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from heng.performance.models import Adjustment, Cycle, LedgerEntry, Result
from heng.performance.services.calibration import RERANKED, cycle_publish, result_correct
from heng.performance.services.cycles import cycle_advance
from heng.performance.services.scoring import cycle_score
from heng.performance.tests.cycle_fixtures import (
    load_facts,
    open_cycle,
    publish_scheme,
    set_targets,
)

MIX = [
    {"label": "优秀", "bands": ["excellent"], "share": 20},
    {"label": "良好/合格", "bands": ["good", "pass"], "share": 70},
    {"label": "不合格", "bands": ["unqualified"], "share": 10},
]


def login(client: Any, user: Any) -> None:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")


def chart(page: str, name: str) -> Any:
    found = re.search(rf'<script id="{name}-data" type="application/json">(.*?)</script>', page)
    assert found is not None, name
    return json.loads(found.group(1))


def ranks(cycle: Cycle) -> dict[str, tuple[str, int, int]]:
    return {
        r.participant.employee_no: (str(r.final_total), r.rank, r.group_size)
        for r in Result.objects.filter(cycle=cycle).select_related("participant")
    }


@pytest.fixture
def calibrating(world: Any, sales_scheme: Any) -> Cycle:
    publish_scheme(sales_scheme)
    load_facts(world)
    cycle = open_cycle(world)
    set_targets(cycle)
    cycle_score(cycle=cycle)
    cycle_advance(actor=None, cycle=cycle, to="manager_scoring")
    cycle_advance(actor=None, cycle=cycle, to="calibration")
    cycle.framework = {**cycle.framework, "target_mix": MIX}
    cycle.save(update_fields=["framework"])
    return cycle


def adjust(client: Any, cycle: Cycle, employee: Any, **data: str) -> Any:
    return client.post(
        f"/performance/cycles/{cycle.pk}/calibration/adjust/",
        {"employee": employee.pk, "total": "", "rating": "", "reason": "", **data},
    )


# --- the page -------------------------------------------------------------------------------


def test_the_distribution_per_region_and_unit_against_the_target_mix(
    client: Any, world: Any, calibrating: Cycle
) -> None:
    login(client, world.users["hr"])
    r = client.get(f"/performance/cycles/{calibrating.pk}/calibration/")
    assert r.status_code == 200
    page = r.content.decode()
    region = page.split('data-testid="per-region"')[1].split("</section>")[0]
    # RS: excellent 1 of 3 = 33.3 % (target 20: over +13.3); good/pass 2 of 3 = 66.7 (under
    # -3.3); unqualified 0 (under -10). RN: 1 of 1 excellent = 100 (over +80).
    rs = {
        m[0]: m[1]
        for m in re.findall(r'data-group="RS" data-bucket="([^"]+)">(.*?)</tr>', region, re.S)
    }
    assert "华南大区" in rs["优秀"]
    assert "1 / 3" in rs["优秀"]
    assert "+13.3" in rs["优秀"]
    assert "66.7" in rs["良好/合格"]
    assert "-3.3" in rs["良好/合格"]
    assert "0 / 3" in rs["不合格"]
    assert "-10.0" in rs["不合格"]
    unit = page.split('data-testid="per-unit"')[1].split("</section>")[0]
    assert unit.count('data-group="广州店"') == 3
    assert unit.count('data-group="北京店"') == 3
    # Side by side across regions: one bar series per region plus the target line.
    regions = chart(page, "regions")
    assert regions["xAxis"]["data"] == ["优秀", "良好/合格", "不合格"]
    bars = {s["name"]: s["data"] for s in regions["series"] if s["type"] == "bar"}
    assert bars == {"华南大区": [33.3, 66.7, 0.0], "华北大区": [100.0, 0.0, 0.0]}
    assert [s["data"] for s in regions["series"] if s["type"] == "line"] == [[20, 70, 10]]


def test_the_box_plot_of_final_totals_per_unit_and_per_region(
    client: Any, world: Any, calibrating: Cycle
) -> None:
    login(client, world.users["hr"])
    base = f"/performance/cycles/{calibrating.pk}/calibration/"
    box = chart(client.get(base).content.decode(), "box")
    assert box["series"][0]["type"] == "boxplot"
    per_unit = dict(zip(box["xAxis"]["data"], box["series"][0]["data"], strict=True))
    assert per_unit == {
        "佛山店": [86.0] * 5,
        "北京店": [101.0] * 5,
        "广州店": [70.0, 79.0, 88.0, 97.0, 106.0],  # min, Q1, median, Q3, max
    }
    box = chart(client.get(base + "?by=region").content.decode(), "box")
    per_region = dict(zip(box["xAxis"]["data"], box["series"][0]["data"], strict=True))
    assert per_region == {"华北大区": [101.0] * 5, "华南大区": [70.0, 78.0, 86.0, 96.0, 106.0]}


def test_a_store_manager_sees_his_store_only_and_cannot_adjust(
    client: Any, world: Any, calibrating: Cycle
) -> None:
    login(client, world.users["gz_manager"])
    page = client.get(f"/performance/cycles/{calibrating.pk}/calibration/").content.decode()
    assert 'data-testid="adjust-form"' not in page
    assert "北京店" not in page
    assert "佛山店" not in page
    assert chart(page, "box")["xAxis"]["data"] == ["广州店"]
    r = adjust(client, calibrating, world.people["gz2"], total="110", reason="x")
    assert r.status_code == 403
    assert not Adjustment.objects.exists()


def test_employees_do_not_see_the_calibration_page(
    client: Any, world: Any, calibrating: Cycle
) -> None:
    login(client, world.users["gz1"])
    assert client.get(f"/performance/cycles/{calibrating.pk}/calibration/").status_code == 404
    r = adjust(client, calibrating, world.people["gz1"], total="120", reason="x")
    assert r.status_code == 404
    assert ranks(calibrating)["T001"] == ("106.0000", 1, 2)


# --- adjustments ----------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_adjustment_without_a_reason_is_refused_and_changes_nothing(
    world: Any, calibrating: Cycle, reason: str
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    login(client, world.users["hr"])
    r = adjust(client, calibrating, world.people["gz2"], total="110", reason=reason)
    assert r.status_code == 422
    with translation.override("en"):
        assert gettext("An adjustment needs a reason.") in r.content.decode()
    assert not Adjustment.objects.exists()
    assert ranks(calibrating)["T002"] == ("70.0000", 2, 2)


def test_an_adjustment_outside_calibration_is_refused(world: Any, calibrating: Cycle) -> None:
    cycle_publish(actor=None, cycle=calibrating)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    login(client, world.users["hr"])
    page = client.get(f"/performance/cycles/{calibrating.pk}/calibration/").content.decode()
    assert 'data-testid="adjust-form"' not in page
    r = adjust(client, calibrating, world.people["gz2"], total="110", reason="补录")
    assert r.status_code == 409
    with translation.override("en"):
        assert gettext("Results can be adjusted only during calibration.") in r.content.decode()
    assert not Adjustment.objects.exists()


def test_the_rank_follows_the_adjusted_final_total(
    client: Any, world: Any, calibrating: Cycle
) -> None:
    login(client, world.users["hr"])
    r = adjust(client, calibrating, world.people["gz2"], total="110", reason="门店装修停业一周")
    assert r.status_code == 302
    assert ranks(calibrating) == {
        "T001": ("106.0000", 2, 2),
        "T002": ("110.0000", 1, 2),
        "T003": ("86.0000", 1, 1),
        "T004": ("101.0000", 1, 1),
    }
    rows = [
        (a.result.participant.employee_no, a.field, a.old_value, a.new_value, a.reason, a.by)
        for a in Adjustment.objects.select_related("result__participant").order_by("id")
    ]
    hr = world.users["hr"]
    assert rows == [
        ("T002", "total", "70.0000", "110", "门店装修停业一周", hr),
        ("T002", "rating", "pass", "excellent", "门店装修停业一周", hr),
        ("T002", "rank", "2", "1", "门店装修停业一周", hr),
        ("T001", "rank", "1", "2", str(RERANKED), hr),
    ]
    # The list on the page: who and when.
    page = client.get(f"/performance/cycles/{calibrating.pk}/calibration/").content.decode()
    listing = page.split('data-testid="adjustments"')[1].split("</table>")[0]
    assert listing.count("<tr>") == 5  # head + 4
    first = Adjustment.objects.order_by("id").first()
    assert first is not None
    who = hr.get_full_name() or hr.username
    when = timezone.localtime(first.at).strftime("%Y-%m-%d %H:%M")
    assert f"<td>门店装修停业一周</td>\n  <td>{who}</td><td>{when}</td>" in listing
    # The explanation keeps the engine's rank; the ledger gets the final one.
    card = client.get(
        f"/api/v1/performance/scorecards/{world.people['gz2'].pk}?cycle={calibrating.pk}"
    ).json()
    assert (card["rank"], card["computed_rank"], card["rank_text"]) == (1, 2, "第1名 / 2")
    assert ("rank", "2", "1") in [(a["field"], a["old"], a["new"]) for a in card["adjustments"]]
    cycle_publish(actor=hr, cycle=calibrating)
    payloads = {e.employee_no: json.loads(e.payload) for e in LedgerEntry.objects.all()}
    assert (payloads["T002"]["rank"], payloads["T002"]["final_total"]) == (1, "110.0000")
    assert payloads["T001"]["rank"] == 2


def test_tied_final_totals_share_a_rank(client: Any, world: Any, calibrating: Cycle) -> None:
    login(client, world.users["hr"])
    assert (
        adjust(client, calibrating, world.people["gz2"], total="106", reason="并列").status_code
        == 302
    )
    assert ranks(calibrating)["T001"] == ("106.0000", 1, 2)
    assert ranks(calibrating)["T002"] == ("106.0000", 1, 2)
    # A rating-only change leaves ranks alone.
    assert (
        adjust(client, calibrating, world.people["gz1"], rating="good", reason="复核").status_code
        == 302
    )
    assert [r[1] for r in ranks(calibrating).values()] == [1, 1, 1, 1]
    # Adjusting down again restores the order.
    assert (
        adjust(client, calibrating, world.people["gz2"], total="60", reason="复核").status_code
        == 302
    )
    assert (ranks(calibrating)["T001"][1], ranks(calibrating)["T002"][1]) == (1, 2)


def test_a_correction_after_publication_re_ranks_and_records_everyone_moved(
    world: Any, calibrating: Cycle
) -> None:
    cycle_publish(actor=None, cycle=calibrating)
    row = Result.objects.get(participant__employee_no="T002")
    written = result_correct(actor=world.users["hr"], result=row, total=Decimal(107), reason="补录")
    assert written == 2  # T002's correction and T001's, whose rank moved
    corrections = {
        e.employee_no: json.loads(e.payload) for e in LedgerEntry.objects.filter(kind="correction")
    }
    assert (corrections["T002"]["rank"], corrections["T002"]["reason"]) == (1, "补录")
    assert (corrections["T001"]["rank"], corrections["T001"]["final_total"]) == (2, "106.0000")
    assert ranks(calibrating)["T001"] == ("106.0000", 2, 2)
