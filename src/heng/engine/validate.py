"""Input-frame checks: required columns, types, keys, duplicates. Errors name the items."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from heng.engine.errors import EngineError

__all__ = ["MAX_LISTED", "frame_columns", "listed", "require_unique"]

MAX_LISTED = 20  # how many offending items an error lists (the count is always given)

_NUMERIC = (
    pl.Float64,
    pl.Float32,
    pl.Int64,
    pl.Int32,
    pl.Int16,
    pl.Int8,
    pl.UInt64,
    pl.UInt32,
    pl.UInt16,
    pl.UInt8,
    pl.Decimal,
    pl.Null,
)


def listed(rows: Iterable[Any]) -> list[Any]:
    return list(rows)[:MAX_LISTED]


def frame_columns(
    df: pl.DataFrame,
    frame: str,
    *,
    text: Sequence[str] = (),
    numbers: Sequence[str] = (),
    optional_text: dict[str, str | None] | None = None,
    optional_numbers: Sequence[str] = (),
    keys: Sequence[str] = (),
    blank_check: bool = True,
) -> pl.DataFrame:
    """Check and normalise the columns of an input frame.

    Text columns become String, numbers Float64; missing optional columns are added with
    their default (null for numbers). ``keys`` must be non-null and non-empty. Other columns
    are kept as they are (attributes).
    """
    if not isinstance(df, pl.DataFrame):
        raise EngineError(
            "frame_invalid", f"{frame}: expected a polars DataFrame", {"frame": frame}
        )
    for name in (*text, *numbers):
        if name not in df.columns:
            raise EngineError(
                "column_missing",
                f"{frame}: required column {name!r} is missing",
                {"frame": frame, "column": name},
            )
    casts: list[pl.Expr] = []
    for name in (*numbers, *(n for n in optional_numbers if n in df.columns)):
        dtype = df.schema[name]
        if not isinstance(dtype, _NUMERIC):
            raise EngineError(
                "column_type",
                f"{frame}: column {name!r} must be numeric, got {dtype}",
                {"frame": frame, "column": name, "dtype": str(dtype)},
            )
        casts.append(pl.col(name).cast(pl.Float64))
    for name in (*text, *(n for n in (optional_text or {}) if n in df.columns)):
        dtype = df.schema[name]
        if dtype not in (pl.String, pl.Categorical, pl.Null) and not isinstance(dtype, pl.Enum):
            raise EngineError(
                "column_type",
                f"{frame}: column {name!r} must be text, got {dtype}",
                {"frame": frame, "column": name, "dtype": str(dtype)},
            )
        casts.append(pl.col(name).cast(pl.String))
    for name in optional_numbers:
        if name not in df.columns:
            casts.append(pl.lit(None, dtype=pl.Float64).alias(name))
    for name, default in (optional_text or {}).items():
        if name not in df.columns:
            casts.append(pl.lit(default, dtype=pl.String).alias(name))
    if casts:
        df = df.with_columns(casts)
    for name in keys:
        count = df.get_column(name).null_count()
        if blank_check and not count:  # large frames skip the text scan: "" simply won't match
            count = df.filter(pl.col(name).str.strip_chars() == "").height
        if count:
            raise EngineError(
                "key_missing",
                f"{frame}: column {name!r} is blank in {count} row(s)",
                {"frame": frame, "column": name, "count": count},
            )
    return df


def require_unique(df: pl.DataFrame, keys: Sequence[str], frame: str) -> None:
    """Refuse duplicate keys (e.g. two values for the same employee and indicator)."""
    dup = (
        df.group_by(list(keys)).agg(pl.len().alias("_n")).filter(pl.col("_n") > 1).sort(list(keys))
    )
    if dup.height:
        rows = dup.drop("_n").head(MAX_LISTED).to_dicts()
        raise EngineError(
            "duplicate_row",
            f"{frame}: {dup.height} duplicated key(s) on {', '.join(keys)}, first {rows[0]}",
            {"frame": frame, "keys": list(keys), "rows": rows, "count": dup.height},
        )
