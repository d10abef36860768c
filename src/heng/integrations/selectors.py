"""Reads: metric values for any period (vectorised), lineage, quarantine, templates."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from heng.core.errors import ValidationFailed
from heng.core.frames import read_frame
from heng.integrations.errors import reasons_text
from heng.integrations.fields import source_fields
from heng.integrations.files import ROW
from heng.integrations.formulas import Aggregate, Formula, parse_formula
from heng.integrations.models import Batch, Fact, Metric, QuarantinedRow, Source, ValueType

OUTPUT_SCHEMA = {
    "subject_type": pl.Utf8,
    "subject_id": pl.Int64,
    "key": pl.Utf8,
    "value": pl.Float64,
}
TABLE = Fact._meta.db_table
# Aggregations that mean "nothing delivered = 0" (sums and counts), as opposed to "unknown".
ZERO_WHEN_EMPTY = {"sum", "count", "distinct"}


@dataclass(frozen=True)
class Resolved:
    func: str
    metric: Metric

    @property
    def column(self) -> str:
        return f"{self.func}__{self.metric.pk}"


def resolve_metric(name: str, metrics: Iterable[Metric]) -> Metric:
    """``plays`` (must be unambiguous) or ``douyin.plays`` → the metric."""
    source_code, _sep, code = name.rpartition(".")
    found = [
        m for m in metrics if m.code == code and (not source_code or m.source.code == source_code)
    ]
    if len(found) == 1:
        return found[0]
    if not found:
        raise ValidationFailed(
            _("Unknown metric %(name)s.") % {"name": name},
            code="unknown_metric",
            fields={"formula": name},
        )
    raise ValidationFailed(
        _("Metric %(name)s exists in several sources (%(sources)s): write source.metric.")
        % {"name": name, "sources": ", ".join(sorted(m.source.code for m in found))},
        code="ambiguous_metric",
        fields={"formula": name},
    )


def resolve_formula(formula: Formula, metrics: list[Metric]) -> dict[Aggregate, Resolved]:
    resolved: dict[Aggregate, Resolved] = {}
    for agg in formula.aggregates:
        metric = resolve_metric(agg.metric, metrics)
        func = agg.func or metric.aggregation
        if metric.value_type == ValueType.TEXT and func not in ("count", "distinct"):
            raise ValidationFailed(
                _("%(metric)s holds text: only count() and distinct() apply to it.")
                % {"metric": agg.metric},
                code="formula_invalid",
                fields={"formula": agg.metric},
            )
        resolved[agg] = Resolved(func, metric)
    return resolved


def _subject_filter(
    employee_ids: list[int] | None, unit_ids: list[int] | None
) -> tuple[str, list[Any]]:
    if employee_ids is None and unit_ids is None:
        return "", []
    parts: list[str] = []
    params: list[Any] = []
    for column, ids in (("employee_id", employee_ids), ("unit_id", unit_ids)):
        if ids is None:
            continue
        if connection.vendor == "postgresql":
            parts.append(f"{column} = ANY(%s)")
            params.append(list(ids))
        else:
            parts.append(f"{column} IN (SELECT value FROM json_each(%s))")
            params.append(json.dumps(list(ids)))
    return " AND (" + " OR ".join(parts) + ")", params


_SQL_AGG = {
    "sum": "SUM(value)",
    "mean": "AVG(value)",
    "min": "MIN(value)",
    "max": "MAX(value)",
    "count": "COUNT(*)",
}


def _inline_last() -> bool:
    """PostgreSQL takes ``last()`` in the grouped pass; SQLite needs a window pass."""
    return connection.vendor == "postgresql"


# The latest fact's value as a plain aggregate: the largest [day, id, value] array is the
# latest fact (ids break ties within a day, as the window pass's ORDER BY does), and its third
# element is the value. This saves a second scan of the month's facts.
_LAST = (
    "(MAX(ARRAY[(date - DATE '2000-01-01')::float8, id::float8, value]) "
    "FILTER (WHERE metric_id = {id}))[3]"
)


def _aggregate_sql(needed: list[Resolved], where: str) -> str:
    columns = []
    for r in needed:
        if r.func == "last":
            if _inline_last():
                columns.append(f'{_LAST.format(id=int(r.metric.pk))} AS "{r.column}"')
            continue
        expression = _SQL_AGG.get(r.func) or (
            "COUNT(DISTINCT text)"
            if r.metric.value_type == ValueType.TEXT
            else "COUNT(DISTINCT value)"
        )
        columns.append(
            f'{expression} FILTER (WHERE metric_id = {int(r.metric.pk)}) AS "{r.column}"'
        )
    return (
        # (no columns when SQLite needs nothing but last(): the subjects, for its window pass)
        f"SELECT {', '.join(['employee_id', 'unit_id', *columns])} FROM {TABLE} {where} "
        "GROUP BY employee_id, unit_id"
    )


# A read over everyone, e.g. a month of facts for 100,000 people × 20 indicators:
# - work_mem: with PostgreSQL's default 4 MB per sort the grouping spills to disk (~0.3 s of
#   2.8);
# - JIT on, without inlining: Heng's connections run with JIT off (settings: full JIT spent
#   more time compiling than it saved), but compiling this pass's twenty FILTER clauses
#   without inlining is cheap and makes the aggregation faster: 2.14 s against 2.42 s with
#   JIT off and 2.28 s with full JIT (median of 8 interleaved reads of the benchmark's
#   6,000,000 facts, 2026-12-03).
# Reads for a list of people are small and keep the session's settings.
def _everyone_tuning() -> dict[str, str]:
    return {
        "work_mem": settings.HENG_ANALYTICS_WORK_MEM,
        "jit": "on",
        "jit_inline_above_cost": "-1",
    }


def _fetch(
    sql: str, params: list[Any], names: list[str], schema: dict[str, Any], *, everyone: bool
) -> pl.DataFrame:
    return read_frame(
        sql, params, {n: schema[n] for n in names}, tuning=_everyone_tuning() if everyone else None
    )


def metric_values(
    *,
    formulas: dict[str, str],
    period_start: dt.date,
    period_end: dt.date,
    employee_ids: list[int] | None = None,
    unit_ids: list[int] | None = None,
) -> pl.DataFrame:
    """Each formula's value per subject over [period_start, period_end] (both inclusive).

    One grouped SQL pass computes every ``func(metric)`` any formula needs (on SQLite plus
    one window pass if some need ``last``); the formulas then run as Polars expressions over
    all subjects at once. Columns: subject_type ("employee" | "unit"), subject_id, key (the
    formula's key), value. A subject appears for a formula when it has at least one fact of
    the formula's metrics in the period; there, missing sums and counts are 0, a missing
    mean/last/min/max is null, and a division by 0 is null. ``employee_ids`` / ``unit_ids``
    restrict the subjects (giving only one of them leaves out the other kind).
    """
    wide = metric_values_wide(
        formulas=formulas,
        period_start=period_start,
        period_end=period_end,
        employee_ids=employee_ids,
        unit_ids=unit_ids,
    )
    subjects = wide.select(
        pl.when(pl.col("employee_id").is_not_null())
        .then(pl.lit("employee"))
        .otherwise(pl.lit("unit"))
        .alias("subject_type"),
        pl.coalesce("employee_id", "unit_id").alias("subject_id"),
    )
    out = [
        subjects.select(
            "subject_type", "subject_id", pl.lit(key).alias("key"), wide[key].alias("value")
        ).filter(wide[seen_column(key)])
        for key in formulas
    ]
    if not out:
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    return (
        pl.concat(out)
        .cast(OUTPUT_SCHEMA)  # type: ignore[arg-type]
        .sort("key", "subject_type", "subject_id")
    )


def seen_column(key: str) -> str:
    """The wide frame's column telling whether a subject has data for formula ``key`` (a
    NUL byte cannot occur in a key: the databases refuse it in text)."""
    return f"{key}\x00seen"


def metric_values_wide(
    *,
    formulas: dict[str, str],
    period_start: dt.date,
    period_end: dt.date,
    employee_ids: list[int] | None = None,
    unit_ids: list[int] | None = None,
) -> pl.DataFrame:
    """:func:`metric_values` one row per subject: ``employee_id``, ``unit_id`` (one of them
    null), then per formula key its value (Float64, null where the subject has no data for
    it) and :func:`seen_column` (Boolean: it has a fact of the formula's metrics in the
    period — a value can be null with data, e.g. a division by 0). For everyone at once this
    skips building, sorting and joining millions of long rows: the pace check reads
    100,000 people × 20 KPIs this way."""
    if period_end < period_start:
        raise ValidationFailed(
            _("The period ends before it starts."),
            code="bad_period",
            fields={"period_end": str(period_end)},
        )
    parsed = {key: parse_formula(text) for key, text in formulas.items()}
    metrics = list(Metric.objects.select_related("source"))
    resolved = {key: resolve_formula(f, metrics) for key, f in parsed.items()}
    needed: list[Resolved] = []
    for mapping in resolved.values():
        needed += [r for r in mapping.values() if r not in needed]
    subjects_schema = {"employee_id": pl.Int64, "unit_id": pl.Int64}
    if not needed:
        return pl.DataFrame(schema=subjects_schema).with_columns(
            c for key in formulas for c in _empty_value_columns(key)
        )
    metric_ids = sorted({r.metric.pk for r in needed})
    subject_sql, subject_params = _subject_filter(employee_ids, unit_ids)
    where = (
        f"WHERE metric_id IN ({', '.join(str(i) for i in metric_ids)}) "
        f"AND date >= %s AND date <= %s{subject_sql}"
    )
    params = [period_start, period_end, *subject_params]
    inline_last = _inline_last()
    agg_columns = [r.column for r in needed if r.func != "last" or inline_last]
    names = ["employee_id", "unit_id", *agg_columns]
    schema = subjects_schema | dict.fromkeys(agg_columns, pl.Float64)
    everyone = employee_ids is None and unit_ids is None
    frame = _fetch(_aggregate_sql(needed, where), params, names, schema, everyone=everyone)
    lasts = [] if inline_last else [r for r in needed if r.func == "last"]
    if lasts:
        frame = _join_last(frame, lasts, where, params)
    columns: list[pl.Expr] = []
    for key, formula in parsed.items():
        mapping = resolved[key]
        # Data when any of its aggregates saw a fact: sums/means/last are null over no
        # facts, counts are 0.
        seen = pl.any_horizontal(
            [
                pl.col(r.column).fill_null(0) > 0
                if r.func in ("count", "distinct")
                else pl.col(r.column).is_not_null()
                for r in mapping.values()
            ]
        )

        def column(agg: Aggregate, mapping: dict[Aggregate, Resolved] = mapping) -> pl.Expr:
            r = mapping[agg]
            expr = pl.col(r.column)
            return expr.fill_null(0) if r.func in ZERO_WHEN_EMPTY else expr

        value = formula.to_expr(column).cast(pl.Float64)
        columns += [pl.when(seen).then(value).alias(key), seen.alias(seen_column(key))]
    return frame.select("employee_id", "unit_id", *columns)


def _empty_value_columns(key: str) -> list[pl.Expr]:
    return [pl.lit(None, pl.Float64).alias(key), pl.lit(False).alias(seen_column(key))]


def _join_last(
    frame: pl.DataFrame, lasts: list[Resolved], where: str, params: list[Any]
) -> pl.DataFrame:
    ids = ", ".join(str(r.metric.pk) for r in lasts)
    sql = (
        "SELECT employee_id, unit_id, metric_id, value FROM ("
        "SELECT employee_id, unit_id, metric_id, value, ROW_NUMBER() OVER (PARTITION BY "
        "metric_id, employee_id, unit_id ORDER BY date DESC, id DESC) AS rn "
        f"FROM {TABLE} {where} AND metric_id IN ({ids})) AS ranked WHERE rn = 1"
    )
    names = ["employee_id", "unit_id", "metric_id", "value"]
    last = _fetch(
        sql,
        params,
        names,
        {"employee_id": pl.Int64, "unit_id": pl.Int64, "metric_id": pl.Int64, "value": pl.Float64},
        everyone=False,  # SQLite's window pass: no work_mem there
    )
    for r in lasts:
        part = last.filter(pl.col("metric_id") == r.metric.pk).select(
            "employee_id", "unit_id", pl.col("value").alias(r.column)
        )
        frame = frame.join(part, on=["employee_id", "unit_id"], how="left", nulls_equal=True)
    return frame


# --- lineage (D4) -----------------------------------------------------------------------------
def fact_lineage(
    *,
    metric_codes: Iterable[str],
    employee_id: int | None = None,
    unit_id: int | None = None,
    period_start: dt.date,
    period_end: dt.date,
    limit: int = 500,
) -> dict[str, Any]:
    """The batches and source rows behind a value: every fact of these metrics for this
    employee (or unit) in the period, with the batch and row it came from."""
    metrics_all = list(Metric.objects.select_related("source"))
    metrics = [resolve_metric(code, metrics_all) for code in metric_codes]
    facts = Fact.objects.filter(metric__in=metrics, date__gte=period_start, date__lte=period_end)
    facts = (
        facts.filter(employee_id=employee_id)
        if employee_id is not None
        else facts.filter(unit_id=unit_id)
    )
    total = facts.count()
    values = facts.order_by("date", "metric_id", "id").values(
        "id", "metric_id", "date", "value", "text", "batch_id", "row_no", "natural_key"
    )[:limit]
    rows: list[dict[str, Any]] = [dict(v) for v in values]
    by_id = {m.pk: m for m in metrics}
    for row in rows:
        row["metric"] = str(by_id[row.pop("metric_id")])
    batch_ids = sorted(
        {r["batch_id"] for r in rows}
        | set(facts.values_list("batch_id", flat=True).distinct()[:1000])
    )
    batches = list(
        Batch.objects.filter(pk__in=batch_ids).select_related("source").order_by("created_at", "pk")
    )
    return {"rows": rows, "total_rows": total, "truncated": total > len(rows), "batches": batches}


def lineage_for_formula(*, formula: str, **kwargs: Any) -> dict[str, Any]:
    parsed = parse_formula(formula)
    return fact_lineage(metric_codes=sorted(parsed.metrics), **kwargs)


def lineage_detail(
    *,
    formula: str,
    period_start: dt.date,
    period_end: dt.date,
    employee_id: int | None = None,
    unit_id: int | None = None,
    limit: int = 200,
    raw_rows: int = 50,
) -> dict[str, Any]:
    """A formula's value for one employee (or unit) over the period, and what it is made of:
    the facts (with the source row as delivered for the first ``raw_rows``), and the batches.

    The caller has checked that the subject is in the reader's scope. Keys: value, rows,
    total_rows, truncated, batches (Batch objects). Raises ValidationFailed for a bad formula
    or period."""
    if (employee_id is None) == (unit_id is None):
        raise ValidationFailed(fields={"employee_id": _("give an employee or an org unit")})
    subject: dict[str, Any] = (
        {"employee_id": employee_id} if employee_id is not None else {"unit_id": unit_id}
    )
    values = metric_values(
        formulas={"value": formula},
        period_start=period_start,
        period_end=period_end,
        employee_ids=[employee_id] if employee_id is not None else None,
        unit_ids=[unit_id] if unit_id is not None else None,
    )
    found = lineage_for_formula(
        formula=formula, period_start=period_start, period_end=period_end, limit=limit, **subject
    )
    raw: dict[tuple[int, int], dict[str, Any]] = {}
    for batch in found["batches"]:
        wanted = [r["row_no"] for r in found["rows"][:raw_rows] if r["batch_id"] == batch.pk]
        for row_no, row in source_rows(batch, wanted).items():
            raw[(batch.pk, row_no)] = row
    for row in found["rows"]:
        row["raw"] = raw.get((row["batch_id"], row["row_no"]))
    return {**found, "value": values["value"][0] if values.height else None}


def source_rows(batch: Batch, row_nos: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The raw rows (as delivered) behind some facts of one batch."""
    from heng.integrations.services import load_payload

    wanted = sorted(set(row_nos))
    if not wanted or not batch.file:
        return {}
    try:
        table = load_payload(batch)
    except (OSError, ValidationFailed):
        return {}
    found = table.frame.filter(pl.col(ROW).is_in(wanted)).to_dicts()
    return {r.pop(ROW): r for r in found}


