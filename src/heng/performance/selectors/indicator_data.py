"""Indicator values from the data (D1, D4): an indicator of the library whose value source is
a metric or a formula over metrics, computed for a period and traced back to its facts.

The facts and their lineage belong to ``heng.integrations`` (below this app): this module only
knows what an *indicator* is — it turns one into a formula and asks integrations' selectors,
one grouped pass for everyone (``metric_values``), never a loop per employee. Scope is the
caller's business: pass the employees the reader may see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.utils.translation import gettext as _

from heng.core.errors import NotFound, ValidationFailed
from heng.integrations.selectors import lineage_detail, metric_values
from heng.performance.models import Cycle, Direction, Indicator, Participant, ValueKind

VALUE_SCHEMA = {"employee_id": pl.Int64, "value": pl.Float64}


def indicator_get(code: str) -> Indicator:
    try:
        return Indicator.objects.get(code=code)
    except Indicator.DoesNotExist:
        raise NotFound() from None


def formula_of(value_kind: str, metric: str, formula: str, *, code: str) -> str:
    """The formula integrations computes for a value source; refused for manual and 360
    indicators (no facts behind them)."""
    if value_kind == ValueKind.METRIC and metric.strip():
        return metric.strip()
    if value_kind == ValueKind.FORMULA and formula.strip():
        return formula.strip()
    raise ValidationFailed(
        _(
            "Indicator %(code)s is not computed from business data (its value is entered by "
            "a manager or comes from a 360 review): it has no facts to trace."
        )
        % {"code": code},
        code="not_from_data",
        fields={"indicator": code},
    )


def indicator_formula(indicator: Indicator) -> str:
    return formula_of(
        indicator.value_kind, indicator.source_metric, indicator.formula, code=indicator.code
    )


@dataclass(frozen=True)
class CycleIndicator:
    """How a cycle measured an indicator: its snapshot (the library may have changed since)
    and its period."""

    cycle: Cycle
    participant: Participant
    name: str
    formula: str


def cycle_indicator(*, cycle_id: int, employee_id: int, code: str) -> CycleIndicator:
    """The indicator as the cycle scored this employee on it; NotFound unless the employee
    took part in the cycle and the cycle measured the indicator."""
    participant = (
        Participant.objects.select_related("cycle", "unit")
        .filter(cycle_id=cycle_id, employee_id=employee_id)
        .first()
    )
    if participant is None or code not in (participant.cycle.indicators or {}):
        raise NotFound()
    snapshot = participant.cycle.indicators[code]
    source = snapshot.get("value_source") or {}
    formula = formula_of(
        str(source.get("kind", "")),
        str(source.get("metric") or ""),
        str(source.get("formula") or ""),
        code=code,
    )
    return CycleIndicator(
        participant.cycle, participant, str(snapshot.get("name") or code), formula
    )


def indicator_values(
    *,
    formula: str,
    period_start: dt.date,
    period_end: dt.date,
    employee_ids: list[int] | None,
) -> pl.DataFrame:
    """``employee_id, value`` for every employee with facts in the period (``employee_ids``
    None: everyone; else only those). One grouped SQL pass, vectorised formula."""
    frame = metric_values(
        formulas={"value": formula},
        period_start=period_start,
        period_end=period_end,
        employee_ids=employee_ids,
        unit_ids=None,
    )
    return (
        frame.filter(pl.col("subject_type") == "employee")
        .select(pl.col("subject_id").alias("employee_id"), "value")
        .cast(VALUE_SCHEMA)  # type: ignore[arg-type]
    )


def rank_values(frame: pl.DataFrame, direction: str) -> pl.DataFrame:
    """Best first (highest, or lowest for lower-is-better indicators); no value last."""
    return frame.sort(
        ["value", "employee_id"],
        descending=[direction != Direction.LOWER, False],
        nulls_last=True,
    )


def indicator_lineage(
    *,
    formula: str,
    employee_id: int,
    period_start: dt.date,
    period_end: dt.date,
    limit: int = 200,
) -> dict[str, Any]:
    """The value of the indicator's formula for one employee and the facts, source rows and
    batches behind it (see ``heng.integrations.selectors.lineage_detail``)."""
    return lineage_detail(
        formula=formula,
        employee_id=employee_id,
        period_start=period_start,
        period_end=period_end,
        limit=limit,
    )
