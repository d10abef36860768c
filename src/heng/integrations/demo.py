"""Demo data for the integrations app: six sources and a year of daily facts.

Everything goes through :func:`batch_ingest` — the same cleaning and commit as a push — one
batch per source and month with a fixed idempotency key (``demo:<source>:<YYYY-MM>``), so
running the demo again writes nothing. Each month carries deliberate dirt: repeated rows, test
records and a few bad rows, so the duplicate, test and quarantine counts show on every page.

Numbers follow the seed cases: Douyin plays depend on the region's market (south ≈ 100k a
week, north ≈ 25k, west ≈ 50k), conversion rises with revisions and replies, couriers' damage
and on-time rates, customer-service satisfaction on a 1–5 scale, monthly regional benchmarks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from django.utils import timezone

from heng.integrations.files import ROW, Table
from heng.integrations.models import Batch, BatchVia, Connector, Source
from heng.integrations.services import (
    batch_ingest,
    connector_create,
    metric_create,
    source_create,
)
from heng.org.models import OrgUnit
from heng.people.models import Employee

Progress = Callable[[str], None]
MAX_PEOPLE_PER_SOURCE = 1500  # keeps `heng demo --employees 100000` quick; all at 400

# code, name, name_en, kind, subject, natural key, extra fields, test rule, metrics
# metric: (code, name, name_en, unit, type, aggregation, min, max)
SOURCES: list[tuple[Any, ...]] = [
    (
        "douyin",
        "抖音后台",
        "Douyin back office",
        "douyin",
        "employee",
        ["date", "employee_no"],
        ["account"],
        {"account_field": "account", "accounts": ["测试号", "test_account"]},
        [
            ("plays", "播放量", "Plays", "次", "integer", "sum", 0, None),
            ("views", "浏览量", "Views", "次", "integer", "sum", 0, None),
            ("orders", "成交订单", "Orders", "单", "integer", "sum", 0, None),
            (
                "female_conversion",
                "女性用户转化率",
                "Female-user conversion",
                "%",
                "percent",
                "mean",
                0,
                100,
            ),
            (
                "male_retention",
                "男性用户留存率",
                "Male-user retention",
                "%",
                "percent",
                "mean",
                0,
                100,
            ),
            (
                "homemaker_interaction",
                "家庭主妇互动数",
                "Home-maker interactions",
                "次",
                "integer",
                "sum",
                0,
                None,
            ),
            ("discount_reposts", "折扣转发数", "Discount reposts", "次", "integer", "sum", 0, None),
            ("videos", "发布视频数", "Videos posted", "条", "integer", "sum", 0, None),
            ("revisions", "视频修改次数", "Revisions", "次", "integer", "sum", 0, None),
            ("comments", "评论数", "Comments", "条", "integer", "sum", 0, None),
            (
                "replies_within_1h",
                "1小时内回复数",
                "Replies within 1 hour",
                "条",
                "integer",
                "sum",
                0,
                None,
            ),
            ("followers", "粉丝数", "Followers", "人", "integer", "last", 0, None),
        ],
    ),
    (
        "sales_erp",
        "销售ERP",
        "Sales ERP",
        "sales",
        "employee",
        ["date", "employee_no"],
        ["is_test"],
        {"flag_field": "is_test"},
        [
            ("revenue", "销售额", "Revenue", "元", "decimal", "sum", 0, None),
            ("orders", "订单数", "Orders", "单", "integer", "sum", 0, None),
            ("gross_margin", "毛利", "Gross margin", "元", "decimal", "sum", None, None),
            ("new_customers", "新客户数", "New customers", "个", "integer", "sum", 0, None),
            ("receivables", "应收额", "Receivables", "元", "decimal", "sum", 0, None),
            ("collections", "回款额", "Collections", "元", "decimal", "sum", 0, None),
        ],
    ),
    (
        "logistics",
        "物流系统",
        "Logistics system",
        "logistics",
        "employee",
        ["date", "employee_no"],
        [],
        {},
        [
            ("shipped", "发货件数", "Parcels shipped", "件", "integer", "sum", 0, None),
            ("on_time", "准时送达件数", "Delivered on time", "件", "integer", "sum", 0, None),
            ("damaged", "破损件数", "Parcels damaged", "件", "integer", "sum", 0, None),
            ("delivery_cost", "配送成本", "Delivery cost", "元", "decimal", "sum", 0, None),
            ("complaints", "投诉数", "Complaints", "次", "integer", "sum", 0, None),
        ],
    ),
    (
        "customer_service",
        "客服系统",
        "Customer-service system",
        "service",
        "employee",
        ["date", "employee_no"],
        [],
        {},
        [
            ("tickets", "工单数", "Tickets", "单", "integer", "sum", 0, None),
            ("resolved", "解决数", "Resolved", "单", "integer", "sum", 0, None),
            ("satisfaction", "满意度", "Satisfaction", "分", "decimal", "mean", 1, 5),
            (
                "response_minutes",
                "平均响应时长",
                "Response time",
                "分钟",
                "decimal",
                "mean",
                0,
                None,
            ),
            (
                "handling_minutes",
                "平均处理时长",
                "Handling time",
                "分钟",
                "decimal",
                "mean",
                0,
                None,
            ),
            (
                "repeat_complaints",
                "重复投诉数",
                "Repeat complaints",
                "次",
                "integer",
                "sum",
                0,
                None,
            ),
        ],
    ),
    (
        "attendance",
        "考勤与培训",
        "Attendance and training",
        "hr",
        "employee",
        ["date", "employee_no"],
        [],
        {},
        [
            ("late", "迟到次数", "Late arrivals", "次", "integer", "sum", 0, 1),
            ("absent", "缺勤天数", "Days absent", "天", "integer", "sum", 0, 1),
            ("training_hours", "培训时长", "Training hours", "小时", "decimal", "sum", 0, 24),
        ],
    ),
    (
        "benchmarks",
        "行业与区域基准",
        "Industry and regional benchmarks",
        "external",
        "unit",
        ["date", "unit_code"],
        [],
        {},
        [
            (
                "plays_benchmark",
                "播放量基准(周)",
                "Weekly plays benchmark",
                "次",
                "decimal",
                "mean",
                0,
                None,
            ),
            (
                "conversion_benchmark",
                "转化率基准",
                "Conversion benchmark",
                "%",
                "percent",
                "mean",
                0,
                100,
            ),
            (
                "ticket_benchmark",
                "客单价基准",
                "Average-ticket benchmark",
                "元",
                "decimal",
                "mean",
                0,
                None,
            ),
        ],
    ),
]
POSITIONS = {
    "douyin": ["douyin_ops"],
    "sales_erp": ["store_sales", "sales_rep"],
    "logistics": ["courier"],
    "customer_service": ["cs_agent"],
    "attendance": ["store_sales", "store_manager", "chef", "courier", "cs_agent", "douyin_ops"],
}
WEEKLY_PLAYS = {"south": 100_000, "north": 25_000, "west": 50_000}


def _sources() -> dict[str, Source]:
    found: dict[str, Source] = {}
    for code, name, name_en, kind, subject, key, extra, rule, metrics in SOURCES:
        source = Source.objects.filter(code=code).first()
        if source is None:
            source = source_create(
                code=code,
                name=name,
                name_en=name_en,
                kind=kind,
                subject_kind=subject,
                natural_key=key,
                extra_fields=extra,
                test_rule=rule,
            )
            for m_code, m_name, m_en, unit, vtype, agg, low, high in metrics:
                metric_create(
                    source=source,
                    code=m_code,
                    name=m_name,
                    name_en=m_en,
                    unit=unit,
                    value_type=vtype,
                    aggregation=agg,
                    min_value=low,
                    max_value=high,
                )
        found[code] = source
    return found


def _connectors(sources: dict[str, Source]) -> None:
    """Configured like the seed case (Douyin daily 02:00, sales weekly Monday 03:00) but off:
    the demo has no Douyin server. Point them at a real endpoint and switch them on."""
    plans = [
        (
            "douyin",
            "抖音后台日报 (示例)",
            "http://127.0.0.1:8765/douyin/daily",
            "0 2 * * *",
            1,
            {
                "employee_no": "author.no",
                "date": "day",
                "plays": "stat.play",
                "views": "stat.view",
                "orders": "stat.order",
            },
        ),
        (
            "sales_erp",
            "ERP 周报 (示例)",
            "http://127.0.0.1:8765/erp/weekly",
            "0 3 * * 1",
            7,
            {
                "employee_no": "staff_no",
                "date": "biz_date",
                "revenue": "amount",
                "orders": "order_count",
            },
        ),
    ]
    for code, name, url, schedule, days, field_map in plans:
        if not Connector.objects.filter(source=sources[code], name=name).exists():
            connector_create(
                source=sources[code],
                name=name,
                url=url,
                schedule=schedule,
                window_days=days,
                field_map=field_map,
                records_path="data.list",
                params={"start": "{start}", "end": "{end}"},
                pagination="page",
                page_size=200,
                enabled=False,
            )


@dataclass
class _People:
    numbers: list[str]
    markets: list[str]


def _people(positions: list[str], markets: dict[int, str]) -> _People:
    rows = list(
        Employee.objects.filter(position__code__in=positions)
        .order_by("employee_no")
        .values_list("employee_no", "unit_id", "working_unit_id")[:MAX_PEOPLE_PER_SOURCE]
    )
    return _People([r[0] for r in rows], [markets.get(r[2] or r[1], "west") for r in rows])


def _markets() -> dict[int, str]:
    markets: dict[int, str] = {}
    for region in OrgUnit.objects.filter(market_profile__has_key="market"):
        for unit_id in OrgUnit.objects.filter(path__startswith=region.path).values_list(
            "pk", flat=True
        ):
            markets[unit_id] = str(region.market_profile["market"])
    return markets


def _grid(
    people: _People, days: list[dt.date], rng: np.random.Generator, density: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices (person, day) of the rows: every pair, or a random share of them."""
    person = np.repeat(np.arange(len(people.numbers)), len(days))
    day = np.tile(np.arange(len(days)), len(people.numbers))
    if density < 1:
        keep = rng.random(person.size) < density
        person, day = person[keep], day[keep]
    market = np.array(people.markets, dtype=object)[person] if person.size else np.array([])
    return person, day, market