# --- quarantine and templates ------------------------------------------------------------------
def quarantine_for(batch: Batch, *, unresolved_only: bool = False) -> QuerySet[QuarantinedRow]:
    rows = batch.quarantine.all()
    return rows.filter(resolved_by__isnull=True) if unresolved_only else rows


def quarantine_csv(batch: Batch) -> bytes:
    """The bad rows as delivered, plus their reasons — fix them and upload the file again.

    ``_quarantine_id`` lets the next batch mark the corrected rows as resolved."""
    rows = list(quarantine_for(batch).order_by("row_no"))
    # The file's own column order (JSONB on PostgreSQL does not keep key order).
    columns: list[str] = [c for c in batch.columns if c != "_quarantine_id"]
    for row in rows:
        columns += [c for c in row.raw if c not in columns]
    out = io.StringIO()
    out.write("\ufeff")  # so that Excel opens the Chinese text as UTF-8
    writer = csv.writer(out)
    writer.writerow(["_quarantine_id", "_source_row", "_reason", *columns])
    for row in rows:
        writer.writerow(
            [
                row.pk,
                row.row_no,
                reasons_text(row.reasons),
                *[row.raw.get(c) if row.raw.get(c) is not None else "" for c in columns],
            ]
        )
    return out.getvalue().encode("utf-8")


