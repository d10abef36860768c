"""Goals fixtures on top of the shared ``world``: a CRM source with daily orders and a
complaint rate per person, two library indicators, and the cascade

    年营收增长40% (strategy, C)
    └── 提升用户忠诚度 (objective, BGZ)
        ├── KR1 复购率 20% → 30%        (manual)
        │   └── KPI 月订单数 300 / month (position sales, BGZ subtree: gz1, gz2, fs1)
        └── KR2 满意度 4.0 → 4.5 (of 5) (manual)
            └── KPI 投诉率 ≤ 2 %         (named: gz1)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from heng.goals.models import Goal
from heng.goals.services import goal_assign, goal_create
from heng.integrations.files import table_from_records
from heng.integrations.models import Source
from heng.integrations.services import batch_ingest, metric_create, source_create
from heng.performance.services import indicator_create

YEAR = {"start_date": dt.date(2026, 1, 1), "end_date": dt.date(2026, 12, 31)}
MID_MARCH = dt.date(2026, 3, 15)  # 15 of 31 days


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@dataclass
class Cascade:
    strategy: Goal
    objective: Goal
    kr1: Goal
    kr2: Goal
    orders: Goal
    complaints: Goal
    source: Source


def ingest(source: Source, rows: list[dict[str, Any]]) -> Any:
    return batch_ingest(source=source, table=table_from_records(rows), via="api", actor=None).batch


def daily(employee_no: str, first: dt.date, days: int, **metrics: float) -> list[dict[str, Any]]:
    return [
        {"employee_no": employee_no, "date": (first + dt.timedelta(days=i)).isoformat(), **metrics}
        for i in range(days)
    ]


@pytest.fixture
def crm(world: Any) -> Source:
    source = source_create(
        code="crm", name="CRM", kind="crm", layout="wide", natural_key=["date", "employee_no"]
    )
    metric_create(
        source=source,
        code="orders",
        name="订单",
        value_type="integer",
        aggregation="sum",
        min_value=0,
    )
    metric_create(
        source=source,
        code="complaint_rate",
        name="投诉率",
        value_type="percent",
        aggregation="mean",
        min_value=0,
        max_value=100,
    )
    return source


@pytest.fixture
def cascade(world: Any, crm: Source) -> Cascade:
    hr = world.users["hr"]
    orders_ind = indicator_create(
        actor=None,
        code="monthly_orders",
        name="月订单数",
        category="result",
        direction="higher",
        value_kind="metric",
        source_metric="crm.orders",
        rule="linear",
        params={"cap": 1.2},
        unit="单",
    )
    complaint_ind = indicator_create(
        actor=None,
        code="complaint_rate",
        name="投诉率",
        category="result",
        direction="lower",
        value_kind="metric",
        source_metric="crm.complaint_rate",
        rule="lower_better",
        unit="%",
    )
    units = world.units
    strategy = goal_create(
        actor=hr, kind="strategy", unit=units["C"], title="年营收增长40%", **YEAR
    )
    objective = goal_create(
        actor=hr,
        kind="objective",
        unit=units["BGZ"],
        parent=strategy,
        title="提升用户忠诚度",
        **YEAR,
    )
    kr1 = goal_create(
        actor=hr,
        kind="key_result",
        unit=units["BGZ"],
        parent=objective,
        title="复购率",
        start_value=20,
        target_value=30,
        measure_unit="%",
        **YEAR,
    )
    kr2 = goal_create(
        actor=hr,
        kind="key_result",
        unit=units["BGZ"],
        parent=objective,
        title="满意度",
        start_value=4.0,
        target_value=4.5,
        measure_unit="分",
        **YEAR,
    )
    orders = goal_create(
        actor=hr,
        kind="kpi",
        unit=units["BGZ"],
        parent=kr1,
        title="月订单数",
        indicator=orders_ind,
        target_value=300,
        position=world.people["gz1"].position,
        cadence="month",
        pace_mode="cumulative",
        **YEAR,
    )
    complaints = goal_create(
        actor=hr,
        kind="kpi",
        unit=units["BGZ"],
        parent=kr2,
        title="投诉率",
        indicator=complaint_ind,
        target_value=2,
        cadence="month",
        pace_mode="level",
        **YEAR,
    )
    goal_assign(actor=hr, goal=complaints, employee=world.people["gz1"])
    return Cascade(strategy, objective, kr1, kr2, orders, complaints, crm)


@pytest.fixture
def march(cascade: Cascade, world: Any) -> None:
    """1–15 March: gz1 6 orders a day (90), gz2 10 (150), fs1 9 (135); bj1 (not in the
    subtree) 1. gz1's complaint rate averages 3 %."""
    rows = (
        daily("T001", dt.date(2026, 3, 1), 15, orders=6, complaint_rate=3)
        + daily("T002", dt.date(2026, 3, 1), 15, orders=10)
        + daily("T003", dt.date(2026, 3, 1), 15, orders=9)
        + daily("T004", dt.date(2026, 3, 1), 15, orders=1)
    )
    ingest(cascade.source, rows)


@pytest.fixture
def robot() -> Any:
    from heng.notifications.tests.stub import Robot, serve

    yield from serve(Robot(secret="SEC-goals"))
