"""Shared setup of the cycle tests: the SALES-REP scheme published, facts for January 2026.

Population: position "sales" = gz1 (T001), gz2 (T002) in SGZ, fs1 (T003) in SFS, bj1 (T004)
in SBJ. Scheme (no category weighting): SALES 40 (linear, cap 120), NEWCUST 30 (linear),
COMPLAINT 30 (lower_better). Facts (sum over January):

    T001 sales 460 newcust 30 complaint 2     T002 sales 400 newcust 15 complaint 4
    T003 sales 200 newcust 30 complaint 1     T004 sales 380 newcust 33 complaint 2
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from heng.integrations.models import Fact
from heng.integrations.services import metric_create, source_create
from heng.performance import services
from heng.performance.models import Cycle, Participant
from heng.performance.services.cycles import cycle_create, cycle_open
from heng.performance.services.targets import target_set

JAN = (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
FACTS = {
    "T001": {"sales": 460, "newcust": 30, "complaint": 2},
    "T002": {"sales": 400, "newcust": 15, "complaint": 4},
    "T003": {"sales": 200, "newcust": 30, "complaint": 1},
    "T004": {"sales": 380, "newcust": 33, "complaint": 2},
}
TARGETS = {"SALES": 400, "NEWCUST": 30, "COMPLAINT": 2}


def publish_scheme(scheme: Any) -> None:
    services.scheme_publish(actor=None, scheme=scheme, effective_from=dt.date(2024, 1, 1))


def load_facts(world: Any, facts: dict[str, dict[str, float]] | None = None) -> None:
    source = source_create(code="m", name="测试来源", natural_key=["date", "employee_no"])
    metrics = {
        code: metric_create(source=source, code=code, name=code, aggregation="sum")
        for code in ("sales", "newcust", "complaint", "training", "visits")
    }
    people = {p.employee_no: p for p in world.people.values()}
    rows = []
    for no, values in (facts or FACTS).items():
        for code, value in values.items():
            # Two facts per month (10th and 20th) so the sum is really aggregated.
            half = value / 2
            for day in (10, 20):
                rows.append(
                    Fact(
                        metric=metrics[code],
                        employee=people[no],
                        unit=None,
                        date=dt.date(2026, 1, day),
                        value=half,
                        batch_id=1,
                        row_no=1,
                    )
                )
    Fact.objects.bulk_create(rows)


def open_cycle(world: Any, code: str = "2026-01", **kwargs: Any) -> Cycle:
    cycle = cycle_create(
        actor=world.users["hr"],
        code=code,
        name=f"销售月度考核 {code}",
        cadence="monthly",
        period_start=JAN[0],
        period_end=JAN[1],
        position_codes=["sales"],
        **kwargs,
    )
    return cycle_open(actor=world.users["hr"], cycle=cycle)


def set_targets(cycle: Cycle, targets: dict[str, float] | None = None) -> None:
    for p in Participant.objects.filter(cycle=cycle):
        for indicator, value in (targets or TARGETS).items():
            target_set(
                actor=None, participant=p, indicator=indicator, method="fixed", value=Decimal(value)
            )
