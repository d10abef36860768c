"""Pace, deviation alerts and goal roll-up (E1, E2, C2): pure, vectorised Polars.

    shares = elapsed_share(periods, as_of=date(2026, 3, 15), workdays=calendar)
    paced = pace(rows.join(shares, on=["period_start", "period_end"]))
    moves = breach_transitions(paced, previous_state, keys=["employee_id", "goal_id"])
    tree = rollup(nodes)

*Expected to date* is the target times the elapsed share of the period (calendar days, or
working days when a calendar is given). *Attainment* compares the actual with it: actual ÷
expected when higher is better, expected ÷ actual when lower is better (a cost, a complaint
rate), so "below 70 % of the pace" means attainment < 0.7 in both directions. An alert fires on
the transition not-breached → breached only; a row without data (actual null) changes nothing.

Roll-up: a node's progress is its own (measured or manual) when it has one, otherwise the
weighted mean of its non-archived children that have a progress. Weights default to equal;
the tree is computed bottom-up one depth level at a time (one join per level, never one step per
node), and a cycle is refused with the ids involved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Final

import polars as pl

from heng.engine.errors import EngineError

__all__ = [
    "ATTAINMENT_CAP",
    "DEFAULT_THRESHOLD",
    "attainment_progress",
    "breach_transitions",
    "elapsed_share",
    "kr_progress",
    "pace",
    "rollup",
]

# --- columns -------------------------------------------------------------------------------------
PERIOD_START: Final = "period_start"
PERIOD_END: Final = "period_end"
AS_OF: Final = "as_of"
ELAPSED: Final = "elapsed_days"
TOTAL: Final = "total_days"
SHARE: Final = "share"
TARGET: Final = "target"
ACTUAL: Final = "actual"
DIRECTION: Final = "direction"
MODE: Final = "mode"
THRESHOLD: Final = "threshold"
EXPECTED: Final = "expected"
ATTAINMENT: Final = "attainment"
PROGRESS: Final = "progress"
BREACHED: Final = "breached"
WAS_BREACHED: Final = "was_breached"
FIRE: Final = "fire"
RECOVER: Final = "recover"
ID: Final = "id"
PARENT_ID: Final = "parent_id"
OWN: Final = "own"
WEIGHT: Final = "weight"
ARCHIVED: Final = "archived"
DEPTH: Final = "depth"

HIGHER: Final = "higher"
LOWER: Final = "lower"
CUMULATIVE: Final = "cumulative"  # sums that build up over the period: pro-rate the target
LEVEL: Final = "level"  # rates and averages: the target applies at every point in time

DEFAULT_THRESHOLD: Final = 0.7
# Attainment is stored and shown; "no complaints at all" must not become infinity.
ATTAINMENT_CAP: Final = 10.0


# --- the share of the period that has elapsed ----------------------------------------------------
def _workday_counts(workdays: pl.Series, dates: pl.Series) -> pl.Series:
    """How many working days fall on or before each date (vectorised binary search)."""
    return workdays.search_sorted(dates, side="right").cast(pl.Int64)


def elapsed_share(
    periods: pl.DataFrame,
    *,
    as_of: dt.date | None = None,
    workdays: Iterable[dt.date] | pl.Series | None = None,
) -> pl.DataFrame:
    """Add ``elapsed_days``, ``total_days`` and ``share`` (0–1) to each period row.

    ``periods`` has ``period_start`` and ``period_end`` (dates, both inclusive) and, unless
    ``as_of`` is given, an ``as_of`` column: the last day the data covers. With ``workdays``
    (every working day of the calendar, any order) only working days count; a period without
    any working day has a null share (nothing can be expected of it).
    """
    for column in (PERIOD_START, PERIOD_END):
        if column not in periods.columns:
            raise EngineError("missing_column", f"periods need a {column!r} column")
    frame = periods
    if as_of is not None:
        frame = frame.with_columns(pl.lit(as_of, pl.Date).alias(AS_OF))
    elif AS_OF not in frame.columns:
        raise EngineError("missing_column", "give as_of or an 'as_of' column")
    if frame.filter(pl.col(PERIOD_END) < pl.col(PERIOD_START)).height:
        raise EngineError("bad_period", "a period ends before it starts")
    start, end = pl.col(PERIOD_START), pl.col(PERIOD_END)
    last = pl.min_horizontal(pl.col(AS_OF), end)
    if workdays is None:
        frame = frame.with_columns(
            ((end - start).dt.total_days() + 1).alias(TOTAL),
            ((last - start).dt.total_days() + 1).clip(lower_bound=0).alias(ELAPSED),
        )
    else:
        days = pl.Series(list(workdays) if not isinstance(workdays, pl.Series) else workdays)
        days = days.cast(pl.Date).unique().sort()
        before = frame.select((start - pl.duration(days=1)).alias("d")).to_series()
        upto = frame.select(last.alias("d")).to_series()
        until = frame[PERIOD_END]
        base = _workday_counts(days, before)
        frame = frame.with_columns(
            (_workday_counts(days, until) - base).alias(TOTAL),
            (_workday_counts(days, upto) - base).clip(lower_bound=0).alias(ELAPSED),
        )
    return frame.with_columns(
        pl.when(pl.col(TOTAL) > 0)
        .then(pl.col(ELAPSED).cast(pl.Float64) / pl.col(TOTAL))
        .otherwise(None)
        .alias(SHARE)
    )


# --- pace and attainment -------------------------------------------------------------------------
def _check_values(frame: pl.DataFrame, column: str, allowed: Sequence[str]) -> None:
    bad = frame.filter(~pl.col(column).is_in(list(allowed)))[column].unique().to_list()
    if bad:
        raise EngineError(
            f"bad_{column}", f"unknown {column} {bad!r}; expected one of {list(allowed)}"
        )


def attainment_progress(actual: pl.Expr, target: pl.Expr, direction: pl.Expr) -> pl.Expr:
    """Share of the *whole* target reached, 0–1 ("本月销售额已完成80%")."""
    higher = pl.when(target > 0).then(actual / target)
    lower = pl.when(actual <= 0).then(pl.lit(1.0)).otherwise(target / actual)
    return pl.when(direction == LOWER).then(lower).otherwise(higher).clip(0.0, 1.0)


def kr_progress(start: pl.Expr, target: pl.Expr, current: pl.Expr) -> pl.Expr:
    """A key result's progress from start to target, 0–1 (null when target equals start)."""
    return (
        pl.when(target != start).then((current - start) / (target - start)).otherwise(None)
    ).clip(0.0, 1.0)


