"""What a ledger entry records of a result, built two ways with the same text.

The payload holds the result's totals as fixed-point text and, verbatim, its stored
explanation (every indicator's actual, target, benchmark, reference, attainment, score,
weights and contribution), so the ledger alone shows how each published total came about.

* :func:`publish_payloads` — every result of a cycle at publication, vectorised: one read
  of the results as a frame and one string concatenation per payload in Polars (100,000
  results in a second or two instead of half a minute of per-row JSON work).
* :func:`ledger_payload` — one result as a dict (corrections after publication, which add a
  ``reason``), encoded by :func:`heng.performance.services.ledger.canonical`.

A test checks that both give the same text for the same result.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl
from django.db import connection

from heng.core.frames import json_string, read_frame
from heng.performance.models import Cycle, Participant, Result
from heng.performance.services.ledger import Entry, RawJSON

# What a ledger entry records of a result, in this order (see _entry).
LEDGER_FIELDS = (
    "participant__employee_no",
    "total",
    "final_total",
    "final_rating",
    "rank",
    "group_size",
    "kpi",
    "bonus",
    "review_score",
    "indicators",
    "engine_version",
    "input_hash",
)
DECIMALS = ("total", "final_total", "kpi", "bonus", "review_score")


def _entry(cycle_code: str, kind: str, row: tuple[Any, ...]) -> Entry:
    no, total, final, rating, rank, size, kpi, bonus, review, indicators, version, digest = row
    return Entry(
        kind=kind,
        cycle_code=cycle_code,
        employee_no=no,
        payload={
            "kind": kind,
            "cycle": cycle_code,
            "employee_no": no,
            "total": str(total),
            "final_total": str(final),
            "rating": rating,
            "rank": rank,
            "group_size": size,
            "kpi": str(kpi),
            "bonus": str(bonus),
            "review": None if review is None else str(review),
            "indicators": RawJSON(indicators),
            "engine_version": version,
            "input_hash": digest,
        },
    )


def ledger_payload(result: Result, cycle: Cycle, kind: str = "result") -> Entry:
    """The ledger entry of one result (corrections after publication)."""
    values = [result.participant.employee_no]
    values += [getattr(result, f) for f in LEDGER_FIELDS[1:]]
    return _entry(cycle.code, kind, tuple(values))


_SCHEMA = {
    "employee_no": pl.Utf8,
    "total": pl.Utf8,
    "final_total": pl.Utf8,
    "rating": pl.Utf8,
    "rank": pl.Int64,
    "group_size": pl.Int64,
    "kpi": pl.Utf8,
    "bonus": pl.Utf8,
    "review": pl.Utf8,
    "indicators": pl.Utf8,
    "engine_version": pl.Utf8,
    "input_hash": pl.Utf8,
}


def _results(cycle: Cycle) -> pl.DataFrame:
    """The cycle's results by employee number, decimals as their exact stored text."""
    if connection.vendor == "postgresql":
        # numeric(12, 4) prints as str(Decimal) does ("85.5000"): read it as text, exactly.
        r, p = Result._meta.db_table, Participant._meta.db_table
        columns = ", ".join(
            f"r.{c}::text" if c in DECIMALS else f"r.{c}" for c in LEDGER_FIELDS[1:]
        )
        sql = (
            f"SELECT p.employee_no, {columns} FROM {r} r JOIN {p} p ON p.id = r.participant_id "
            "WHERE r.cycle_id = %s ORDER BY p.employee_no"
        )
        return read_frame(sql, [cycle.pk], _SCHEMA)
    rows = (
        Result.objects.filter(cycle=cycle)
        .order_by("participant__employee_no")
        .values_list(*LEDGER_FIELDS)
    )
    return pl.DataFrame(
        [
            tuple(
                None if v is None else str(v) if field in DECIMALS else v
                for field, v in zip(LEDGER_FIELDS, row, strict=True)
            )
            for row in rows
        ],
        schema=_SCHEMA,
        orient="row",
    )


def publish_payloads(cycle: Cycle, kind: str = "result") -> pl.DataFrame:
    """``employee_no, payload``: the canonical JSON text of every result's entry (as
    :func:`ledger_payload` and ``canonical`` write it), in employee-number order — the
    order they are chained in."""

    def key(name: str) -> pl.Expr:
        return pl.lit(f'"{name}":')

    def text(value: str) -> pl.Expr:
        return pl.lit(json.dumps(value, ensure_ascii=False))

    # Keys in sorted order, compact separators, as canonical() writes them.
    parts = [
        *(pl.lit("{"), key("bonus"), json_string(pl.col("bonus"))),
        *(pl.lit(","), key("cycle"), text(cycle.code)),
        *(pl.lit(","), key("employee_no"), json_string(pl.col("employee_no"))),
        *(pl.lit(","), key("engine_version"), json_string(pl.col("engine_version"))),
        *(pl.lit(","), key("final_total"), json_string(pl.col("final_total"))),
        *(pl.lit(","), key("group_size"), pl.col("group_size").cast(pl.Utf8)),
        *(pl.lit(","), key("indicators"), pl.col("indicators")),
        *(pl.lit(","), key("input_hash"), json_string(pl.col("input_hash"))),
        *(pl.lit(","), key("kind"), text(kind)),
        *(pl.lit(","), key("kpi"), json_string(pl.col("kpi"))),
        *(pl.lit(","), key("rank"), pl.col("rank").cast(pl.Utf8)),
        *(pl.lit(","), key("rating"), json_string(pl.col("rating"))),
        *(pl.lit(","), key("review"), json_string(pl.col("review"))),
        *(pl.lit(","), key("total"), json_string(pl.col("total")), pl.lit("}")),
    ]
    return _results(cycle).select("employee_no", pl.concat_str(parts).alias("payload"))