def template_columns(source: Source) -> list[str]:
    return [f.code for f in source_fields(source)]


def template_csv(source: Source) -> bytes:
    columns = template_columns(source)
    example = {
        "employee_no": "E000001",
        "unit_code": "B-GZ",
        "date": dt.date.today().isoformat(),
        "metric": next(iter(source.metrics.values_list("code", flat=True)), ""),
        "value": "0",
    }
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerow([example.get(c, "") for c in columns])
    return out.getvalue().encode("utf-8")


def template_xlsx(source: Source) -> bytes:
    import xlsxwriter

    columns = template_columns(source)
    fields = {f.code: f for f in source_fields(source)}
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#f3e3e2"})
    sheet = book.add_worksheet(source.code[:31])
    for col, name in enumerate(columns):
        sheet.write(0, col, name, bold)
        sheet.set_column(col, col, max(12, len(name) + 2))
    help_sheet = book.add_worksheet(_("Columns")[:31])
    help_sheet.write_row(0, 0, [_("Column"), _("Meaning"), _("Required")], bold)
    for row, name in enumerate(columns, start=1):
        help_sheet.write_row(
            row, 0, [name, fields[name].label, _("yes") if fields[name].required else ""]
        )
    help_sheet.set_column(0, 1, 28)
    book.close()
    return buffer.getvalue()
