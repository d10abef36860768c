"""The scorecard (E3, B8): a person's published result with its full explanation.

Public API used by dashboards (heng.goals / heng.notifications):

- ``employee_latest_result(employee_id) -> Scorecard | None`` — the latest *published*
  result (total, rating, rank "第3名 / 12", each indicator with actual, target, rule and
  contribution, adjustments, comments, trend over past cycles), or None.
- ``employee_projected_score(employee_id) -> Projection | None`` — the latest *unpublished*
  scoring of an open cycle (what the person would get if the cycle closed now), or None.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from heng.performance.models import Adjustment, CycleState, Result

PUBLISHED_STATES = (CycleState.PUBLISHED, CycleState.ARCHIVED)


@dataclass(frozen=True)
class IndicatorLine:
    indicator: str
    name: str
    category: str
    unit: str
    rule: str
    params: dict[str, Any]
    weight: str
    actual: float | None
    target: float | None
    reference: float | None
    attainment: float | None
    score: float | None
    effective_weight: float | None
    contribution: float | None
    why: str


@dataclass(frozen=True)
class Scorecard:
    cycle_id: int
    cycle_code: str
    cycle_name: str
    period: str
    employee_id: int
    employee_no: str
    name: str
    unit: str
    scheme: str
    total: Decimal
    computed_total: Decimal
    rating: str
    rating_name: str
    rank: int
    group_size: int
    rank_text: str
    kpi: Decimal
    review_score: Decimal | None
    bonus: Decimal
    published: bool
    indicators: list[IndicatorLine]
    categories: list[dict[str, Any]]
    adjustments: list[dict[str, Any]]
    manager_comment: str
    note: str
    engine_version: str
    input_hash: str
    trend: list[dict[str, Any]] = field(default_factory=list)
    # The engine's rank before calibration (``rank`` follows the final total).
    computed_rank: int | None = None


def _band_name(framework: dict[str, Any], code: str) -> str:
    for band in framework.get("rating_bands", []):
        if band["code"] == code:
            return str(band.get("name_zh") or code)
    return code


def scorecard_of(result: Result, *, with_trend: bool = True) -> Scorecard:
    cycle, p = result.cycle, result.participant
    lines = {ln["indicator"]: ln for ln in cycle.line_sets.get(p.line_set, [])}
    rows = []
    for r in result.indicator_rows():
        ln = lines.get(r["indicator"], {})
        rows.append(
            IndicatorLine(
                indicator=r["indicator"],
                name=ln.get("name", r["indicator"]),
                category=ln.get("category", ""),
                unit=cycle.indicators.get(r["indicator"], {}).get("unit", ""),
                rule=ln.get("rule", ""),
                params=ln.get("params", {}),
                weight=ln.get("weight", ""),
                actual=r["actual"],
                target=r["target"],
                reference=r["reference"],
                attainment=r["attainment"],
                score=r["score"],
                effective_weight=r["effective_weight"],
                contribution=r["contribution"],
                why=ln.get("why", ""),
            )
        )
    order = {code: i for i, code in enumerate(lines)}  # the scheme's line order
    rows.sort(key=lambda x: order.get(x.indicator, len(order)))
    adjustments = [
        {
            "field": a.field,
            "old": a.old_value,
            "new": a.new_value,
            "reason": a.reason,
            "by": str(a.by) if a.by else "",
            "at": a.at.isoformat(),
        }
        for a in Adjustment.objects.filter(result=result).select_related("by")
    ]
    ranks = [a for a in adjustments if a["field"] == "rank"]
    return Scorecard(
        cycle_id=cycle.pk,
        cycle_code=cycle.code,
        cycle_name=cycle.name,
        period=f"{cycle.period_start.isoformat()} ~ {cycle.period_end.isoformat()}",
        employee_id=result.employee_id,
        employee_no=p.employee_no,
        name=p.name,
        unit=p.unit.name,
        scheme=p.scheme_code,
        total=result.final_total,
        computed_total=result.total,
        rating=result.final_rating,
        rating_name=_band_name(cycle.framework, result.final_rating),
        rank=result.rank,
        group_size=result.group_size,
        rank_text=f"第{result.rank}名 / {result.group_size}",
        kpi=result.kpi,
        review_score=result.review_score,
        bonus=result.bonus,
        published=cycle.state in PUBLISHED_STATES,
        indicators=rows,
        categories=json.loads(result.categories),
        adjustments=adjustments,
        manager_comment=p.manager_comment,
        note=p.note,
        engine_version=result.engine_version,
        input_hash=result.input_hash,
        trend=employee_trend(result.employee_id) if with_trend else [],
        computed_rank=int(ranks[0]["old"]) if ranks else result.rank,
    )


def _results(employee_id: int) -> Any:
    return Result.objects.filter(employee_id=employee_id).select_related(
        "cycle", "participant", "participant__unit"
    )


def employee_trend(employee_id: int) -> list[dict[str, Any]]:
    """Published totals over past cycles, oldest first (for the ECharts line)."""
    rows = (
        _results(employee_id)
        .filter(cycle__state__in=PUBLISHED_STATES)
        .order_by("cycle__period_start")
    )
    return [
        {
            "cycle": r.cycle.code,
            "period": r.cycle.period_start.isoformat(),
            "total": float(r.final_total),
            "rating": r.final_rating,
        }
        for r in rows
    ]


def employee_latest_result(employee_id: int) -> Scorecard | None:
    """The latest published result of the employee, with its explanation; None if none."""
    row = (
        _results(employee_id)
        .filter(cycle__state__in=PUBLISHED_STATES)
        .order_by("-cycle__period_end", "-cycle_id")
        .first()
    )
    return scorecard_of(row) if row is not None else None


@dataclass(frozen=True)
class Projection:
    cycle_id: int
    cycle_name: str
    total: Decimal
    rating: str
    rank_text: str
    scored_at: str


def employee_projected_score(employee_id: int) -> Projection | None:
    """The current (unpublished) score in the employee's latest scored open cycle."""
    row = (
        _results(employee_id)
        .exclude(cycle__state__in=PUBLISHED_STATES)
        .order_by("-cycle__period_end", "-cycle_id")
        .first()
    )
    if row is None:
        return None
    return Projection(
        cycle_id=row.cycle_id,
        cycle_name=row.cycle.name,
        total=row.final_total,
        rating=row.final_rating,
        rank_text=f"第{row.rank}名 / {row.group_size}",
        scored_at=row.cycle.scored_at.isoformat() if row.cycle.scored_at else "",
    )


def scorecard_for_cycle(cycle_id: int, employee_id: int) -> Scorecard | None:
    row = _results(employee_id).filter(cycle_id=cycle_id).first()
    return scorecard_of(row) if row is not None else None