def _frame(
    people: _People,
    days: list[dt.date],
    person: np.ndarray,
    day: np.ndarray,
    columns: dict[str, Any],
    subject: str = "employee_no",
) -> pl.DataFrame:
    base = {
        subject: np.array(people.numbers, dtype=object)[person].tolist(),
        "date": [days[i].isoformat() for i in day],
    }
    return pl.DataFrame({**base, **{k: np.asarray(v).tolist() for k, v in columns.items()}})


def _douyin(people: _People, days: list[dt.date], rng: np.random.Generator) -> pl.DataFrame:
    person, day, market = _grid(people, days, rng)
    n = person.size
    weekly = np.array([WEEKLY_PLAYS.get(m, 50_000) for m in market])
    skill = rng.normal(1.0, 0.2, len(people.numbers)).clip(0.5, 1.6)[person]
    videos = rng.poisson(0.75 * skill)
    revisions = rng.poisson(0.08 * skill * 3)
    plays = (weekly / 7 * skill * rng.lognormal(0, 0.35, n) * (0.6 + 0.4 * (videos > 0))).round()
    views = (plays * rng.uniform(0.25, 0.35, n)).round()
    conversion = (0.012 + 0.004 * revisions + 0.004 * (skill - 1)).clip(0.002, 0.05)
    orders = rng.binomial(views.astype(int), conversion)
    comments = (plays / 400 * rng.uniform(0.7, 1.3, n)).round()
    replies = (comments * rng.uniform(0.55, 0.98, n) * skill.clip(0, 1)).round()
    growth = np.maximum(0, (plays / 200 * rng.uniform(0.5, 1.5, n)).round())
    start = (rng.uniform(2_000, 20_000, len(people.numbers)))[person]
    frame = _frame(
        people,
        days,
        person,
        day,
        {
            "plays": plays.astype(int),
            "views": views.astype(int),
            "orders": orders,
            "female_conversion": np.where(
                market == "south", rng.normal(3.2, 0.5, n), rng.normal(2.0, 0.4, n)
            )
            .clip(0.1, 20)
            .round(2),
            "male_retention": np.where(
                market == "north", rng.normal(42, 6, n), rng.normal(30, 5, n)
            )
            .clip(1, 99)
            .round(1),
            "homemaker_interaction": np.where(
                market == "west", rng.poisson(60, n), rng.poisson(15, n)
            ),
            "discount_reposts": np.where(market == "west", rng.poisson(12, n), rng.poisson(3, n)),
            "videos": videos,
            "revisions": revisions,
            "comments": comments.astype(int),
            "replies_within_1h": replies.astype(int),
            "growth": growth,
            "start": start.round(),
        },
    )
    # Followers only ever grow: a running total per operator, reported as "last".
    return frame.with_columns(
        (pl.col("growth").cum_sum().over("employee_no") + pl.col("start"))
        .cast(pl.Int64)
        .alias("followers"),
        pl.lit(None, pl.Utf8).alias("account"),
    ).drop("growth", "start")


