"""Small builders for engine inputs, so tests state only what matters to them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import polars as pl

from heng.engine import ScoreResult, ScoringConfig, score
from heng.engine import columns as c

Value = tuple[Any, ...]  # (employee, indicator, actual[, target[, benchmark]])


def line(
    indicator: str,
    rule: str,
    weight: float,
    *,
    params: dict[str, Any] | None = None,
    category: str = "result",
    direction: str = "higher",
    scheme: str = "s",
    source_set: str | None = None,
) -> dict[str, Any]:
    row = {
        c.SCHEME: scheme,
        c.INDICATOR: indicator,
        c.CATEGORY: category,
        c.DIRECTION: direction,
        c.RULE: rule,
        c.PARAMS: json.dumps(params or {}),
        c.WEIGHT: float(weight),
    }
    if source_set is not None:
        row[c.SOURCE_SET] = source_set
    return row


def values_frame(values: Sequence[Value]) -> pl.DataFrame:
    rows = []
    for v in values:
        padded = [*v, None, None][:5]
        rows.append(
            dict(
                zip(
                    (c.EMPLOYEE_ID, c.INDICATOR, c.ACTUAL, c.TARGET, c.BENCHMARK),
                    padded,
                    strict=True,
                )
            )
        )
    return pl.DataFrame(
        rows,
        schema={
            c.EMPLOYEE_ID: pl.String,
            c.INDICATOR: pl.String,
            c.ACTUAL: pl.Float64,
            c.TARGET: pl.Float64,
            c.BENCHMARK: pl.Float64,
        },
    )


def employees_frame(
    employees: Sequence[dict[str, Any]] | None, values: Sequence[Value], scheme: str = "s"
) -> pl.DataFrame:
    if employees is None:
        ids = sorted({str(v[0]) for v in values})
        employees = [{c.EMPLOYEE_ID: i, c.SCHEME: scheme} for i in ids]
    return pl.DataFrame(list(employees))


def run(
    lines: Sequence[dict[str, Any]],
    values: Sequence[Value],
    *,
    employees: Sequence[dict[str, Any]] | None = None,
    config: ScoringConfig | None = None,
    reviews: pl.DataFrame | None = None,
    bonus: pl.DataFrame | None = None,
) -> ScoreResult:
    return score(
        employees=employees_frame(employees, values),
        lines=pl.DataFrame(list(lines)),
        values=values_frame(values),
        config=config or ScoringConfig.create(),
        reviews=reviews,
        bonus=bonus,
    )


def one(
    rule: str,
    actual: float | None,
    target: float | None = None,
    benchmark: float | None = None,
    *,
    direction: str = "higher",
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Score a single indicator (weight 100) for one employee; its explanation row."""
    result = run(
        [line("x", rule, 100, params=params, direction=direction)],
        [("E1", "x", actual, target, benchmark)],
    )
    return result.indicators.row(0, named=True)
