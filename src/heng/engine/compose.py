"""Composition (B6): indicator contributions → categories, source sets, KPI; KPI + 360;
bonus points with a cap. All sums are over integers (1/10,000 point), so they are exact and
independent of row order and thread count."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from heng.engine import columns as c
from heng.engine.config import ScoringConfig
from heng.engine.errors import EngineError
from heng.engine.prepare import (
    CAT_KEY,
    EFF_INT,
    SCHEME_KEY,
    SET_KEY,
    W_INT,
    WEIGHT_SCALE,
    PreparedLines,
)
from heng.engine.validate import frame_columns, listed
from heng.engine.work import (
    EMP_KEY,
    SCORE_SCALE,
    Employees,
    Work,
    dense_codes,
    unknown_employees,
)

__all__ = ["bonus_points", "breakdowns", "review_scores", "totals"]

REVIEW_SCALE = 1_000_000  # review values are summed as integers of 1/1,000,000
KPI_INT, REVIEW_INT, BONUS_RAW_INT, BONUS_INT = "_kpi", "_review", "_bonus_raw", "_bonus"
CONTRIB_INT = "_contrib"


def breakdowns(
    work: Work, emp: Employees, prep: PreparedLines
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Per-employee KPI (ints), per-category and per-source-set frames (final form).

    Only two quantities need summing over rows — contributions and score × line weight —
    with one ``np.bincount`` each over the cell (employee, category, source set). The summed
    values are integers far below 2**53, so the float64 sums are exact whatever the row
    order. Weights per cell come from the (small) scheme lines, not from the rows.
    """
    lines = prep.frame
    n_emp, n_cat, n_set = emp.frame.height, len(prep.categories), len(prep.source_sets)
    n_sub = n_cat * n_set
    line_cell = (
        lines.get_column(CAT_KEY).to_numpy().astype(np.int64) * n_set
        + lines.get_column(SET_KEY).to_numpy()
    )
    cell = work.emp_key * n_sub + line_cell[work.line_key]
    weight = lines.get_column(W_INT).to_numpy()[work.line_key]
    size = n_emp * n_sub
    contrib = np.bincount(cell, weights=work.contrib_int, minlength=size).astype(np.float64)
    weighted = np.bincount(cell, weights=work.score_int * weight, minlength=size).astype(np.float64)
    contrib, weighted = contrib.reshape(n_emp, n_sub), weighted.reshape(n_emp, n_sub)
    # Per scheme and cell: line count, line-weight sum and effective-weight sum.
    n_schemes = len(prep.schemes)
    scheme_cell = lines.get_column(SCHEME_KEY).to_numpy().astype(np.int64) * n_sub + line_cell

    def per_scheme(values: npt.NDArray[Any] | None) -> npt.NDArray[np.float64]:
        sums = np.bincount(scheme_cell, weights=values, minlength=n_schemes * n_sub)
        return np.asarray(sums, dtype=np.float64).reshape(n_schemes, n_sub)

    scheme_of = dense_codes(emp.frame.get_column(c.SCHEME), pl.Series(prep.schemes))
    count = per_scheme(None)[scheme_of]
    weights = per_scheme(lines.get_column(W_INT).to_numpy())[scheme_of]
    effective = per_scheme(lines.get_column(EFF_INT).to_numpy())[scheme_of]
    kpi = pl.DataFrame(
        {
            EMP_KEY: np.arange(n_emp, dtype=np.uint32),
            KPI_INT: contrib.sum(axis=1).astype(np.int64),
        }
    )
    ids = emp.frame.get_column(c.EMPLOYEE_ID)

    def roll(axis: int, name: str, labels: tuple[str, ...]) -> pl.DataFrame:
        n = len(labels)

        def flat(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
            summed = values.reshape(n_emp, n_cat, n_set).sum(axis=axis)
            return np.asarray(summed, dtype=np.float64).reshape(-1)

        present = np.flatnonzero(flat(count) > 0)
        w, sw = flat(weights)[present], flat(weighted)[present]
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(w > 0, np.rint(sw / np.where(w > 0, w, 1)) / SCORE_SCALE, np.nan)
        return pl.DataFrame(
            {
                c.EMPLOYEE_ID: ids.gather(present // n),
                name: pl.Series(labels, dtype=pl.String).gather(present % n),
                c.WEIGHT: w / WEIGHT_SCALE,
                c.EFFECTIVE_WEIGHT: flat(effective)[present] / WEIGHT_SCALE,
                # Weighted mean of the indicator scores with the line weights, 4 decimals.
                c.SCORE: pl.Series(mean).fill_nan(None),
                c.CONTRIBUTION: flat(contrib)[present] / SCORE_SCALE,
            }
        )

    categories = roll(2, c.CATEGORY, prep.categories)
    by_category = dict(lines.select(c.CATEGORY, c.CATEGORY_WEIGHT).unique().iter_rows())
    categories = categories.with_columns(
        pl.col(c.CATEGORY)
        .replace_strict(by_category, return_dtype=pl.Float64)
        .alias(c.CATEGORY_WEIGHT)
    ).select(
        c.EMPLOYEE_ID,
        c.CATEGORY,
        c.CATEGORY_WEIGHT,
        c.WEIGHT,
        c.EFFECTIVE_WEIGHT,
        c.SCORE,
        c.CONTRIBUTION,
    )
    sets = roll(1, c.SOURCE_SET, prep.source_sets)
    return kpi, categories, sets


def review_scores(reviews: pl.DataFrame, emp: Employees, config: ScoringConfig) -> pl.DataFrame:
    """360 part per employee on 0–100: value / scale_max × 100, averaged per rater group and
    combined with the group weights (re-scaled over the groups that rated the employee)."""
    df = frame_columns(
        reviews,
        "reviews",
        text=(c.EMPLOYEE_ID,),
        numbers=(c.REVIEW_VALUE,),
        optional_text={c.RATER_GROUP: None},
        keys=(c.EMPLOYEE_ID,),
    )
    low, high = float(config.review_scale_min), float(config.review_scale_max)
    value = pl.col(c.REVIEW_VALUE)
    bad = df.filter(~value.is_between(low, high).fill_null(False)).sort(c.EMPLOYEE_ID)
    if bad.height:
        first = bad.row(0, named=True)
        raise EngineError(
            "review_out_of_range",
            f"reviews: employee {first[c.EMPLOYEE_ID]} has value {first[c.REVIEW_VALUE]!r} "
            f"outside the review scale [{low:g}, {high:g}]",
            {"employee_id": first[c.EMPLOYEE_ID], "count": bad.height},
        )
    unknown_employees(df, emp, "reviews")
    groups = dict(config.review_group_weights or ())
    if groups:
        stray = df.filter(~pl.col(c.RATER_GROUP).is_in(list(groups)).fill_null(False))
        if stray.height:
            first = stray.row(0, named=True)
            raise EngineError(
                "rater_group_unknown",
                f"reviews: employee {first[c.EMPLOYEE_ID]}: rater group "
                f"{first[c.RATER_GROUP]!r} has no weight (known: {', '.join(sorted(groups))})",
                {"employee_id": first[c.EMPLOYEE_ID], "rater_group": first[c.RATER_GROUP]},
            )
    df = df.join(emp.frame.select(c.EMPLOYEE_ID, EMP_KEY), on=c.EMPLOYEE_ID).with_columns(
        (value * REVIEW_SCALE).round(0).cast(pl.Int64).alias("_v")
    )
    to_score = 100.0 / (high * REVIEW_SCALE)
    if not groups:
        per = df.group_by(EMP_KEY).agg(pl.col("_v").sum(), pl.len().alias("_n"))
        score = pl.col("_v") / pl.col("_n") * to_score
        return per.select(
            EMP_KEY, ((score * SCORE_SCALE).round(0).cast(pl.Int64)).alias(REVIEW_INT)
        )
    weight_int = {g: int(w * WEIGHT_SCALE) for g, w in groups.items()}
    per_group = (
        df.group_by(EMP_KEY, c.RATER_GROUP)
        .agg(pl.col("_v").sum(), pl.len().alias("_n"))
        .with_columns(
            # Group means fixed to 1e-6 point: exact integers from here on.
            (pl.col("_v") / pl.col("_n") * to_score * 1e6).round(0).cast(pl.Int64).alias("_g"),
            pl.col(c.RATER_GROUP).replace_strict(weight_int, return_dtype=pl.Int64).alias("_gw"),
        )
    )
    per = per_group.group_by(EMP_KEY).agg(
        (pl.col("_g") * pl.col("_gw")).sum().alias("_num"), pl.col("_gw").sum().alias("_den")
    )
    empty = per.filter(pl.col("_den") == 0)
    if empty.height:
        raise EngineError(
            "review_weights_empty",
            "reviews: an employee was rated only by zero-weight groups",
            {"count": empty.height},
        )
    num = per.get_column("_num").cast(pl.Float64).to_numpy()
    den = per.get_column("_den").cast(pl.Float64).to_numpy()
    score_int = np.rint(num / den / (1e6 / SCORE_SCALE)).astype(np.int64)
    return per.select(EMP_KEY).with_columns(pl.Series(REVIEW_INT, score_int))


def bonus_points(bonus: pl.DataFrame, emp: Employees) -> pl.DataFrame:
    """Growth-archive bonus points per employee (before the cap), as integers."""
    df = frame_columns(
        bonus,
        "bonus",
        text=(c.EMPLOYEE_ID,),
        numbers=(c.POINTS,),
        optional_text={c.REASON: None},
        keys=(c.EMPLOYEE_ID,),
    )
    points = pl.col(c.POINTS)
    bad = df.filter(~(points >= 0).fill_null(False)).sort(c.EMPLOYEE_ID)
    if bad.height:
        first = bad.row(0, named=True)
        raise EngineError(
            "bonus_invalid",
            f"bonus: employee {first[c.EMPLOYEE_ID]}: points must be a number ≥ 0",
            {
                "employee_id": first[c.EMPLOYEE_ID],
                "employees": listed(bad.get_column(c.EMPLOYEE_ID).to_list()),
            },
        )
    unknown_employees(df, emp, "bonus")
    return (
        df.join(emp.frame.select(c.EMPLOYEE_ID, EMP_KEY), on=c.EMPLOYEE_ID)
        .group_by(EMP_KEY)
        .agg((points * SCORE_SCALE).round(0).cast(pl.Int64).sum().alias(BONUS_RAW_INT))
    )


def totals(
    emp: Employees,
    kpi: pl.DataFrame,
    review: pl.DataFrame | None,
    bonus: pl.DataFrame | None,
    config: ScoringConfig,
) -> pl.DataFrame:
    """total = KPI × kpi_weight% + review × review_weight% + min(bonus, cap), 2 decimals."""
    df = emp.frame.join(kpi, on=EMP_KEY, how="left")
    if review is not None:
        df = df.join(review, on=EMP_KEY, how="left")
        missing = df.filter(pl.col(REVIEW_INT).is_null())
        if missing.height:
            ids = listed(missing.get_column(c.EMPLOYEE_ID).to_list())
            raise EngineError(
                "review_missing",
                f"employee {ids[0]} has no review although the 360 part weighs "
                f"{config.review_weight}%",
                {"employee_id": ids[0], "employees": ids, "count": missing.height},
            )
    else:
        df = df.with_columns(pl.lit(None, dtype=pl.Int64).alias(REVIEW_INT))
    if bonus is not None:
        df = df.join(bonus, on=EMP_KEY, how="left")
    else:
        df = df.with_columns(pl.lit(None, dtype=pl.Int64).alias(BONUS_RAW_INT))

    # Integer → decimal arithmetic in NumPy: Polars divides by a scalar through its
    # reciprocal (1029571 / 10000 → 102.95710000000001); NumPy divides exactly-rounded.
    def ints(name: str) -> npt.NDArray[np.float64]:
        return df.get_column(name).fill_null(0).cast(pl.Float64).to_numpy()

    raw = ints(BONUS_RAW_INT)
    cap = None if config.bonus_cap is None else float(config.bonus_cap * SCORE_SCALE)
    capped = raw if cap is None else np.minimum(raw, cap)
    kpi_part = np.rint(ints(KPI_INT) * float(config.kpi_weight) / 100.0)
    review_part = np.rint(ints(REVIEW_INT) * float(config.review_weight) / 100.0)
    # Half-even to 2 decimals on the exact integer: 89.995 → 90.00, 89.985 → 89.98.
    total = np.rint((kpi_part + review_part + capped) / 100.0) / 100.0
    review_score = df.get_column(REVIEW_INT).cast(pl.Float64).to_numpy() / SCORE_SCALE
    return df.select(EMP_KEY, *emp.frame.columns[1:]).with_columns(
        pl.Series(c.KPI, ints(KPI_INT) / SCORE_SCALE),
        pl.Series(c.REVIEW_SCORE, review_score).fill_nan(None),
        pl.Series(c.KPI_PART, kpi_part / SCORE_SCALE),
        pl.Series(c.REVIEW_PART, review_part / SCORE_SCALE),
        pl.Series(c.BONUS_POINTS, raw / SCORE_SCALE),
        pl.Series(c.BONUS, capped / SCORE_SCALE),
        pl.Series(c.TOTAL, total),
    )