def _sales(people: _People, days: list[dt.date], rng: np.random.Generator) -> pl.DataFrame:
    weekday = np.array([d.weekday() for d in days])
    person, day, _market = _grid(people, days, rng, density=0.85)
    n = person.size
    skill = rng.normal(1.0, 0.25, len(people.numbers)).clip(0.4, 1.8)[person]
    peak = np.where(np.isin([days[i].month for i in day], [6, 11, 12]), 1.35, 1.0)
    orders = rng.poisson(6 * skill * peak * np.where(weekday[day] >= 5, 1.4, 1.0))
    revenue = (orders * rng.normal(320, 60, n).clip(80)).round(2)
    receivables = revenue
    collections = (receivables * rng.uniform(0.8, 1.0, n)).round(2)
    return _frame(
        people,
        days,
        person,
        day,
        {
            "revenue": revenue,
            "orders": orders,
            "gross_margin": (revenue * rng.normal(0.32, 0.05, n)).round(2),
            "new_customers": rng.binomial(orders, 0.3),
            "receivables": receivables,
            "collections": collections,
            "is_test": np.zeros(n, dtype=int),
        },
    )


def _logistics(people: _People, days: list[dt.date], rng: np.random.Generator) -> pl.DataFrame:
    person, day, _market = _grid(people, days, rng, density=0.9)
    n = person.size
    care = rng.normal(1.0, 0.3, len(people.numbers)).clip(0.3, 2)[person]
    shipped = rng.poisson(45, n)
    return _frame(
        people,
        days,
        person,
        day,
        {
            "shipped": shipped,
            "on_time": rng.binomial(shipped, (0.9 + 0.04 * care).clip(0, 0.99)),
            "damaged": rng.binomial(shipped, (0.02 / care).clip(0.001, 0.1)),
            "delivery_cost": (shipped * rng.normal(6.5, 0.8, n).clip(3)).round(2),
            "complaints": rng.poisson(0.15 / care, n),
        },
    )


