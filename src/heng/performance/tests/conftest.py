"""Fixtures: a small indicator library and a sales scheme on the shared ``world`` tree.

framework F433: result 40 / process 30 / growth 30
framework DIRECT: no category weighting (line weights are final)
indicators SALES (linear), NEWCUST (linear), COMPLAINT (lower_better),
           VISITS (frequency ≥ 4), QUALITY (manual), TRAINING (linear)
scheme SALES-REP for position "sales": SALES 40, NEWCUST 30, COMPLAINT 30 (DIRECT)
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from heng.performance import services
from heng.performance.models import Framework, Indicator, Scheme

INDICATORS = [
    ("SALES", "销售额", "result", "higher", "metric", "linear", {"cap": 120}),
    ("NEWCUST", "新客户获取量", "result", "higher", "metric", "linear", {}),
    ("COMPLAINT", "投诉率", "process", "lower", "metric", "lower_better", {}),
    ("VISITS", "每周拜访次数", "process", "higher", "metric", "frequency", {"minimum": 4}),
    ("QUALITY", "出品质量", "result", "higher", "manual", "manual", {}),
    ("TRAINING", "培训课时", "growth", "higher", "metric", "linear", {}),
]


@pytest.fixture
def library(world: Any) -> dict[str, Indicator]:
    found = {}
    for code, name, category, direction, kind, rule, params in INDICATORS:
        found[code] = services.indicator_create(
            actor=None,
            code=code,
            name=name,
            category=category,
            direction=direction,
            value_kind=kind,
            source_metric=f"m.{code.lower()}" if kind == "metric" else "",
            rule=rule,
            params=params,
        )
    return found


@pytest.fixture
def frameworks(world: Any) -> dict[str, Framework]:
    return {
        "F433": services.framework_create(
            actor=None,
            code="F433",
            name="统一框架",
            weight_result=Decimal(40),
            weight_process=Decimal(30),
            weight_growth=Decimal(30),
        ),
        "DIRECT": services.framework_create(
            actor=None, code="DIRECT", name="直接权重", category_weighting=False
        ),
    }


@pytest.fixture
def sales_scheme(
    world: Any, library: dict[str, Indicator], frameworks: dict[str, Framework]
) -> Scheme:
    from heng.org.models import Position

    scheme = services.scheme_create(
        actor=None,
        code="SALES-REP",
        name="销售代表方案",
        framework=frameworks["DIRECT"],
        applies_to=[(None, Position.objects.get(code="sales"))],
    )
    for code, weight in (("SALES", 40), ("NEWCUST", 30), ("COMPLAINT", 30)):
        services.scheme_line_add(
            actor=None, scheme=scheme, indicator=library[code], weight=Decimal(weight)
        )
    return scheme
