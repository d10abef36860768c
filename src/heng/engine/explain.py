"""Explanation (B8): the per employee × indicator frame and a per-employee scorecard."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from heng.engine import columns as c
from heng.engine.prepare import PreparedLines
from heng.engine.work import SCORE_SCALE, Employees, Work

__all__ = ["INDICATOR_COLUMNS", "indicator_frame"]

INDICATOR_COLUMNS = (
    c.EMPLOYEE_ID,
    c.INDICATOR,
    c.NAME_ZH,
    c.NAME_EN,
    c.CATEGORY,
    c.SOURCE_SET,
    c.DIRECTION,
    c.RULE,
    c.PARAMS,
    c.ACTUAL,
    c.TARGET,
    c.BENCHMARK,
    c.REFERENCE,
    c.ATTAINMENT,
    c.SCORE,
    c.WEIGHT,
    c.CATEGORY_WEIGHT,
    c.EFFECTIVE_WEIGHT,
    c.CONTRIBUTION,
)
_DESCRIPTIVE = (c.NAME_ZH, c.NAME_EN, c.CATEGORY, c.SOURCE_SET, c.DIRECTION, c.RULE, c.PARAMS)


def indicator_frame(work: Work, emp: Employees, prep: PreparedLines) -> pl.DataFrame:
    """The work rows are already sorted by employee_id then indicator.

    Descriptive text columns (names, category, source set, direction, rule, params) are
    ``pl.Enum`` gathered by integer position from the small lines frame: the same strings
    at a fraction of the cost and memory of 2,000,000 copied strings. ``employee_id`` and
    ``indicator`` (the keys) are plain String.
    """
    lines = prep.frame

    def text(name: str) -> pl.Series:
        column = lines.get_column(name)
        return column.cast(pl.Enum(column.unique().sort()))

    # One frame gather (parallel over columns) for everything that is per line.
    per_line = pl.DataFrame(
        [
            lines.get_column(c.INDICATOR),
            *(text(name) for name in _DESCRIPTIVE),
            lines.get_column(c.WEIGHT),
            lines.get_column(c.CATEGORY_WEIGHT),
            lines.get_column(c.EFFECTIVE_WEIGHT).round(4),
        ]
    )[pl.Series(work.line_key.astype(np.uint32))]
    return pl.concat(
        [
            pl.DataFrame(
                [
                    emp.frame.get_column(c.EMPLOYEE_ID).gather(
                        pl.Series(work.emp_key.astype(np.uint32))
                    ),
                    pl.Series(c.REFERENCE, work.reference).fill_nan(None),
                    work.attainment,
                    pl.Series(c.SCORE, work.score),
                    pl.Series(c.CONTRIBUTION, work.contrib_int / SCORE_SCALE),
                ]
            ),
            per_line,
            work.inputs,
        ],
        how="horizontal",
    ).select(INDICATOR_COLUMNS)


def scorecard(
    totals: pl.DataFrame,
    categories: pl.DataFrame,
    sets: pl.DataFrame,
    indicators: pl.DataFrame,
    employee_id: str,
) -> dict[str, Any]:
    """Everything that explains one employee's total, as plain JSON-ready values."""

    def rows(df: pl.DataFrame) -> list[dict[str, Any]]:
        return df.filter(pl.col(c.EMPLOYEE_ID) == employee_id).drop(c.EMPLOYEE_ID).to_dicts()

    found = rows(totals)
    return {
        "employee_id": employee_id,
        "total": found[0] if found else None,
        "categories": rows(categories),
        "source_sets": rows(sets),
        "indicators": rows(indicators),
    }