def _service(people: _People, days: list[dt.date], rng: np.random.Generator) -> pl.DataFrame:
    person, day, _market = _grid(people, days, rng, density=0.9)
    n = person.size
    tickets = rng.poisson(38, n)
    return _frame(
        people,
        days,
        person,
        day,
        {
            "tickets": tickets,
            "resolved": rng.binomial(tickets, 0.86),
            "satisfaction": rng.normal(4.4, 0.3, n).clip(1, 5).round(2),
            "response_minutes": rng.gamma(4, 0.6, n).round(1),
            "handling_minutes": rng.gamma(6, 1.5, n).round(1),
            "repeat_complaints": rng.poisson(0.3, n),
        },
    )


def _attendance(people: _People, days: list[dt.date], rng: np.random.Generator) -> pl.DataFrame:
    # Only the days something happened (late, absent or training): a sparse log.
    person, day, _market = _grid(people, days, rng, density=0.08)
    n = person.size
    kind = rng.integers(0, 3, n)
    return _frame(
        people,
        days,
        person,
        day,
        {
            "late": (kind == 0).astype(int),
            "absent": (kind == 1).astype(int),
            "training_hours": np.where(kind == 2, rng.choice([1.0, 2.0, 3.5], n), 0.0),
        },
    )


def _benchmarks(days: list[dt.date], rng: np.random.Generator) -> pl.DataFrame:
    regions = list(OrgUnit.objects.filter(market_profile__has_key="market").order_by("code"))
    firsts = [d for d in days if d.day == 1]
    rows = []
    for region in regions:
        market = str(region.market_profile["market"])
        for first in firsts:
            rows.append(
                {
                    "unit_code": region.code,
                    "date": first.isoformat(),
                    "plays_benchmark": round(WEEKLY_PLAYS[market] * rng.uniform(0.9, 1.1)),
                    "conversion_benchmark": round(1.5 * rng.uniform(0.8, 1.2), 2),
                    "ticket_benchmark": round(320 * rng.uniform(0.85, 1.15), 2),
                }
            )
    return pl.DataFrame(rows)


