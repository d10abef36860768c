"""Bulk inserts of many model rows: ``bulk_create`` everywhere, COPY on PostgreSQL.

Django 5.2 sends PostgreSQL bulk inserts as ``INSERT … SELECT * FROM UNNEST(array, …)``; psycopg
then escapes every text value into an array literal in Python, one regex callback per quote.
For wide text columns (a result's JSON explanation, a ledger payload) that is most of the
time: 100,000 results took minutes. COPY hands the values to psycopg's C adapters instead.
Runs inside the caller's transaction, like ``bulk_create``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models

__all__ = ["bulk_insert"]


def bulk_insert(model: type[models.Model], objs: Sequence[models.Model]) -> int:
    """Insert ``objs`` (unsaved instances of ``model``); returns how many were written.

    Primary keys the caller left empty are filled in by the database and are not read back
    (unlike ``bulk_create`` on PostgreSQL): use this where the caller does not need them.
    """
    if not objs:
        return 0
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, batch_size=5000)
        return len(objs)
    meta = model._meta
    pk_given = getattr(objs[0], meta.pk.attname) is not None if meta.pk else False
    fields = [f for f in meta.concrete_fields if pk_given or not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    sql = f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for obj in objs:
            copy.write_row(
                [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
            )
    return len(objs)
