"""Make the ledger append-only in the database itself: UPDATE and DELETE are refused by
trigger on PostgreSQL and on SQLite (see docs/adr/0007-ledger.md).

TRUNCATE is deliberately not trapped: test databases are flushed with TRUNCATE between
transactional tests, and TRUNCATE needs table-owner rights that the application role should
not have in production (docs/adr/0007-ledger.md).
"""

from typing import Any

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION performance_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'append-only: the ledger refuses UPDATE, DELETE and TRUNCATE';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER performance_ledger_no_update BEFORE UPDATE OR DELETE
    ON performance_ledgerentry FOR EACH ROW EXECUTE FUNCTION performance_ledger_append_only();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS performance_ledger_no_update ON performance_ledgerentry;
DROP FUNCTION IF EXISTS performance_ledger_append_only();
"""
SQLITE_UP = [
    "CREATE TRIGGER performance_ledger_no_update BEFORE UPDATE ON performance_ledgerentry "
    "BEGIN SELECT RAISE(ABORT, 'append-only'); END;",
    "CREATE TRIGGER performance_ledger_no_delete BEFORE DELETE ON performance_ledgerentry "
    "BEGIN SELECT RAISE(ABORT, 'append-only'); END;",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS performance_ledger_no_update;",
    "DROP TRIGGER IF EXISTS performance_ledger_no_delete;",
]


def up(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_UP)
    elif vendor == "sqlite":
        for sql in SQLITE_UP:
            schema_editor.execute(sql)


def down(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DOWN)
    elif vendor == "sqlite":
        for sql in SQLITE_DOWN:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("performance", "0003_cycles")]
    operations = [migrations.RunPython(up, down)]