def _dirt(frame: pl.DataFrame, code: str, rng: np.random.Generator, month: str) -> pl.DataFrame:
    """Two repeated rows, test records and a couple of bad rows: what real exports contain."""
    if frame.height < 5 or code == "benchmarks":
        return frame
    picks = rng.choice(frame.height, size=4, replace=False)
    dupes = frame[picks[:2].tolist()]
    bad = frame[picks[2:3].tolist()]
    metric = next(
        c for c in frame.columns if c not in ("employee_no", "date", "account", "is_test")
    )
    extra = [
        dupes,
        bad.with_columns(pl.lit("N/A").alias(metric)),
        bad.with_columns(pl.lit("E999999").alias("employee_no")),
    ]
    if code == "douyin":
        extra.append(frame[picks[3:4].tolist()].with_columns(pl.lit("测试号").alias("account")))
    if code == "sales_erp":
        extra.append(frame[picks[3:4].tolist()].with_columns(pl.lit("1").alias("is_test")))
        extra.append(bad.with_columns(pl.lit(f"{int(month[:4]) + 30}{month[4:]}-01").alias("date")))
    text = [f.select(pl.all().cast(pl.Utf8)) for f in (frame, *extra)]
    return pl.concat(text, how="vertical")


def ingest_demo_data(*, seed: int = 2026, progress: Progress = print) -> None:
    """Create the demo sources and ingest ~a year of daily facts (idempotent)."""
    sources = _sources()
    _connectors(sources)
    today = timezone.localdate()
    end = today - dt.timedelta(days=1)
    start = (end.replace(day=1) - dt.timedelta(days=365)).replace(day=1)
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    months = sorted({d.strftime("%Y-%m") for d in days})
    markets = _markets()
    builders: dict[str, Callable[[_People, list[dt.date], np.random.Generator], pl.DataFrame]] = {
        "douyin": _douyin,
        "sales_erp": _sales,
        "logistics": _logistics,
        "customer_service": _service,
        "attendance": _attendance,
    }
    for index, (code, source) in enumerate(sources.items()):
        keys = {f"demo:{code}:{m}" for m in months}
        done = set(
            Batch.objects.filter(source=source, idempotency_key__in=keys).values_list(
                "idempotency_key", flat=True
            )
        )
        if done == keys:
            continue
        rng = np.random.default_rng(seed + index)
        if code == "benchmarks":
            frame = _benchmarks(days, rng)
        else:
            people = _people(POSITIONS[code], markets)
            if not people.numbers:
                continue
            frame = builders[code](people, days, rng)
        frame = frame.with_columns(pl.col("date").str.slice(0, 7).alias("_month"))
        facts = 0
        for month in months:
            key = f"demo:{code}:{month}"
            part = frame.filter(pl.col("_month") == month).drop("_month")
            if key in done or part.is_empty():
                continue
            part = _dirt(part, code, rng, month)
            part = (
                part.select(pl.all().cast(pl.Utf8))
                .with_row_index(ROW, offset=1)
                .with_columns(pl.col(ROW).cast(pl.Int64))
            )
            table = Table(
                frame=part, columns=[c for c in part.columns if c != ROW], encoding="demo"
            )
            outcome = batch_ingest(
                source=source,
                table=table,
                via=BatchVia.DEMO,
                actor=None,
                idempotency_key=key,
                filename=f"{code}-{month}.csv",
            )
            facts += outcome.batch.facts
        progress(f"data: {source.name} — {facts:,} values in {len(months)} monthly batches")
