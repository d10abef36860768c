"""The facts' date index per database (ADR 0004).

PostgreSQL: a BRIN index on the date. Deliveries arrive roughly in date order, so a block-range
index serves "all facts of March" at almost no cost per inserted row — a B-tree on
(metric, date) made bulk loads about a third slower. SQLite keeps the B-tree.
"""

from django.db import migrations

PG_FORWARD = ["CREATE INDEX fact_date_brin ON integrations_fact USING brin (date)"]
PG_BACKWARD = ["DROP INDEX IF EXISTS fact_date_brin"]
SQLITE_FORWARD = ['CREATE INDEX fact_metric_date ON integrations_fact ("metric_id", "date")']
SQLITE_BACKWARD = ["DROP INDEX IF EXISTS fact_metric_date"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("integrations", "0002_fact_bulk_indexes")]

    operations = [
        migrations.RemoveIndex(model_name="fact", name="fact_metric_date"),
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
