"""Scheme lines → validated, compiled lines with integer keys and effective weights.

Runs on the (small) lines frame only; rules are compiled once per distinct
(rule, params, direction), never per employee.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from heng.engine import columns as c
from heng.engine.config import ScoringConfig
from heng.engine.errors import EngineError
from heng.engine.numbers import dec_text
from heng.engine.rules import CompiledRule, compile_rule
from heng.engine.validate import frame_columns, listed, require_unique

__all__ = ["WEIGHT_SCALE", "PreparedLines", "prepare_lines"]

# Weights are checked as integers in units of 1/10,000: exact, so 30 + 69.99 ≠ 100.
WEIGHT_SCALE = 10_000
LINE_KEY, SPEC_ID, CAT_KEY, SET_KEY, W_INT, EFF_INT, SCHEME_KEY, IND_KEY = (
    "_line",
    "spec_id",
    "_cat",
    "_set",
    "_w",
    "_eff",
    "_scheme",
    "_ind",
)


@dataclass(frozen=True)
class PreparedLines:
    frame: pl.DataFrame  # one row per scheme line, sorted by scheme then indicator
    specs: tuple[CompiledRule, ...]
    categories: tuple[str, ...]  # index = _cat
    source_sets: tuple[str, ...]  # index = _set
    schemes: tuple[str, ...]  # index = _scheme
    codes: tuple[str, ...]  # sorted indicator codes, index = _ind


def prepare_lines(lines: pl.DataFrame, config: ScoringConfig) -> PreparedLines:
    df = frame_columns(
        lines,
        "lines",
        text=(c.SCHEME, c.INDICATOR, c.CATEGORY, c.DIRECTION, c.RULE),
        numbers=(c.WEIGHT,),
        optional_text={
            c.PARAMS: "{}",
            c.NAME_ZH: None,
            c.NAME_EN: None,
            c.SOURCE_SET: c.DEFAULT_SOURCE_SET,
        },
        keys=(c.SCHEME, c.INDICATOR, c.CATEGORY, c.DIRECTION, c.RULE),
    )
    df = df.with_columns(
        pl.col(c.PARAMS).fill_null("{}"),
        pl.col(c.NAME_ZH).fill_null(pl.col(c.INDICATOR)),
        pl.col(c.NAME_EN).fill_null(pl.col(c.INDICATOR)),
        pl.col(c.SOURCE_SET).fill_null(c.DEFAULT_SOURCE_SET),
    )
    require_unique(df, (c.SCHEME, c.INDICATOR), "lines")
    df = _check_weights(df)
    df, specs = _compile(df)
    weights = config.category_weight_map()
    if weights is not None:
        unknown = df.filter(~pl.col(c.CATEGORY).is_in(list(weights)))
        if unknown.height:
            row = unknown.row(0, named=True)
            raise EngineError(
                "category_unknown",
                f"line {row[c.SCHEME]}/{row[c.INDICATOR]}: category {row[c.CATEGORY]!r} is not "
                f"in the framework ({', '.join(sorted(weights))})",
                {
                    "scheme": row[c.SCHEME],
                    "indicator": row[c.INDICATOR],
                    "category": row[c.CATEGORY],
                },
            )
    df = _effective_weights(df, config)
    df = df.with_columns(
        (pl.col(c.EFFECTIVE_WEIGHT) * WEIGHT_SCALE).round(0).cast(pl.Int64).alias(EFF_INT)
    )
    categories = tuple(sorted(df.get_column(c.CATEGORY).unique().to_list()))
    source_sets = tuple(sorted(df.get_column(c.SOURCE_SET).unique().to_list()))
    df = (
        df.sort(c.SCHEME, c.INDICATOR)
        .with_row_index(LINE_KEY)
        .with_columns(
            # Peer windows partition by indicator code (same code = same indicator everywhere).
            (pl.col(c.INDICATOR).rank("dense") - 1).cast(pl.UInt32).alias(IND_KEY),
            (pl.col(c.SCHEME).rank("dense") - 1).cast(pl.UInt32).alias(SCHEME_KEY),
            pl.col(c.CATEGORY)
            .replace_strict(categories, range(len(categories)), return_dtype=pl.UInt8)
            .alias(CAT_KEY),
            pl.col(c.SOURCE_SET)
            .replace_strict(source_sets, range(len(source_sets)), return_dtype=pl.UInt8)
            .alias(SET_KEY),
        )
    )
    schemes = tuple(sorted(df.get_column(c.SCHEME).unique().to_list()))
    codes = tuple(sorted(df.get_column(c.INDICATOR).unique().to_list()))
    return PreparedLines(df, specs, categories, source_sets, schemes, codes)


def _check_weights(df: pl.DataFrame) -> pl.DataFrame:
    def fail(code: str, why: str, bad: pl.DataFrame) -> EngineError:
        rows = listed(bad.select(c.SCHEME, c.INDICATOR, c.WEIGHT).iter_rows(named=True))
        first = rows[0]
        return EngineError(
            code,
            f"line {first[c.SCHEME]}/{first[c.INDICATOR]}: {why}",
            {"scheme": first[c.SCHEME], "indicator": first[c.INDICATOR], "rows": rows},
        )

    weight = pl.col(c.WEIGHT)
    missing = df.filter(weight.is_null() | weight.is_nan() | weight.is_infinite())
    if missing.height:
        raise fail("weight_missing", "weight is missing or not a finite number", missing)
    negative = df.filter(weight < 0)
    if negative.height:
        raise fail("weight_negative", "weight must not be negative", negative)
    scaled = weight * WEIGHT_SCALE
    df = df.with_columns(scaled.round(0).cast(pl.Int64).alias(W_INT))
    fine = df.filter((scaled - pl.col(W_INT)).abs() > 1e-6)
    if fine.height:
        raise fail("weight_precision", "weights may have at most 4 decimals", fine)
    totals = (
        df.group_by(c.SCHEME)
        .agg(pl.col(W_INT).sum())
        .filter(pl.col(W_INT) != 100 * WEIGHT_SCALE)
        .sort(c.SCHEME)
    )
    if totals.height:
        scheme, total = totals.row(0)
        text = dec_text(Decimal(total) / WEIGHT_SCALE)
        raise EngineError(
            "weights_not_100",
            f"scheme {scheme}: line weights must sum to exactly 100, got {text}",
            {
                "scheme": scheme,
                "total": text,
                "schemes": listed(totals.get_column(c.SCHEME).to_list()),
            },
        )
    return df


def _compile(df: pl.DataFrame) -> tuple[pl.DataFrame, tuple[CompiledRule, ...]]:
    keys = [c.RULE, c.PARAMS, c.DIRECTION]
    distinct = (
        df.group_by(keys).agg(pl.col(c.SCHEME).first(), pl.col(c.INDICATOR).first()).sort(keys)
    )
    specs: list[CompiledRule] = []
    for rule, params, direction, scheme, indicator in distinct.iter_rows():
        try:
            specs.append(compile_rule(rule, params, direction))
        except EngineError as exc:
            # Name the first line that uses the refused rule, so the admin can find it.
            details = {**exc.details, "scheme": scheme, "indicator": indicator}
            raise EngineError(
                exc.code, f"line {scheme}/{indicator}: {exc.message}", details
            ) from None
    mapping = distinct.select(keys).with_columns(
        pl.Series(SPEC_ID, range(len(specs)), dtype=pl.UInt32),
        pl.Series("_canonical", [s.params_json for s in specs], dtype=pl.String),
    )
    df = (
        df.join(mapping, on=keys, how="left")
        .with_columns(pl.col("_canonical").alias(c.PARAMS))
        .drop("_canonical")
    )
    return df, tuple(specs)


def _effective_weights(df: pl.DataFrame, config: ScoringConfig) -> pl.DataFrame:
    """Line weight → effective weight (the share of the KPI the line carries, in %).

    Without framework weights the line weights *are* the effective weights. With them, a
    category's lines share its framework weight in proportion to their line weights, and the
    framework weights of the categories present in the scheme (line-weight sum > 0) are
    scaled up to 100 — a scheme without growth lines puts 40/30 → 57.14/42.86.
    """
    weights = config.category_weight_map()
    if weights is None:
        return df.with_columns(
            pl.col(c.WEIGHT).alias(c.EFFECTIVE_WEIGHT),
            pl.lit(None, dtype=pl.Float64).alias(c.CATEGORY_WEIGHT),
        )
    cw = pl.col(c.CATEGORY).replace_strict(
        list(weights), [float(v) for v in weights.values()], return_dtype=pl.Float64
    )
    df = df.with_columns(
        cw.alias(c.CATEGORY_WEIGHT),
        pl.col(W_INT).sum().over(c.SCHEME, c.CATEGORY).alias("_cat_w"),
    )
    present = (
        df.filter(pl.col("_cat_w") > 0)
        .unique([c.SCHEME, c.CATEGORY])
        .group_by(c.SCHEME)
        .agg(pl.col(c.CATEGORY_WEIGHT).sum().alias("_present"))
    )
    df = df.join(present, on=c.SCHEME, how="left")
    empty = df.filter(pl.col("_present").fill_null(0) <= 0)
    if empty.height:
        scheme = empty.row(0, named=True)[c.SCHEME]
        raise EngineError(
            "category_weights_empty",
            f"scheme {scheme}: its categories all have framework weight 0",
            {"scheme": scheme},
        )
    effective = (
        pl.when(pl.col("_cat_w") > 0)
        .then(
            pl.col(W_INT)
            * pl.col(c.CATEGORY_WEIGHT)
            * 100.0
            / (pl.col("_cat_w") * pl.col("_present"))
        )
        .otherwise(0.0)
    )
    return df.with_columns(effective.alias(c.EFFECTIVE_WEIGHT)).drop("_cat_w", "_present")
