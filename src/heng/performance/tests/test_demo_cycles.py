"""The demo's Douyin cycle (issue #5 "done means"): opened, targeted, scored from the ingested
facts, calibrated with a reason and published; operator_bj sees his scorecard; the ledger
verifies; building the demo again changes nothing."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from heng.accounts.models import User
from heng.integrations.selectors import metric_values
from heng.performance.demo_cycles import CODE_PREFIX, build_cycle_demo, last_full_month
from heng.performance.models import (
    Adjustment,
    Cycle,
    CycleState,
    LedgerEntry,
    ReviewInvitation,
    Target,
)
from heng.performance.selectors.scorecard import employee_latest_result
from heng.performance.services.ledger import ledger_verify

NORTH_LINES = [
    "plays",
    "post_frequency",
    "reply_1h",
    "revisions",
    "training_hours",
    "male_retention",
]


@pytest.fixture
def demo(db: Any) -> None:
    # Through the command: performance sits below the demo app and does not import it.
    call_command("demo", "--employees", "120", stdout=StringIO())


def test_the_demo_publishes_the_douyin_operators_cycle_of_last_month(demo: None) -> None:
    start, end = last_full_month(timezone.localdate())
    cycle = Cycle.objects.get(code__startswith=CODE_PREFIX)
    assert cycle.code == f"DEMO-DY-{start:%Y%m}"
    assert (cycle.period_start, cycle.period_end, cycle.cadence) == (start, end, "monthly")
    assert cycle.state == CycleState.PUBLISHED
    # 12 branches: Guangzhou, Shenzhen, Beijing, Chengdu, Xi'an … with 1–2 operators each.
    people = cycle.participants.count()
    assert people == 17
    assert cycle.results.count() == 17
    assert LedgerEntry.objects.filter(cycle_code=cycle.code, kind="result").count() == 17
    assert (
        ReviewInvitation.objects.filter(participant__cycle=cycle, status="submitted").count() >= 4
    )
    adjustment = Adjustment.objects.get(result__cycle=cycle, field="total")
    assert "冷启动" in adjustment.reason
    assert adjustment.by == User.objects.get(username="hr")
    assert ledger_verify().ok


def test_operator_bj_sees_a_full_explanation_of_his_published_result(
    demo: None, client: Client
) -> None:
    user = User.objects.get(username="operator_bj")
    employee_id = user.employee_id
    assert employee_id is not None
    card = employee_latest_result(employee_id)
    assert card is not None
    assert card.published
    assert card.unit == "北京分公司"
    assert [line.indicator for line in card.indicators] == NORTH_LINES
    assert all(
        line.actual is not None and line.contribution is not None for line in card.indicators
    )
    assert sum(Decimal(line.weight) for line in card.indicators) == 100
    contributions = [x.contribution or 0.0 for x in card.indicators]
    assert card.total == Decimal(str(round(sum(contributions), 2)))
    assert card.rank_text.startswith("第")
    assert card.group_size == 2
    # plays: the region's weekly benchmark (ingested) × weeks of the month, as stored basis.
    cycle = Cycle.objects.get(pk=card.cycle_id)
    target = Target.objects.get(
        participant__cycle=cycle, participant__employee=user.employee, indicator="plays"
    )
    days = (cycle.period_end - cycle.period_start).days + 1
    assert target.method == "benchmark"
    assert target.basis["factor"] == str((Decimal(days) / 7).quantize(Decimal("0.0001")))
    assert target.value == (
        Decimal(target.basis["benchmark"]) * Decimal(target.basis["factor"])
    ).quantize(Decimal("0.0001"))
    plays = next(x for x in card.indicators if x.indicator == "plays")
    assert plays.target == pytest.approx(float(target.value))
    # …and the actual is his own Douyin plays of the period.
    facts = metric_values(
        formulas={"p": "sum(douyin.plays)"},
        period_start=cycle.period_start,
        period_end=cycle.period_end,
        employee_ids=[employee_id],
    )
    assert plays.actual == facts["value"][0]
    row = cycle.results.get(employee_id=employee_id).indicator_rows()
    assert len(row) == 6
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get("/performance/scorecard/")
    assert page.status_code == 200
    assert card.rank_text in page.content.decode()


def test_building_the_demo_again_changes_nothing(demo: None) -> None:
    before = (Cycle.objects.count(), LedgerEntry.objects.count(), Adjustment.objects.count())
    assert build_cycle_demo(progress=lambda _m: None) is None
    call_command("demo", "--employees", "120", stdout=StringIO())
    assert (
        Cycle.objects.count(),
        LedgerEntry.objects.count(),
        Adjustment.objects.count(),
    ) == before
    assert ledger_verify().ok
