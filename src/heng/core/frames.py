"""Reads straight into Polars frames.

    frame = read_frame("SELECT id, total FROM t WHERE x = %s", [1], {"id": pl.Int64, ...})
    frame = queryset_frame(Employee.objects.values_list("pk", "unit_id"), schema)

On PostgreSQL the answer streams as CSV through ``COPY (query) TO STDOUT`` into Polars' CSV
reader: no Python object per value, so 100,000 × 20 values arrive in a fraction of a second
(a cursor's ``fetchall`` builds 2,000,000 Python floats first). Parameters are bound
client-side by psycopg, never pasted as text. Elsewhere (SQLite) a plain cursor read.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Mapping
from typing import Any

import polars as pl
from django.db import connection
from django.db.models import QuerySet

__all__ = ["fixed_point", "fixed_text", "json_string", "queryset_frame", "read_frame"]

Schema = dict[str, Any]  # column → Polars dtype, in the order the query returns them


def read_frame(
    sql: str,
    params: list[Any] | tuple[Any, ...],
    schema: Schema,
    *,
    tuning: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """``tuning`` (PostgreSQL): planner/executor settings for this one query, e.g.
    ``{"work_mem": "128MB"}`` (memory each sort or hash may use before spilling to disk); the
    session's own values are restored afterwards."""
    typed = dict(schema)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg import ClientCursor

            query = ClientCursor(cursor.connection).mogrify(sql, params)
            buffer = io.BytesIO()
            with (
                connection.wrap_database_errors,
                _tuned(cursor, tuning or {}),
                cursor.cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)") as copy,
            ):
                for chunk in copy:
                    buffer.write(chunk)
            if not buffer.getbuffer().nbytes:
                return pl.DataFrame(schema=typed)
            buffer.seek(0)
            # PostgreSQL's CSV writes booleans as t/f, which Polars' reader does not take.
            flags = [name for name, dtype in typed.items() if dtype == pl.Boolean]
            frame = pl.read_csv(
                buffer, has_header=False, schema=typed | dict.fromkeys(flags, pl.Utf8)
            )
            return frame.with_columns(pl.col(flags) == "t") if flags else frame
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return pl.DataFrame(rows, schema=typed, orient="row")


@contextlib.contextmanager
def _tuned(cursor: Any, tuning: Mapping[str, str]) -> Iterator[None]:
    if not tuning:
        yield
        return
    names = list(tuning)
    before = []
    for name in names:
        cursor.execute(
            "SELECT current_setting(%s), set_config(%s, %s, false)", [name, name, tuning[name]]
        )
        before.append(cursor.fetchone()[0])

    def restore() -> None:
        for name, value in zip(names, before, strict=True):
            cursor.execute("SELECT set_config(%s, %s, false)", [name, value])

    try:
        yield
    except Exception:
        # A failed read inside a transaction aborts it, and its rollback undoes the settings
        # too; outside one (autocommit) the connection is still usable: restore them there.
        if not connection.in_atomic_block:
            restore()
        raise
    restore()


def queryset_frame(queryset: QuerySet[Any], schema: Schema) -> pl.DataFrame:
    """A ``values_list`` queryset as a frame; ``schema`` names its columns in order."""
    sql, params = queryset.query.sql_with_params()
    return read_frame(sql, list(params), schema)


def fixed_point(expr: pl.Expr, places: int = 4) -> pl.Expr:
    """A float column as fixed-point text with ``places`` decimals ("-1.5000"); null stays
    null. Through Polars' decimal type (rounded to nearest; 4× faster than integer
    arithmetic on strings). For numbers already rounded to ``places`` (the engine's, ADR
    0002) this is the text ``f"{x:.4f}"`` gives, except that a negative zero is "0.0000" —
    see :func:`fixed_text`, its one-value twin."""
    return expr.cast(pl.Decimal(38, places)).cast(pl.Utf8)


def fixed_text(value: float | None, places: int = 4) -> str | None:
    """One value as :func:`fixed_point` writes it."""
    if value is None:
        return None
    scale = 10**places
    n = round(value * scale)
    return f"{'-' if n < 0 else ''}{abs(n) // scale}.{abs(n) % scale:0{places}d}"


def json_string(expr: pl.Expr) -> pl.Expr:
    """A text column as JSON string literals (quoted, escaped as ``json.dumps(…,
    ensure_ascii=False)`` does); null as ``null``. Polars' own JSON encoder does the escaping:
    ``{"v":"…"}`` minus its first five bytes and its last."""
    text = pl.struct(expr.alias("v")).struct.json_encode().str.slice(5)
    return text.str.slice(0, text.str.len_chars() - 1)