def pace(frame: pl.DataFrame, *, default_threshold: float = DEFAULT_THRESHOLD) -> pl.DataFrame:
    """Add ``expected``, ``attainment``, ``progress`` and ``breached`` to each row.

    Reads ``target``, ``actual`` (null = no data yet), ``share``, ``direction`` (higher /
    lower), ``mode`` (cumulative / level) and an optional ``threshold`` (null = default).
    ``breached`` is null where nothing can be judged: no data, or nothing expected yet.
    """
    for column in (TARGET, ACTUAL, SHARE, DIRECTION, MODE):
        if column not in frame.columns:
            raise EngineError("missing_column", f"pace needs a {column!r} column")
    if not 0 < default_threshold <= 2:
        raise EngineError("bad_threshold", "the threshold must be in (0, 2]")
    _check_values(frame, DIRECTION, (HIGHER, LOWER))
    _check_values(frame, MODE, (CUMULATIVE, LEVEL))
    if THRESHOLD not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.Float64).alias(THRESHOLD))
    bad = frame.filter((pl.col(THRESHOLD) <= 0) | (pl.col(THRESHOLD) > 2)).height
    if bad:
        raise EngineError("bad_threshold", f"{bad} rows have a threshold outside (0, 2]")
    target = pl.col(TARGET).cast(pl.Float64)
    actual = pl.col(ACTUAL).cast(pl.Float64)
    expected = pl.when(pl.col(MODE) == CUMULATIVE).then(target * pl.col(SHARE)).otherwise(target)
    frame = frame.with_columns(
        expected.alias(EXPECTED),
        pl.col(THRESHOLD).cast(pl.Float64).fill_null(default_threshold).alias(THRESHOLD),
    )
    exp = pl.col(EXPECTED)
    higher = pl.when(exp > 0).then(actual / exp)
    lower = (
        pl.when(exp <= 0).then(None).when(actual <= 0).then(ATTAINMENT_CAP).otherwise(exp / actual)
    )
    attainment = (
        pl.when(actual.is_null())
        .then(None)
        .when(pl.col(DIRECTION) == LOWER)
        .then(lower)
        .otherwise(higher)
        .clip(0.0, ATTAINMENT_CAP)
    )
    frame = frame.with_columns(attainment.alias(ATTAINMENT))
    return frame.with_columns(
        attainment_progress(actual, target, pl.col(DIRECTION)).alias(PROGRESS),
        (pl.col(ATTAINMENT) < pl.col(THRESHOLD)).alias(BREACHED),
    )


def breach_transitions(
    current: pl.DataFrame, previous: pl.DataFrame, *, keys: Sequence[str]
) -> pl.DataFrame:
    """Compare this check with the stored state: ``fire`` on not-breached → breached,
    ``recover`` on breached → not breached. Rows whose ``breached`` is null (no data) keep
    their previous state and neither fire nor recover. ``previous`` holds the keys and
    ``breached`` of the rows on record (absent = never breached)."""
    keys = list(keys)
    for name, frame in (("current", current), ("previous", previous)):
        missing = [c for c in (*keys, BREACHED) if c not in frame.columns]
        if missing:
            raise EngineError("missing_column", f"{name} lacks {missing!r}")
    if previous.select(keys).is_duplicated().any():
        raise EngineError("duplicate_keys", "the previous state has repeated keys")
    before = previous.select(*keys, pl.col(BREACHED).cast(pl.Boolean).alias(WAS_BREACHED))
    joined = current.join(before, on=keys, how="left", nulls_equal=True)
    was = pl.col(WAS_BREACHED).fill_null(False)
    now = pl.col(BREACHED)
    return joined.with_columns(
        was.alias(WAS_BREACHED),
        (now.fill_null(False) & ~was).alias(FIRE),
        ((now == False) & was).fill_null(False).alias(RECOVER),  # noqa: E712 (Polars)
    )


