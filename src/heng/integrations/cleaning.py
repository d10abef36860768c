"""The cleaning pipeline (D3) as whole-frame Polars operations — no loop per row.

    mapped rows ─► drop test records ─► validate (subject, date, key, every value)
                 ─► quarantine rows with any problem ─► drop duplicates (in the batch, then
                 against what the source already delivered) ─► facts

A row is taken or quarantined whole, never half. Every row ends in exactly one bucket, so
``received = test + duplicates + quarantined + committed``. Problems are codes with the field
and the offending value; :mod:`heng.integrations.errors` words them for people.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from heng.integrations.files import ROW

QUARANTINE_ID = "_quarantine_id"
SEP = "\x1f"  # joins natural-key parts; never typed by people
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%Y.%m.%d")
EARLIEST = dt.date(2000, 1, 1)
TRUTHY = ["1", "y", "yes", "true", "t", "是", "测试", "test", "x", "✓"]
MAX_KEY = 200


@dataclass(frozen=True)
class MetricSpec:
    id: int
    code: str
    value_type: str  # integer | decimal | percent | text
    min_value: float | None = None
    max_value: float | None = None
    labels: tuple[str, ...] = ()  # names a file column may carry (zh, en)


@dataclass(frozen=True)
class SourceSpec:
    subject_field: str  # employee_no | unit_code
    layout: str  # wide | long
    metrics: tuple[MetricSpec, ...]
    natural_key: tuple[str, ...] = ()
    test_rule: dict[str, object] = field(default_factory=dict)

    def metric(self, code: str) -> MetricSpec | None:
        return next((m for m in self.metrics if m.code == code), None)


@dataclass
class Cleaned:
    facts: pl.DataFrame  # metric_id, subject_id, date, value, text, row_no, natural_key
    quarantine: pl.DataFrame  # _row, reasons: list[struct{code, field, detail}]
    received: int = 0
    test_rows: int = 0
    duplicates: int = 0
    committed: int = 0
    resolved: list[int] = field(default_factory=list)  # quarantine ids corrected by this batch
    # _row, same_as: the earlier row of this batch it repeats, or null when the source had
    # already delivered it in an earlier batch.
    duplicate_rows: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema={ROW: pl.Int64, "same_as": pl.Int64})
    )

    @property
    def quarantined(self) -> int:
        return self.quarantine.height

    @property
    def period(self) -> tuple[dt.date | None, dt.date | None]:
        if self.facts.is_empty():
            return None, None
        return self.facts["date"].min(), self.facts["date"].max()  # type: ignore[return-value]


ExistingKeys = Callable[[pl.Series], pl.Series]
FACT_SCHEMA = {
    "metric_id": pl.Int64,
    "subject_id": pl.Int64,
    "date": pl.Date,
    "value": pl.Float64,
    "text": pl.Utf8,
    "row_no": pl.Int64,
    "natural_key": pl.Utf8,
}
REASON = pl.Struct({"code": pl.Utf8, "field": pl.Utf8, "detail": pl.Utf8})


def _strip(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.Utf8).str.strip_chars().replace("", None)


def parse_dates(expr: pl.Expr) -> pl.Expr:
    text = expr.str.strip_chars().str.slice(0, 10).str.replace_all(r"\s.*$", "")
    full = expr.str.strip_chars()
    return pl.coalesce(
        [full.str.to_date(f, strict=False) for f in DATE_FORMATS]
        + [text.str.to_date(f, strict=False) for f in DATE_FORMATS[:2]]
    )


def parse_numbers(expr: pl.Expr) -> pl.Expr:
    """ "1,234.5" → 1234.5, "12%" → 12, "abc" → null. Thousands separators of both widths."""
    text = (
        expr.str.strip_chars()
        .str.replace_all(r"[,，\s]", "")
        .str.strip_suffix("%")
        .str.strip_prefix("+")
    )
    return text.cast(pl.Float64, strict=False)


def _numbers(raw: pl.Series) -> pl.Series:
    """:func:`parse_numbers`, with the separators and signs handled only where a plain cast
    fails (a cast that succeeds gives what the full parse would)."""
    values = raw.cast(pl.Float64, strict=False)
    hard = (values.is_null() & raw.is_not_null()).arg_true()
    if hard.is_empty():
        return values
    parsed = raw.gather(hard).to_frame("_raw").select(parse_numbers(pl.col("_raw")))
    return values.scatter(hard, parsed.to_series())


def _error(
    frame: pl.DataFrame, mask: pl.Expr, code: str, field_name: str | pl.Expr, detail: pl.Expr
) -> pl.DataFrame:
    name = pl.lit(field_name) if isinstance(field_name, str) else field_name
    return frame.filter(mask).select(
        pl.col(ROW),
        pl.struct(
            code=pl.lit(code),
            field=name.cast(pl.Utf8),
            detail=detail.cast(pl.Utf8).str.slice(0, 80),
        ).alias("reason"),
    )


def clean(
    frame: pl.DataFrame,
    spec: SourceSpec,
    *,
    subjects: pl.DataFrame,  # key (Utf8) → subject_id (Int64): only subjects the actor may feed
    existing_keys: ExistingKeys,
    today: dt.date,
) -> Cleaned:
    received = frame.height
    subject = spec.subject_field
    # 1. test records (a flag column, or an account on the test list) leave first, unvalidated.
    rule = spec.test_rule or {}
    is_test = pl.lit(False)
    flag, account = str(rule.get("flag_field") or ""), str(rule.get("account_field") or "")
    if flag and flag in frame.columns:
        is_test = is_test | _strip(flag).str.to_lowercase().is_in(TRUTHY).fill_null(False)
    accounts = [str(a) for a in rule.get("accounts", []) or []]  # type: ignore[attr-defined]
    if account and account in frame.columns and accounts:
        is_test = is_test | _strip(account).is_in(accounts).fill_null(False)
    test_rows = int(frame.select(is_test.sum()).item()) if received else 0
    rows = frame.filter(~is_test) if test_rows else frame

    # 2. per-row fields: subject id, date.
    rows = rows.with_columns(
        _strip(subject).alias("_subject")
        if subject in rows.columns
        else pl.lit(None, pl.Utf8).alias("_subject")
    )
    rows = rows.join(
        subjects.rename({"key": "_subject", "subject_id": "_subject_id"}), on="_subject", how="left"
    )
    date_raw = _strip("date") if "date" in rows.columns else pl.lit(None, pl.Utf8)
    rows = rows.with_columns(date_raw.alias("_date_raw"))
    # A file has few distinct dates (one per day): parse each once, not once per row.
    dates = rows.select(pl.col("_date_raw").unique()).with_columns(
        parse_dates(pl.col("_date_raw")).alias("_date")
    )
    rows = rows.join(dates, on="_date_raw", how="left", nulls_equal=True, maintain_order="left")
    errors = [
        _error(rows, pl.col("_subject").is_null(), "missing", subject, pl.lit("")),
        _error(
            rows,
            pl.col("_subject").is_not_null() & pl.col("_subject_id").is_null(),
            "unknown_employee" if subject == "employee_no" else "unknown_unit",
            subject,
            pl.col("_subject"),
        ),
        _error(rows, pl.col("_date_raw").is_null(), "missing", "date", pl.lit("")),
        _error(
            rows,
            pl.col("_date_raw").is_not_null() & pl.col("_date").is_null(),
            "bad_date",
            "date",
            pl.col("_date_raw"),
        ),
        _error(rows, pl.col("_date") > today, "future_date", "date", pl.col("_date_raw")),
        _error(rows, pl.col("_date") < EARLIEST, "date_out_of_range", "date", pl.col("_date_raw")),
    ]
    key_fields = [f for f in spec.natural_key if f not in (subject, "date")]
    for name in key_fields:
        column = _strip(name) if name in rows.columns else pl.lit(None, pl.Utf8)
        errors.append(_error(rows, column.is_null(), "missing", name, pl.lit("")))

    # 3. values: one long row per (source row, metric).
    values = _values(rows, spec)
    metrics = pl.DataFrame(
        {
            "_metric": [m.code for m in spec.metrics],
            "metric_id": [m.id for m in spec.metrics],
            "_type": [m.value_type for m in spec.metrics],
            "_min": [m.min_value for m in spec.metrics],
            "_max": [m.max_value for m in spec.metrics],
        },
        schema={
            "_metric": pl.Utf8,
            "metric_id": pl.Int64,
            "_type": pl.Utf8,
            "_min": pl.Float64,
            "_max": pl.Float64,
        },
    )
    values = values.join(metrics, on="_metric", how="left", maintain_order="left")
    values = values.with_columns(_numbers(values["_raw"]).alias("value"))
    numeric = pl.col("_type") != "text"
    known = pl.col("metric_id").is_not_null()
    errors += [
        _error(values, pl.col("_metric").is_null(), "missing", "metric", pl.lit("")),
        _error(
            values,
            pl.col("_metric").is_not_null() & ~known,
            "unknown_metric",
            "metric",
            pl.col("_metric"),
        ),
        _error(
            values,
            known & numeric & pl.col("_raw").is_null(),
            "missing",
            "value",
            pl.col("_metric"),
        ),
        _error(
            values,
            known
            & numeric
            & pl.col("_raw").is_not_null()
            & (pl.col("value").is_null() | ~pl.col("value").is_finite()),
            "not_a_number",
            pl.col("_metric"),
            pl.col("_raw"),
        ),
        _error(
            values,
            known & (pl.col("_type") == "integer") & (pl.col("value") % 1 != 0),
            "not_integer",
            pl.col("_metric"),
            pl.col("_raw"),
        ),
        _error(
            values,
            known & numeric & (pl.col("value") < pl.col("_min")),
            "below_min",
            pl.col("_metric"),
            pl.col("_raw"),
        ),
        _error(
            values,
            known & numeric & (pl.col("value") > pl.col("_max")),
            "above_max",
            pl.col("_metric"),
            pl.col("_raw"),
        ),
    ]
    if spec.layout == "wide":
        with_values = values.select(ROW).unique()
        errors.append(
            _error(
                rows.join(with_values, on=ROW, how="anti"),
                pl.lit(True),
                "no_values",
                "",
                pl.lit(""),
            )
        )
    fixed = [e for e in errors if not e.is_empty()]
    problems = pl.concat(fixed) if fixed else pl.DataFrame(schema={ROW: pl.Int64, "reason": REASON})
    quarantine = (
        problems.group_by(ROW, maintain_order=True).agg(pl.col("reason").alias("reasons")).sort(ROW)
    )
    good = values.join(quarantine.select(ROW), on=ROW, how="anti").join(
        rows.select(
            ROW,
            "_subject",
            "_subject_id",
            "_date",
            *[c for c in (QUARANTINE_ID, *key_fields) if c in rows.columns],
        ),
        on=ROW,
        how="left",
    )

    # 4. duplicates: the natural key, first inside the batch, then against earlier batches.
    duplicates = 0
    duplicate_rows = pl.DataFrame(schema={ROW: pl.Int64, "same_as": pl.Int64})
    if spec.natural_key:
        parts = []
        for name in spec.natural_key:
            if name == "date":
                parts.append(pl.col("_date").cast(pl.Utf8))
            elif name == subject:
                parts.append(pl.col("_subject"))
            else:
                parts.append(_strip(name))
        if spec.layout == "long":
            parts.append(pl.col("_metric"))
        good = _shorten(good.with_columns(pl.concat_str(parts, separator=SEP).alias("natural_key")))
        row_keys = good.select(ROW, "natural_key")
        if spec.layout == "wide":  # one key per source row, repeated on each of its values
            row_keys = row_keys.unique(ROW, keep="first")
        first, repeats = _first_and_repeats(row_keys.sort(ROW))
        dropped = [repeats]
        if first.height:
            seen = existing_keys(first["natural_key"])
            if seen.len():
                fresh = first.join(seen.to_frame("natural_key"), on="natural_key", how="anti")
                earlier = first.join(fresh.select(ROW), on=ROW, how="anti")
                dropped.append(earlier.select(ROW, pl.lit(None, pl.Int64).alias("same_as")))
                first = fresh
        duplicate_rows = pl.concat(dropped).sort(ROW)
        duplicates = duplicate_rows.height
        good = good.filter(~pl.col(ROW).is_in(duplicate_rows[ROW].implode()))
    else:
        good = good.with_columns(pl.lit(None, pl.Utf8).alias("natural_key"))

    resolved: list[int] = []
    if QUARANTINE_ID in good.columns:
        resolved = sorted(
            {int(v) for v in good[QUARANTINE_ID].drop_nulls().to_list() if str(v).isdigit()}
        )
    facts = (
        good.select(
            pl.col("metric_id"),
            pl.col("_subject_id").alias("subject_id"),
            pl.col("_date").alias("date"),
            pl.when(pl.col("_type") == "text").then(None).otherwise(pl.col("value")).alias("value"),
            pl.when(pl.col("_type") == "text")
            .then(pl.col("_raw").str.slice(0, 200))
            .otherwise(None)
            .alias("text"),
            pl.col(ROW).alias("row_no"),
            pl.col("natural_key"),
        )
        .cast(FACT_SCHEMA)  # type: ignore[arg-type]
        .sort("row_no", "metric_id")
    )  # type: ignore[arg-type]
    return Cleaned(
        facts=facts,
        quarantine=quarantine,
        received=received,
        test_rows=test_rows,
        duplicates=duplicates,
        committed=facts["row_no"].n_unique() if facts.height else 0,
        resolved=resolved,
        duplicate_rows=duplicate_rows,
    )


def _first_and_repeats(row_keys: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split ``_row, natural_key`` (sorted by row) into the first row of each key and the
    later rows repeating one (``_row, same_as``).

    Keys are compared by their 64-bit hash first, and as strings only among the rows whose
    hash is shared — usually the few real repeats — which is several times cheaper than
    hashing a million strings for an exact first-occurrence pass.
    """
    shared = pl.col("natural_key").hash().is_duplicated()
    unique = row_keys.filter(~shared)
    suspects = row_keys.filter(shared).with_columns(
        pl.col("natural_key").is_first_distinct().alias("_first")
    )
    firsts = suspects.filter(pl.col("_first")).drop("_first")
    repeats = (
        suspects.filter(~pl.col("_first"))
        .join(firsts.rename({ROW: "same_as"}), on="natural_key")
        .select(ROW, "same_as")
    )
    return pl.concat([unique, firsts]).sort(ROW), repeats


