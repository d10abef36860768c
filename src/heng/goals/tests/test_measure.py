"""Key results measured from their indicator: set-based, the same figures as one query per
key result gave, in a handful of queries however many key results there are."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from heng.goals.evaluation import indicator_formula
from heng.goals.models import Goal, GoalKind, GoalStatus
from heng.goals.rollup import measure_key_results
from heng.goals.tests.conftest import MID_MARCH, Cascade
from heng.integrations.selectors import metric_values
from heng.org.models import OrgUnit
from heng.people.models import Employee, EmploymentStatus
from heng.performance.models import Indicator

pytestmark = pytest.mark.django_db


def one_by_one(as_of: dt.date) -> dict[int, float]:
    """The former implementation (three queries per key result), kept as the reference."""
    found: dict[int, float] = {}
    for kr in Goal.objects.filter(
        kind=GoalKind.KEY_RESULT,
        status=GoalStatus.ACTIVE,
        indicator__isnull=False,
        start_date__lte=as_of,
    ).select_related("indicator", "unit"):
        assert kr.indicator is not None
        text = indicator_formula(
            kr.indicator.value_kind, kr.indicator.source_metric, kr.indicator.formula
        )
        if not text:
            continue
        units = OrgUnit.objects.filter(path__startswith=kr.unit.path).values("pk")
        people = list(
            Employee.objects.filter(status=EmploymentStatus.ACTIVE, unit_id__in=units).values_list(
                "pk", flat=True
            )
        )
        if not people:
            continue
        values = metric_values(
            formulas={"kr": text},
            period_start=kr.start_date,
            period_end=min(kr.end_date, as_of),
            employee_ids=people,
        )["value"].drop_nulls()
        if values.len():
            found[kr.pk] = float(values.sum() if kr.aggregate == "sum" else values.mean())  # type: ignore[arg-type]
    return found


@pytest.fixture
def many_krs(cascade: Cascade, march: None, world: Any) -> list[Goal]:
    """50 measured key results over units at every level, three periods, sum and mean, a bare
    metric and a formula, plus one in a unit without data and one archived."""
    from heng.performance.services import indicator_create

    ratio = indicator_create(
        actor=None,
        code="orders_x_complaints",
        name="订单×投诉",
        category="result",
        direction="higher",
        value_kind="formula",
        formula="sum(crm.orders) / count(crm.orders)",
        rule="linear",
    )
    indicators = [
        Indicator.objects.get(code="monthly_orders"),
        Indicator.objects.get(code="complaint_rate"),
        ratio,
    ]
    units = world.units
    places = ["C", "RS", "BGZ", "SGZ", "SFS", "RN", "SBJ", "K", "P"]
    starts = [dt.date(2026, 1, 1), dt.date(2026, 3, 1), dt.date(2026, 3, 10)]
    krs = [
        Goal(
            kind=GoalKind.KEY_RESULT,
            parent=cascade.objective,
            unit=units[places[i % len(places)]],
            title=f"KR {i}",
            start_date=starts[i % 3],
            end_date=dt.date(2026, 12, 31),
            start_value=0,
            target_value=100,
            indicator=indicators[i % 3],
            aggregate="sum" if i % 2 else "mean",
            status=GoalStatus.ARCHIVED if i == 49 else GoalStatus.ACTIVE,
        )
        for i in range(50)
    ]
    return Goal.objects.bulk_create(krs)


def test_same_values_as_one_query_per_key_result(many_krs: list[Goal]) -> None:
    expected = one_by_one(MID_MARCH)
    found = measure_key_results(as_of=MID_MARCH)
    assert set(found) == set(expected)
    assert len(found) > 20  # most have data; K, P and the archived one do not count
    for goal_id, value in expected.items():
        assert found[goal_id] == pytest.approx(value, rel=1e-12), goal_id
    # by hand: a branch KR summing orders from 1 March: gz1 90 + gz2 150 + fs1 135 (1–15 March)
    branch = Goal.objects.create(
        kind=GoalKind.KEY_RESULT,
        parent=many_krs[0].parent,
        unit=OrgUnit.objects.get(code="BGZ"),
        title="分公司订单",
        start_date=dt.date(2026, 3, 1),
        end_date=dt.date(2026, 3, 31),
        start_value=0,
        target_value=1000,
        indicator=Indicator.objects.get(code="monthly_orders"),
        aggregate="sum",
    )
    assert measure_key_results(as_of=MID_MARCH)[branch.pk] == 90 + 150 + 135


def test_fifty_key_results_take_a_handful_of_queries(
    many_krs: list[Goal], django_assert_max_num_queries: Any
) -> None:
    # key results, their people, then per period (three here) the metric catalogue and one
    # grouped read of the facts
    with django_assert_max_num_queries(2 + 3 * 3):
        found = measure_key_results(as_of=MID_MARCH)
    assert len(found) > 20


def test_nothing_measured_costs_one_query(
    cascade: Cascade, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(1):
        assert measure_key_results(as_of=MID_MARCH) == {}
