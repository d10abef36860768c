"""Bulk inserts of many model rows: ``bulk_create`` everywhere, COPY on PostgreSQL.

Django 5.2 sends PostgreSQL bulk inserts as ``INSERT … SELECT * FROM UNNEST(array, …)``; psycopg
then escapes every text value into an array literal in Python, one regex callback per quote.
For wide text columns (a result's JSON explanation, a ledger payload) that is most of the
time: 100,000 results took minutes. COPY hands the values to psycopg's C adapters instead.
Runs inside the caller's transaction, like ``bulk_create``.

* :func:`bulk_insert` — model instances (a few fields prepared by Django, the rest as is).
* :func:`insert_frame` — a Polars frame, written as CSV by Polars: no Python object per value
  (results, ledger entries, pace alerts, notifications by the ten thousand).
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Sequence
from typing import Any

import polars as pl
from django.db import connection, models
from django.utils import timezone

__all__ = ["bulk_insert", "insert_frame"]


# Field types whose Python value psycopg adapts exactly as Django would prepare it: read the
# attribute directly instead of three layers of ``get_db_prep_save`` per value (which was
# most of the time of writing 100,000 rows).
_AS_IS = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "FloatField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


def _getter(field: models.Field[Any, Any]) -> Callable[[models.Model], Any]:
    if field.get_internal_type() in _AS_IS and not field.choices:
        return operator.attrgetter(field.attname)
    if field.get_internal_type() == "DateTimeField" and not (
        getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ):
        return operator.attrgetter(field.attname)

    def prepared(obj: models.Model) -> Any:
        return field.get_db_prep_save(field.pre_save(obj, add=True), connection)

    return prepared


def _reserved_pks(model: type[models.Model], count: int) -> list[int]:
    """``count`` primary keys drawn from the table's identity sequence in one query, so COPY
    can write them and the caller knows them (what ``RETURNING id`` gives ``bulk_create``)."""
    meta = model._meta
    assert meta.pk is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


def bulk_insert(
    model: type[models.Model], objs: Sequence[models.Model], *, with_pks: bool = False
) -> int:
    """Insert ``objs`` (unsaved instances of ``model``); returns how many were written.

    With ``with_pks`` every object gets its primary key set, as ``bulk_create`` does on
    PostgreSQL and SQLite; without, primary keys the caller left empty are filled in by the
    database and not read back. A unique violation raises Django's ``IntegrityError`` and
    writes nothing (the caller's transaction or savepoint is then broken, as with any
    failed statement).
    """
    if not objs:
        return 0
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, batch_size=5000)
        return len(objs)
    meta = model._meta
    if with_pks and meta.pk is not None and getattr(objs[0], meta.pk.attname) is None:
        for obj, pk in zip(objs, _reserved_pks(model, len(objs)), strict=True):
            setattr(obj, meta.pk.attname, pk)
    pk_given = getattr(objs[0], meta.pk.attname) is not None if meta.pk else False
    fields = [f for f in meta.concrete_fields if pk_given or not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    sql = f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN"
    getters = [_getter(f) for f in fields]
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(sql) as copy,
    ):
        for obj in objs:
            copy.write_row([get(obj) for get in getters])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return len(objs)


def _csv_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """Datetimes as ISO text with an explicit UTC offset (PostgreSQL reads it unambiguously)."""
    return frame.with_columns(
        pl.col(name).dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%d %H:%M:%S%.6f+00:00")
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime)
    )


def _completed(model: type[models.Model], frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every field it leaves out set to the field's default (or NULL)."""
    meta = model._meta
    known = {f.attname for f in meta.concrete_fields}
    unknown = set(frame.columns) - known
    if unknown:
        raise ValueError(f"{meta.label} has no field(s) {sorted(unknown)}")
    fill: dict[str, Any] = {}
    for field in meta.concrete_fields:
        if field.primary_key or field.attname in frame.columns:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            fill[field.attname] = timezone.now()
            continue
        default = field.get_default()  # as a new instance would have it ("" for text)
        if default is None and not field.null:
            raise ValueError(f"{meta.label}.{field.attname} is required and has no default")
        fill[field.attname] = (
            json.dumps(default)
            if isinstance(field, models.JSONField) and default is not None
            else default
        )
    return frame.with_columns(pl.lit(v).alias(k) for k, v in fill.items()) if fill else frame


def _objects(model: type[models.Model], frame: pl.DataFrame) -> list[models.Model]:
    json_fields = [
        f.attname for f in model._meta.concrete_fields if isinstance(f, models.JSONField)
    ]
    objs = []
    for row in frame.iter_rows(named=True):
        for name in json_fields:
            if row.get(name) is not None:
                row[name] = json.loads(row[name])
        objs.append(model(**row))
    return objs


def insert_frame(
    model: type[models.Model], frame: pl.DataFrame, *, with_pks: bool = False
) -> pl.DataFrame:
    """Insert one row of ``model`` per row of ``frame``; returns the frame as written (with
    the primary key column when ``with_pks``).

    Columns are the fields' attribute names (``goal_id``, ``period_start`` …); fields left out
    get their default (or NULL) and a required field without one is an error. Datetime
    columns carry a time zone; JSON fields take JSON text. On PostgreSQL the frame goes
    through COPY as CSV written by Polars — no Python object per value, which for tens of
    thousands of pace alerts is the difference between a second and a tenth of one.
    """
    meta = model._meta
    assert meta.pk is not None
    pk_name = meta.pk.attname
    frame = _completed(model, frame)
    if frame.is_empty():
        if with_pks and pk_name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.Int64).alias(pk_name))
        return frame
    if connection.vendor != "postgresql":
        objs = _objects(model, frame)
        model._default_manager.bulk_create(objs, batch_size=5000)
        if with_pks and pk_name not in frame.columns:
            frame = frame.with_columns(pl.Series(pk_name, [o.pk for o in objs], pl.Int64))
        return frame
    if with_pks and pk_name not in frame.columns:
        frame = frame.with_columns(pl.Series(pk_name, _reserved_pks(model, frame.height)))
    column_of = {f.attname: str(f.column) for f in meta.concrete_fields}
    columns = ", ".join(connection.ops.quote_name(column_of[c]) for c in frame.columns)
    sql = f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN (FORMAT csv)"
    # Text quoted, NULL as a bare empty field: COPY tells an empty string from a NULL.
    data = _csv_ready(frame).write_csv(
        include_header=False, null_value="", quote_style="non_numeric"
    )
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(sql) as copy,
    ):
        copy.write(data.encode())
    return frame
