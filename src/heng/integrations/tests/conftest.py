"""Fixtures: a wide Douyin-like source, a long-format ERP source and a unit-level benchmark
source, on top of the shared ``world`` (people T001–T007)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from heng.integrations.models import Source
from heng.integrations.services import metric_create, source_create


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Iterator[None]:
    """These tests check the English wording of messages (the default language is Chinese,
    whose catalog grows independently); a test about the Chinese answer asks for it."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def douyin(world: Any) -> Source:
    """Daily per operator: plays, views, orders, a rate, and the content id for distinct."""
    source = source_create(
        code="douyin",
        name="抖音后台",
        kind="douyin",
        layout="wide",
        natural_key=["date", "employee_no"],
        extra_fields=["account"],
        test_rule={"account_field": "account", "accounts": ["测试号"]},
    )
    metric_create(
        source=source,
        code="plays",
        name="播放量",
        value_type="integer",
        aggregation="sum",
        min_value=0,
    )
    metric_create(
        source=source,
        code="views",
        name="浏览量",
        value_type="integer",
        aggregation="sum",
        min_value=0,
    )
    metric_create(
        source=source,
        code="orders",
        name="订单数",
        value_type="integer",
        aggregation="sum",
        min_value=0,
    )
    metric_create(
        source=source,
        code="rate",
        name="完播率",
        value_type="percent",
        aggregation="mean",
        min_value=0,
        max_value=100,
    )
    metric_create(
        source=source,
        code="followers",
        name="粉丝数",
        value_type="integer",
        aggregation="last",
        min_value=0,
    )
    return source


@pytest.fixture
def erp(world: Any) -> Source:
    """One row per order line (long layout); order_id is the natural key; test orders flagged."""
    source = source_create(
        code="erp",
        name="销售ERP",
        kind="sales",
        layout="long",
        natural_key=["order_id"],
        extra_fields=["order_id", "is_test", "customer"],
        test_rule={"flag_field": "is_test"},
    )
    metric_create(
        source=source,
        code="revenue",
        name="销售额",
        value_type="decimal",
        aggregation="sum",
        min_value=0,
    )
    metric_create(
        source=source, code="customer_id", name="客户", value_type="text", aggregation="distinct"
    )
    return source


@pytest.fixture
def benchmarks(world: Any) -> Source:
    source = source_create(
        code="bench",
        name="行业基准",
        kind="external",
        subject_kind="unit",
        natural_key=["date", "unit_code"],
    )
    metric_create(source=source, code="plays_benchmark", name="播放基准", aggregation="mean")
    return source
