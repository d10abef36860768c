"""Compress the wide text columns with LZ4 on PostgreSQL (when the server has it).

A result's JSON explanation (~3.7 kB for 20 indicators) and a ledger payload are written
100,000 at a time when a large cycle is scored and published; the default pglz compression
took about half of the write time, LZ4 about a quarter of it (docs/benchmarks.md,
cycle_score_100k_postgres). Reading is faster too. Nothing changes on SQLite.
"""

from typing import Any

from django.db import migrations

COLUMNS = (
    ("performance_result", "indicators"),
    ("performance_result", "categories"),
    ("performance_ledgerentry", "payload"),
)


def _has_lz4(schema_editor: Any) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def _set(method: str) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql" or not _has_lz4(schema_editor):
            return
        for table, column in COLUMNS:
            schema_editor.execute(
                f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {method}"
            )

    return run


class Migration(migrations.Migration):
    dependencies = [("performance", "0004_ledger_append_only")]
    operations = [migrations.RunPython(_set("lz4"), _set("pglz"))]
