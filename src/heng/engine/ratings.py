"""Ratings, rank, percentile and the distribution check (B7).

- Rating: the first band (highest threshold first) whose ``min_score`` ≤ total.
- Rank: *competition* ranking on the total, highest first ("1224"): tied totals share a rank
  and the next rank skips, as people say "joint 2nd, then 4th". Ties are listed by
  employee_id, so the order is deterministic.
- Percentile: (n − rank) / (n − 1) × 100 within the group (100 = top, 0 = bottom; a group of
  one is 100).
"""

from __future__ import annotations

import polars as pl

from heng.engine import columns as c
from heng.engine.config import ScoringConfig
from heng.engine.errors import EngineError

__all__ = ["distribution", "rank_within", "rating_columns"]


def rating_columns(config: ScoringConfig) -> list[pl.Expr]:
    bands = config.rating_bands
    total = pl.col(c.TOTAL)
    code: pl.Expr = pl.lit(bands[-1].code)
    for band in reversed(bands[:-1]):
        code = pl.when(total >= float(band.min_score)).then(pl.lit(band.code)).otherwise(code)
    codes = [b.code for b in bands]
    return [
        code.alias(c.RATING),
        code.replace_strict(
            codes, [b.name_zh or b.code for b in bands], return_dtype=pl.String
        ).alias(c.RATING_ZH),
        code.replace_strict(
            codes, [b.name_en or b.code for b in bands], return_dtype=pl.String
        ).alias(c.RATING_EN),
    ]


def _check_group(df: pl.DataFrame, by: str | None) -> None:
    if by is not None and by not in df.columns:
        raise EngineError(
            "column_missing",
            f"no employee attribute {by!r} to group by",
            {"frame": "employees", "column": by},
        )


def rank_within(df: pl.DataFrame, by: str | None) -> pl.DataFrame:
    """Add rank, group_size and percentile within ``by`` (an employee attribute) or overall."""
    _check_group(df, by)
    over = [pl.lit(True)] if by is None else [pl.col(by)]
    rank = pl.col(c.TOTAL).rank("min", descending=True).over(over).cast(pl.UInt32)
    size = pl.len().over(over).cast(pl.UInt32)
    return df.with_columns(rank.alias(c.RANK), size.alias(c.GROUP_SIZE)).with_columns(
        pl.when(pl.col(c.GROUP_SIZE) > 1)
        .then(
            ((pl.col(c.GROUP_SIZE) - pl.col(c.RANK)) * 100.0 / (pl.col(c.GROUP_SIZE) - 1)).round(4)
        )
        .otherwise(100.0)
        .alias(c.PERCENTILE)
    )


def distribution(
    totals: pl.DataFrame, config: ScoringConfig, by: str | None, tolerance: float = 0.0
) -> pl.DataFrame:
    """Count and share per rating bucket per group, against the target mix.

    Buckets are the configured target-mix buckets (or one per band when no mix is set, with
    no target). ``share_diff`` = share − target_share in percentage points; ``status`` is
    ``over`` / ``under`` when it is beyond ``tolerance``, else ``ok``.
    """
    _check_group(totals, by)
    buckets: list[tuple[str, tuple[str, ...], float | None]]
    if config.target_mix:
        buckets = [(m.label, m.bands, float(m.share)) for m in config.target_mix]
    else:
        buckets = [(b.code, (b.code,), None) for b in config.rating_bands]
    band_to_bucket = {band: label for label, bands, _ in buckets for band in bands}
    group = pl.lit(c.ALL_GROUP) if by is None else pl.col(by).cast(pl.String).fill_null("")
    df = totals.select(
        group.alias(c.GROUP),
        pl.col(c.RATING).replace_strict(band_to_bucket, return_dtype=pl.String).alias(c.BUCKET),
    )
    counts = df.group_by(c.GROUP, c.BUCKET).agg(pl.len().cast(pl.Int64).alias(c.COUNT))
    sizes = df.group_by(c.GROUP).agg(pl.len().cast(pl.Int64).alias("_n"))
    grid = sizes.join(
        pl.DataFrame(
            {
                c.BUCKET: [b[0] for b in buckets],
                c.BANDS: [",".join(b[1]) for b in buckets],
                c.TARGET_SHARE: [b[2] for b in buckets],
                "_order": list(range(len(buckets))),
            },
            schema_overrides={c.TARGET_SHARE: pl.Float64},
        ),
        how="cross",
    )
    out = (
        grid.join(counts, on=[c.GROUP, c.BUCKET], how="left")
        .with_columns(pl.col(c.COUNT).fill_null(0))
        .with_columns(
            (pl.col(c.COUNT) * 100.0 / pl.col("_n")).round(2).alias(c.SHARE),
            # a column divisor: Polars divides by a literal through its reciprocal
            (pl.col(c.TARGET_SHARE) * pl.col("_n") / (pl.col("_n") * 0 + 100.0))
            .round(2)
            .alias(c.TARGET_COUNT),
        )
        .with_columns(
            (pl.col(c.SHARE) - pl.col(c.TARGET_SHARE)).round(2).alias(c.SHARE_DIFF),
        )
        .with_columns(
            pl.when(pl.col(c.SHARE_DIFF).is_null())
            .then(None)
            .when(pl.col(c.SHARE_DIFF) > tolerance)
            .then(pl.lit("over"))
            .when(pl.col(c.SHARE_DIFF) < -tolerance)
            .then(pl.lit("under"))
            .otherwise(pl.lit("ok"))
            .alias(c.STATUS)
        )
    )
    return out.sort(c.GROUP, "_order").select(
        c.GROUP,
        c.BUCKET,
        c.BANDS,
        pl.col("_n").alias("group_size"),
        c.COUNT,
        c.SHARE,
        c.TARGET_SHARE,
        c.TARGET_COUNT,
        c.SHARE_DIFF,
        c.STATUS,
    )
