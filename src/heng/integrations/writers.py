"""Bulk writes of facts: PostgreSQL COPY, SQLite executemany — inside the caller's transaction.

Both run on Django's own connection, so a batch's facts, its quarantine and its status change
commit together or not at all (a worker killed half-way leaves nothing behind).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import polars as pl
from django.db import connection

from heng.integrations.models import Fact

TABLE = Fact._meta.db_table
COLUMNS = (
    "metric_id",
    "employee_id",
    "unit_id",
    "date",
    "value",
    "text",
    "batch_id",
    "row_no",
    "natural_key",
)
COPY_ROWS = 100_000
INSERT_CHUNK = 50_000


def _rows(facts: pl.DataFrame, *, batch_id: int, subject_kind: str) -> pl.DataFrame:
    subject = pl.col("subject_id")
    none = pl.lit(None, pl.Int64)
    return facts.select(
        pl.col("metric_id"),
        (subject if subject_kind == "employee" else none).alias("employee_id"),
        (subject if subject_kind == "unit" else none).alias("unit_id"),
        pl.col("date"),
        pl.col("value"),
        pl.col("text"),
        pl.lit(batch_id, pl.Int64).alias("batch_id"),
        pl.col("row_no"),
        pl.col("natural_key"),
    )


def facts_write(facts: pl.DataFrame, *, batch_id: int, subject_kind: str) -> int:
    """Append ``facts`` (cleaning's frame) to the fact table; returns the number written."""
    if facts.is_empty():
        return 0
    rows = _rows(facts, batch_id=batch_id, subject_kind=subject_kind)
    if connection.vendor == "postgresql":
        _copy(rows)
    else:
        _executemany(rows)
    return rows.height


def _copy(rows: pl.DataFrame) -> None:
    # Columns empty throughout are left out (NULL by default): less for the server to parse.
    columns = [c for c in COLUMNS if rows[c].null_count() < rows.height]
    frame = rows.select(columns)
    sql = f"COPY {TABLE} ({', '.join(columns)}) FROM STDIN (FORMAT csv)"
    starts = range(0, frame.height, COPY_ROWS)

    def encode(start: int) -> bytes:
        return frame.slice(start, COPY_ROWS).write_csv(include_header=False).encode()

    # The next chunk is written as CSV (Polars, without the GIL) while the server parses and
    # indexes this one: the two cores work at the same time.
    with (
        ThreadPoolExecutor(max_workers=1) as encoder,
        connection.cursor() as cursor,
        cursor.cursor.copy(sql) as copy,
    ):
        for chunk in encoder.map(encode, starts):
            write_chunk(copy, chunk)


def write_chunk(copy: object, chunk: bytes) -> None:
    """One COPY chunk (a seam for the killed-worker test)."""
    copy.write(chunk)  # type: ignore[attr-defined]


def _executemany(rows: pl.DataFrame) -> None:
    # Columns that are empty throughout (unit_id for employee sources, text …) are left to
    # their NULL default, and the batch id is a constant: fewer values to bind per row.
    batch_id = int(rows["batch_id"][0])
    columns = [c for c in COLUMNS if c != "batch_id" and rows[c].null_count() < rows.height]
    rows = rows.select(columns).with_columns(pl.col("date").cast(pl.Utf8))
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {TABLE} ({', '.join(columns)}, batch_id) VALUES ({marks}, {batch_id})"
    with connection.cursor() as cursor:
        for start in range(0, rows.height, INSERT_CHUNK):
            insert_chunk(cursor, sql, rows.slice(start, INSERT_CHUNK))


def insert_chunk(cursor: object, sql: str, chunk: pl.DataFrame) -> None:
    """One executemany chunk (a seam for the killed-worker test). Rows are zipped from whole
    columns: much cheaper than building one Python tuple per row through Polars."""
    cursor.executemany(sql, zip(*(s.to_list() for s in chunk.iter_columns()), strict=True))  # type: ignore[attr-defined]


def existing_keys(metric_ids: list[int]) -> object:
    """A probe for cleaning: which of these natural keys did the source already send?

    Keys compare byte-wise on both databases (``COLLATE "C"`` on PostgreSQL), so every stored
    key equal to one of ours lies between our smallest and largest key: one index range scan.
    """

    def probe(keys: pl.Series) -> pl.Series:
        if not metric_ids or keys.is_empty():
            return pl.Series("natural_key", [], dtype=pl.Utf8)
        marks = ", ".join(["%s"] * len(metric_ids))
        sql = (
            f"SELECT DISTINCT natural_key FROM {TABLE} WHERE metric_id IN ({marks}) "
            "AND natural_key >= %s AND natural_key <= %s"
        )
        lowest, highest = str(keys.min()), str(keys.max())  # byte-wise, as the index
        with connection.cursor() as cursor:
            cursor.execute(sql, [*metric_ids, lowest, highest])
            found = [r[0] for r in cursor.fetchall()]
        return pl.Series("natural_key", found, dtype=pl.Utf8)

    return probe
