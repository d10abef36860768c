"""``score(...)``: the one entry point that turns input frames into a :class:`ScoreResult`."""

from __future__ import annotations

import hashlib
import io

import polars as pl

from heng.engine.compose import bonus_points, breakdowns, review_scores, totals
from heng.engine.config import ScoringConfig
from heng.engine.errors import EngineError
from heng.engine.explain import indicator_frame
from heng.engine.prepare import prepare_lines
from heng.engine.ratings import rank_within, rating_columns
from heng.engine.result import ScoreResult
from heng.engine.rules import canonical_json
from heng.engine.work import EMP_KEY, evaluate, prepare_employees

__all__ = ["ENGINE_VERSION", "input_hash", "score"]

# Bump when any number the engine produces for the same input may change.
ENGINE_VERSION = "1.0.0"


def score(
    *,
    employees: pl.DataFrame,
    lines: pl.DataFrame,
    values: pl.DataFrame,
    config: ScoringConfig,
    reviews: pl.DataFrame | None = None,
    bonus: pl.DataFrame | None = None,
) -> ScoreResult:
    """Score every employee against the lines of their scheme.

    Raises :class:`EngineError` for any refused input; never returns a partial result.
    """
    if not isinstance(config, ScoringConfig):
        raise EngineError("config_invalid", "config must be a ScoringConfig", {})
    emp = prepare_employees(employees)
    prep = prepare_lines(lines, config)
    work = evaluate(values, emp, prep)
    kpi, categories, sets = breakdowns(work, emp, prep)
    review = None
    if config.review_weight > 0:
        if reviews is None:
            raise EngineError(
                "review_missing",
                f"the 360 part weighs {config.review_weight}% but no reviews were given",
                {},
            )
        review = review_scores(reviews, emp, config)
    elif reviews is not None:
        raise EngineError(
            "reviews_unused",
            "reviews were given but review_weight is 0: they would not count",
            {},
        )
    extra = bonus_points(bonus, emp) if bonus is not None else None
    summary = totals(emp, kpi, review, extra, config).with_columns(rating_columns(config))
    summary = rank_within(summary, config.rank_by).sort(EMP_KEY).drop(EMP_KEY)
    return ScoreResult(
        totals=summary,
        indicators=indicator_frame(work, emp, prep),
        categories=categories,
        sets=sets,
        config=config,
        engine_version=ENGINE_VERSION,
    )


def _frame_bytes(df: pl.DataFrame | None) -> bytes:
    if df is None:
        return b"null"
    ordered = df.select(sorted(df.columns))
    # Numbers as Float64 so that 70 and 70.0 hash alike; rows sorted so order does not count.
    ordered = ordered.with_columns(
        pl.col(n).cast(pl.Float64) for n, t in ordered.schema.items() if t.is_numeric()
    )
    ordered = ordered.sort(ordered.columns, nulls_last=True)
    buffer = io.BytesIO()
    ordered.write_csv(buffer, null_value="\\N")
    return buffer.getvalue()


def input_hash(
    *,
    employees: pl.DataFrame,
    lines: pl.DataFrame,
    values: pl.DataFrame,
    config: ScoringConfig,
    reviews: pl.DataFrame | None = None,
    bonus: pl.DataFrame | None = None,
) -> str:
    """SHA-256 (hex) of a canonical serialisation of every input.

    Independent of row and column order and of integer-vs-float number types; used to store
    a cycle's result idempotently (same hash + same ENGINE_VERSION → same numbers).
    """
    digest = hashlib.sha256()
    for name, frame in (
        ("employees", employees),
        ("lines", lines),
        ("values", values),
        ("reviews", reviews),
        ("bonus", bonus),
    ):
        digest.update(f"\n#{name}\n".encode())
        digest.update(_frame_bytes(frame))
    digest.update(b"\n#config\n")
    digest.update(canonical_json(config.to_dict()).encode())
    return digest.hexdigest()