def _values(rows: pl.DataFrame, spec: SourceSpec) -> pl.DataFrame:
    if spec.layout == "long":
        metric = _strip("metric") if "metric" in rows.columns else pl.lit(None, pl.Utf8)
        value = _strip("value") if "value" in rows.columns else pl.lit(None, pl.Utf8)
        return rows.select(pl.col(ROW), metric.alias("_metric"), value.alias("_raw"))
    present = [m.code for m in spec.metrics if m.code in rows.columns]
    if not present:
        return pl.DataFrame(schema={ROW: pl.Int64, "_metric": pl.Utf8, "_raw": pl.Utf8})
    return (
        rows.select(pl.col(ROW), *[_strip(c).alias(c) for c in present])
        .unpivot(index=ROW, on=present, variable_name="_metric", value_name="_raw")
        .filter(pl.col("_raw").is_not_null())
        .sort(ROW, maintain_order=True)
    )


def _shorten(frame: pl.DataFrame) -> pl.DataFrame:
    """Keys longer than the column hold their SHA-1 instead (stable across versions)."""
    long = frame.filter(pl.col("natural_key").str.len_bytes() > MAX_KEY)
    if long.is_empty():
        return frame
    keys = long["natural_key"].unique().to_list()
    hashed = {k: "sha1:" + hashlib.sha1(k.encode()).hexdigest() for k in keys}
    return frame.with_columns(pl.col("natural_key").replace(hashed))
