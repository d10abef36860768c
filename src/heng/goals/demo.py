"""Demo for seed 001: the operations department's strategy → OKR → KPI cascade, live.

    年营收增长40% (strategy, 衡美控股集团 HM)
    └── 提升用户忠诚度 (objective, 总部运营部 HQ-OPS)
        ├── KR1 复购率 20% → 30%   measured from the operations platform (ops.repurchase)
        │   ├── KPI 老用户复购率（用户运营）≥ 25 % / month → position 用户运营 (user_ops)
        │   └── KPI 活动复购率（活动运营）≥ 25 % / month   → position 活动运营 (event_ops)
        └── KR2 满意度 4.0 → 4.5 (of 5), updated by hand (last survey 4.3)
            └── KPI 用户投诉率 ≤ 2 %                         → position 客服专员 (cs_agent)

The repurchase-rate KPIs are rates, judged as a level (the month's rate so far against the
monthly target, not pro-rated). Two demo sources (运营数据平台 ``ops``, 客服质检 ``cs``)
deliver daily facts for the HQ-OPS people through the normal ingestion service. The first
user-operations employee's repurchase rate runs at about 15 % — 60 % of the monthly 25 %,
under the 70 % line — and he gets the login ``ops_user``; the pace check then alerts him
exactly once (in his inbox) and his manager ``ops_head``, whose DingTalk robot is configured
from ``HENG_DEMO_DINGTALK_URL`` / ``HENG_DEMO_DINGTALK_SECRET`` (blank by default: no network
in the demo, so the delivery is skipped with a logged reason). Running the demo again adds
nothing; a demo database built before the repurchase KPIs gets them (and its former
orders-per-user KPI archived).
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from heng.accounts.models import User
from heng.accounts.services import user_create
from heng.goals.alerts import announce_alerts
from heng.goals.checks import pace_check
from heng.goals.evaluation import default_as_of
from heng.goals.models import Goal, GoalKind, GoalStatus
from heng.goals.services import (
    goal_archive,
    goal_create,
    progress_note_post,
    recognition_grant,
)
from heng.integrations.files import table_from_records
from heng.integrations.models import Batch, BatchVia, Source
from heng.integrations.services import batch_ingest, metric_create, source_create
from heng.notifications.models import ChannelSetting
from heng.notifications.services import channel_setting_save
from heng.org.models import OrgUnit, Position
from heng.people.models import Employee, EmploymentStatus
from heng.performance.models import Indicator
from heng.performance.services import indicator_create

Progress = Callable[[str], None]
STRATEGY = "年营收增长40%"
OPERATOR_LOGIN = "ops_user"
# (code, name, name_en, kind, metrics: (code, name, unit, type, aggregation, min, max))
SOURCES: list[tuple[str, str, str, str, list[tuple[Any, ...]]]] = [
    (
        "ops",
        "运营数据平台",
        "Operations platform",
        "crm",
        [
            ("orders_per_user", "老用户人均下单次数(日)", "次", "decimal", "sum", 0, None),
            ("repurchase", "复购率", "%", "percent", "mean", 0, 100),
            ("referral_users", "裂变新增用户", "人", "integer", "sum", 0, None),
        ],
    ),
    (
        "cs",
        "客服质检平台",
        "Service quality platform",
        "service",
        [
            ("complaint_rate", "投诉率", "%", "percent", "mean", 0, 100),
        ],
    ),
]
INDICATORS = {
    "repurchase_rate": ("复购率（KR1）", "higher", "%", "ops.repurchase"),
    "complaint_rate": ("用户投诉率", "lower", "%", "cs.complaint_rate"),
}
# KR1's KPIs: (title, position, monthly target %), each on the repurchase-rate indicator.
REPURCHASE_KPIS = [
    ("老用户复购率（用户运营）", "user_ops", 25.0),
    ("活动复购率（活动运营）", "event_ops", 25.0),
]
FORMER_KPI = "老用户月均下单次数"  # KR1's KPI in demo databases built before


def _sources() -> dict[str, Source]:
    out = {}
    for code, name, name_en, kind, metrics in SOURCES:
        source = Source.objects.filter(code=code).first()
        if source is None:
            source = source_create(
                code=code,
                name=name,
                name_en=name_en,
                kind=kind,
                natural_key=["date", "employee_no"],
            )
            for m_code, m_name, unit, vtype, agg, low, high in metrics:
                metric_create(
                    source=source,
                    code=m_code,
                    name=m_name,
                    unit=unit,
                    value_type=vtype,
                    aggregation=agg,
                    min_value=low,
                    max_value=high,
                )
        out[code] = source
    return out


def _indicators() -> dict[str, Indicator]:
    """The library's indicators of seed 001 (the performance demo defines them; made here if
    that demo was not loaded)."""
    out = {}
    for code, (name, direction, unit, metric) in INDICATORS.items():
        found = Indicator.objects.filter(code=code).first()
        out[code] = found or indicator_create(
            actor=None,
            code=code,
            name=name,
            category="result",
            direction=direction,
            value_kind="metric",
            source_metric=metric,
            unit=unit,
            rule="lower_better" if direction == "lower" else "linear",
        )
    return out


def _facts(
    sources: dict[str, Source],
    operators: list[Employee],
    agents: list[Employee],
    as_of: dt.date,
    rng: random.Random,
) -> int:
    """Daily facts from the first of last month to ``as_of``. ``operators`` (user and event
    operations): the first at a repurchase rate of about 15 % and half the orders pace of 1.5
    per returning user, everyone else at 24–28 % and comfortably on pace."""
    first = (as_of.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    days = [first + dt.timedelta(days=i) for i in range((as_of - first).days + 1)]
    ops_rows, cs_rows = [], []
    for day in days:
        for index, person in enumerate(operators):
            pace = 1.5 / 30
            lagging = index == 0
            ops_rows.append(
                {
                    "employee_no": person.employee_no,
                    "date": day.isoformat(),
                    "orders_per_user": round(pace * (0.5 if lagging else 1.15), 4),
                    "repurchase": round(rng.uniform(14, 16) if lagging else rng.uniform(24, 28), 1),
                    "referral_users": rng.randint(10, 25),
                }
            )
        for person in agents:
            cs_rows.append(
                {
                    "employee_no": person.employee_no,
                    "date": day.isoformat(),
                    "complaint_rate": round(rng.uniform(1.2, 1.8), 2),
                }
            )
    made = 0
    for code, rows in (("ops", ops_rows), ("cs", cs_rows)):
        key = f"demo:goals:{code}:{first:%Y-%m}:{as_of.isoformat()}"
        if not rows or Batch.objects.filter(source=sources[code], idempotency_key=key).exists():
            continue
        outcome = batch_ingest(
            source=sources[code],
            table=table_from_records(rows),
            via=BatchVia.DEMO,
            actor=None,
            idempotency_key=key,
        )
        made += outcome.batch.facts
    return made


def _node(actor: User, parent: Goal | None, kind: str, title: str, **fields: Any) -> Goal:
    """The goal titled so under ``parent``, made if missing (the demo runs again safely)."""
    found = Goal.objects.filter(parent=parent, kind=kind, title=title).first()
    return found or goal_create(actor=actor, kind=kind, parent=parent, title=title, **fields)


def _cascade(
    hr: User, indicators: dict[str, Indicator], positions: dict[str, Position], year: int
) -> Goal:
    company = OrgUnit.objects.get(code="HM")
    ops = OrgUnit.objects.get(code="HQ-OPS")
    dates: dict[str, Any] = {"start_date": dt.date(year, 1, 1), "end_date": dt.date(year, 12, 31)}
    strategy = _node(
        hr,
        None,
        GoalKind.STRATEGY,
        STRATEGY,
        unit=company,
        description="公司年度战略目标（种子案例001）",
        **dates,
    )
    objective = _node(hr, strategy, GoalKind.OBJECTIVE, "提升用户忠诚度", unit=ops, **dates)
    kr1 = _node(
        hr,
        objective,
        GoalKind.KEY_RESULT,
        "KR1 复购率从20%提升至30%",
        unit=ops,
        start_value=20,
        target_value=30,
        measure_unit="%",
        indicator=indicators["repurchase_rate"],
        **dates,
    )
    kr2_title = "KR2 用户满意度达4.5/5"
    kr2_new = not Goal.objects.filter(parent=objective, title=kr2_title).exists()
    kr2 = _node(
        hr,
        objective,
        GoalKind.KEY_RESULT,
        kr2_title,
        unit=ops,
        start_value=4.0,
        target_value=4.5,
        measure_unit="分",
        **dates,
    )
    for title, position, target in REPURCHASE_KPIS:
        if position not in positions:
            continue
        _node(
            hr,
            kr1,
            GoalKind.KPI,
            title,
            unit=ops,
            indicator=indicators["repurchase_rate"],
            target_value=target,
            position=positions[position],
            cadence="month",
            pace_mode="level",
            reward_points=10,
            **dates,
        )
    for former in Goal.objects.filter(parent=kr1, kind=GoalKind.KPI, title=FORMER_KPI).exclude(
        status=GoalStatus.ARCHIVED
    ):
        goal_archive(actor=hr, goal=former)
    _node(
        hr,
        kr2,
        GoalKind.KPI,
        "用户投诉率",
        unit=ops,
        indicator=indicators["complaint_rate"],
        target_value=2,
        position=positions["cs_agent"],
        cadence="month",
        pace_mode="level",
        **dates,
    )
    if kr2_new:
        progress_note_post(
            actor=hr, goal=kr2, value=4.3, text="季度满意度调研：4.3 分", source="survey"
        )
    return strategy


def build_goals_demo(password: str, progress: Progress = print, /) -> list[tuple[str, str, str]]:
    """Build (once) the cascade, its data, the operator's login and the manager's robot; run
    the pace check. Returns the demo logins it adds as (username, role, what they see)."""
    hr = User.objects.filter(username="hr").first()
    ops_head = User.objects.filter(username="ops_head").first()
    codes = ["user_ops", "event_ops", "cs_agent"]
    positions = {p.code: p for p in Position.objects.filter(code__in=codes)}
    if hr is None or ops_head is None or not {"user_ops", "cs_agent"} <= set(positions):
        progress("goals: demo company incomplete, skipped")
        return []
    staff = Employee.objects.filter(unit__code="HQ-OPS", status=EmploymentStatus.ACTIVE)
    operators = list(staff.filter(position=positions["user_ops"]).order_by("employee_no"))
    # event operations drive repurchase through campaigns: they hold a repurchase KPI too
    events = list(staff.filter(position__code="event_ops").order_by("employee_no"))
    agents = list(staff.filter(position=positions["cs_agent"]).order_by("employee_no"))
    as_of = default_as_of()
    facts = _facts(_sources(), operators + events, agents, as_of, random.Random(1))
    _cascade(hr, _indicators(), positions, as_of.year)
    logins = []
    if operators and not User.objects.filter(username=OPERATOR_LOGIN).exists():
        user_create(
            username=OPERATOR_LOGIN, password=password, employee=operators[0], check_password=False
        )
    if operators:
        logins.append((OPERATOR_LOGIN, "employee", "用户运营（复购率落后于月度进度）/ behind pace"))
    if not ChannelSetting.objects.filter(user=ops_head, channel="dingtalk").exists():
        channel_setting_save(
            user=ops_head,
            channel="dingtalk",
            enabled=True,
            webhook_url=os.environ.get("HENG_DEMO_DINGTALK_URL", ""),
            secret=os.environ.get("HENG_DEMO_DINGTALK_SECRET", ""),
        )
    if len(operators) > 1 and not operators[1].recognitions.exists():
        recognition_grant(
            actor=ops_head, employee=operators[1], points=20, message="裂变活动新增用户500人"
        )
    run = pace_check(as_of=as_of, trigger="demo", now=timezone.now())
    announce_alerts()  # at once: the demo's worker may not be running yet
    progress(
        f"goals: cascade {STRATEGY} → 提升用户忠诚度 → 复购率 KPIs; {facts} new facts; "
        f"pace check as of {as_of}: {run.rows} checked, {run.fired} new alert(s)"
    )
    return logins