# --- goal roll-up --------------------------------------------------------------------------------
def _depths(nodes: pl.DataFrame) -> pl.DataFrame:
    """``id`` → ``depth`` (roots 0), one join per level; refuses cycles and unknown parents."""
    ids = nodes[ID]
    orphans = nodes.filter(
        pl.col(PARENT_ID).is_not_null() & ~pl.col(PARENT_ID).is_in(ids.implode())
    )
    if orphans.height:
        raise EngineError(
            "unknown_parent",
            "some nodes name a parent that is not in the tree",
            {"ids": sorted(orphans[ID].to_list())},
        )
    known = nodes.filter(pl.col(PARENT_ID).is_null()).select(ID, pl.lit(0, pl.Int64).alias(DEPTH))
    frontier = known
    pending = nodes.filter(pl.col(PARENT_ID).is_not_null()).select(ID, PARENT_ID)
    parts = [known]
    depth = 0
    while pending.height:
        depth += 1
        level = pending.join(frontier.select(pl.col(ID).alias(PARENT_ID)), on=PARENT_ID)
        if level.height == 0:
            raise EngineError(
                "goal_cycle",
                "the goal tree has a cycle: these goals never reach a root",
                {"ids": sorted(pending[ID].to_list())},
            )
        frontier = level.select(ID, pl.lit(depth, pl.Int64).alias(DEPTH))
        parts.append(frontier)
        pending = pending.join(level.select(ID), on=ID, how="anti")
    return pl.concat(parts)


def rollup(nodes: pl.DataFrame) -> pl.DataFrame:
    """Progress of every node of a forest: ``id, depth, progress`` (sorted by id).

    ``nodes``: ``id``, ``parent_id`` (null for roots), ``own`` (the node's own progress 0–1,
    null when it has none), optional ``weight`` (null = equal share) and ``archived``. An
    archived node still gets its own figure but counts for nothing in its parent.
    """
    for column in (ID, PARENT_ID, OWN):
        if column not in nodes.columns:
            raise EngineError("missing_column", f"rollup needs a {column!r} column")
    frame = nodes.with_columns(
        pl.col(ID).cast(pl.Int64),
        pl.col(PARENT_ID).cast(pl.Int64),
        pl.col(OWN).cast(pl.Float64),
        (pl.col(WEIGHT).cast(pl.Float64) if WEIGHT in nodes.columns else pl.lit(None, pl.Float64))
        .fill_null(1.0)
        .alias(WEIGHT),
        (pl.col(ARCHIVED).cast(pl.Boolean) if ARCHIVED in nodes.columns else pl.lit(False))
        .fill_null(False)
        .alias(ARCHIVED),
    )
    if frame[ID].is_duplicated().any():
        raise EngineError("duplicate_ids", "node ids must be unique")
    # Sums in id order: the same tree gives bit-identical figures whatever the input order.
    frame = frame.sort(ID)
    if frame.filter(pl.col(WEIGHT) < 0).height:
        raise EngineError("bad_weight", "weights cannot be negative")
    frame = frame.join(_depths(frame), on=ID)
    done: list[pl.DataFrame] = []
    below = pl.DataFrame(schema={PARENT_ID: pl.Int64, "children": pl.Float64})
    deepest: int = frame.select(pl.col(DEPTH).max()).item() or 0
    for depth in range(deepest, -1, -1):
        level = frame.filter(pl.col(DEPTH) == depth).join(
            below.rename({PARENT_ID: ID}), on=ID, how="left"
        )
        level = level.with_columns(pl.coalesce(OWN, "children").alias(PROGRESS))
        done.append(level.select(ID, DEPTH, PROGRESS))
        counted = level.filter(~pl.col(ARCHIVED) & pl.col(PROGRESS).is_not_null())
        below = (
            counted.filter(pl.col(PARENT_ID).is_not_null())
            .sort(ID)
            .group_by(PARENT_ID, maintain_order=True)
            .agg(((pl.col(PROGRESS) * pl.col(WEIGHT)).sum(), pl.col(WEIGHT).sum().alias("w")))
            .select(
                PARENT_ID,
                pl.when(pl.col("w") > 0)
                .then(pl.col(PROGRESS) / pl.col("w"))
                .otherwise(None)
                .alias("children"),
            )
        )
    return pl.concat(done).sort(ID)
