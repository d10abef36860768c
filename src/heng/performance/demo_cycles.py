"""Demo appraisal cycle (issue #5, "done means"): the Douyin operators' monthly cycle.

HR opens the cycle of the last full month for the 12 branches' Douyin operators, sets the
targets (plays: the region's weekly plays benchmark from the ingested benchmark facts × weeks
of the period, falling back to the market profile's ``typical_plays``; the other
benchmark-relative indicators: fixed targets of the market's typical level), a few people
answer the 360 questionnaire, the operators' values come from the ingested Douyin /
attendance facts, the cycle is scored, one result is calibrated with a reason, and the cycle
is published into the ledger. Every step goes through the ordinary services.

Idempotent: once a demo cycle exists nothing is done (also in a later month), and the whole
walk runs in one transaction, so a refusal leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from heng.accounts.models import User
from heng.core.errors import ApplicationError
from heng.integrations.selectors import metric_values
from heng.org.models import OrgUnit
from heng.performance.models import Cycle, Participant, ParticipantStatus, Result
from heng.performance.services.calibration import cycle_publish, result_adjust
from heng.performance.services.cycles import cycle_advance, cycle_create, cycle_open
from heng.performance.services.reviews import (
    invitations_default,
    questionnaire_set,
    review_submit,
)
from heng.performance.services.scoring import cycle_score
from heng.performance.services.targets import TargetRow, participant_comment_set, targets_bulk_set

CODE_PREFIX = "DEMO-DY-"
Q4 = Decimal("0.0001")
# Fixed targets at the market's typical level for the benchmark-relative indicators that
# have no benchmark feed: per period (%) or per day of the period (counts).
FIXED_RATES = {"female_conversion": Decimal("3.0"), "male_retention": Decimal("40")}
FIXED_PER_DAY = {"discount_reposts": Decimal("12")}
PLAYS = ("plays", "checkin_plays")
CRITERIA: list[dict[str, Any]] = [
    {"code": "content", "name": "内容质量", "name_en": "Content quality", "weight": 50},
    {"code": "service", "name": "粉丝服务", "name_en": "Fan service", "weight": 30},
    {"code": "teamwork", "name": "团队协作", "name_en": "Teamwork", "weight": 20},
]


def last_full_month(today: dt.date) -> tuple[dt.date, dt.date]:
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


def _weekly_plays(start: dt.date, end: dt.date) -> dict[str, tuple[Decimal, str]]:
    """Region code → (weekly plays benchmark, where it came from)."""
    regions = list(OrgUnit.objects.filter(market_profile__has_key="market"))
    facts = metric_values(
        formulas={"plays": "mean(benchmarks.plays_benchmark)"},
        period_start=start,
        period_end=end,
        unit_ids=[r.pk for r in regions],
    )
    found = {int(i): v for i, v in facts.select("subject_id", "value").iter_rows() if v}
    out = {}
    for region in regions:
        if region.pk in found:
            out[region.code] = (Decimal(str(found[region.pk])).quantize(Q4), "benchmark facts")
        else:
            typical = region.market_profile.get("typical_plays") or 50_000
            out[region.code] = (Decimal(typical), "market profile typical_plays")
    return out


def _target_rows(cycle: Cycle) -> list[TargetRow]:
    days = Decimal((cycle.period_end - cycle.period_start).days + 1)
    weeks = (days / 7).quantize(Q4)
    plays = _weekly_plays(cycle.period_start, cycle.period_end)
    rows = []
    for p in cycle.participants.filter(status=ParticipantStatus.ACTIVE).order_by("employee_no"):
        for line in p.lines:
            code = line["indicator"]
            if code in PLAYS:
                weekly = plays.get(p.region_code, (Decimal(50_000), ""))[0]
                numbers: dict[str, Decimal | None] = {"benchmark": weekly, "factor": weeks}
                rows.append(TargetRow(p.employee_no, code, "benchmark", numbers))
            elif code in FIXED_RATES:
                rows.append(TargetRow(p.employee_no, code, "fixed", {"value": FIXED_RATES[code]}))
            elif code in FIXED_PER_DAY:
                value = FIXED_PER_DAY[code] * days
                rows.append(TargetRow(p.employee_no, code, "fixed", {"value": value}))
    return rows


def _reviews(cycle: Cycle, people: list[Participant], today: dt.date) -> int:
    questionnaire_set(cycle=cycle, criteria=CRITERIA, scale_max=Decimal(5))
    invitations_default(cycle=cycle)
    answered = 0
    for n, p in enumerate(people):
        for inv in p.invitations.select_related("reviewer"):
            answers: dict[str, Any] = {
                str(c["code"]): str(Decimal(3) + Decimal((n + i) % 3))
                for i, c in enumerate(CRITERIA)
            }
            review_submit(
                reviewer=inv.reviewer,
                participant=p,
                answers=answers,
                comment="内容稳定，回复及时。",
                today=today,
            )
            answered += 1
    return answered


def build_cycle_demo(*, progress: Callable[[str], None] = print) -> Cycle | None:
    """Walk the Douyin operators' monthly cycle to publication (once)."""
    existing = Cycle.objects.filter(code__startswith=CODE_PREFIX).first()
    if existing is not None:
        progress(f"cycles: {existing.code} on file ({existing.get_state_display()})")
        return None
    hr = User.objects.filter(username="hr").first()
    today = timezone.localdate()
    start, end = last_full_month(today)
    try:
        with transaction.atomic():
            cycle = _walk(hr, start, end, today)
    except ApplicationError as exc:
        progress(f"cycles: demo cycle not built: {exc.message}")
        return None
    progress(f"cycles: {cycle.code} published, {cycle.results.count()} results in the ledger")
    return cycle


def _walk(hr: Any, start: dt.date, end: dt.date, today: dt.date) -> Cycle:
    cycle = cycle_create(
        actor=hr,
        code=f"{CODE_PREFIX}{start:%Y%m}",
        name=f"抖音运营月度考核 {start:%Y年%m月}",
        cadence="monthly",
        period_start=start,
        period_end=end,
        unit_codes=["RETAIL"],
        position_codes=["douyin_ops"],
        review_deadline=today + dt.timedelta(days=7),
        scoring_deadline=today + dt.timedelta(days=10),
    )
    cycle = cycle_open(actor=hr, cycle=cycle)
    targets_bulk_set(actor=hr, cycle=cycle, rows=_target_rows(cycle))
    cycle = cycle_advance(actor=hr, cycle=cycle, to="self_review")
    people = list(cycle.participants.order_by("employee_no"))
    _reviews(cycle, people[:4], today)
    cycle = cycle_advance(actor=hr, cycle=cycle, to="manager_scoring")
    for p in people:
        participant_comment_set(
            actor=hr,
            participant=p,
            comment="本月按区域基准评价；请继续保持稳定的发布节奏。",
        )
    cycle_score(cycle=cycle)
    cycle = cycle_advance(actor=hr, cycle=cycle, to="calibration")
    lowest = (
        Result.objects.filter(cycle=cycle)
        .order_by("final_total", "participant__employee_no")
        .first()
    )
    if lowest is not None:
        result_adjust(
            actor=hr,
            result=lowest,
            total=min(max(lowest.final_total + Decimal(5), Decimal(60)), Decimal(100)),
            reason="新账号冷启动期（粉丝基数低），校准会议同意上调5分（至少到合格线60分）。",
        )
    cycle_publish(actor=hr, cycle=cycle)
    cycle.refresh_from_db()
    return cycle
