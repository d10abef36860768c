"""Indexes that depend on the database, for bulk-loaded facts (ADR 0004).

PostgreSQL: natural keys compare byte-wise (``COLLATE "C"``) so that the ingestion service's
key-range probe agrees with Polars' ordering, and the batch index is a BRIN (a batch's facts are
written contiguously by COPY, so a block-range index finds them at almost no write cost).
SQLite: byte-wise comparison is already the default; the batch index is a plain B-tree.
"""

from django.db import migrations

PG_FORWARD = [
    'ALTER TABLE integrations_fact ALTER COLUMN natural_key TYPE varchar(200) COLLATE "C"',
    "CREATE INDEX fact_batch_brin ON integrations_fact USING brin (batch_id)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS fact_batch_brin",
    "ALTER TABLE integrations_fact ALTER COLUMN natural_key TYPE varchar(200)",
]
SQLITE_FORWARD = ["CREATE INDEX fact_batch_btree ON integrations_fact (batch_id)"]
SQLITE_BACKWARD = ["DROP INDEX IF EXISTS fact_batch_btree"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("integrations", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
