"""``run_import``: read → validate every row → (commit everything | nothing)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from heng.core.audit import audit_record
from heng.people.imports.context import ImportContext, Progress
from heng.people.imports.employees import plan_employees
from heng.people.imports.history import plan_assignments, plan_contracts
from heng.people.imports.reading import Table, read_table
from heng.people.imports.report import ImportReport
from heng.people.imports.spec import KINDS, header_map
from heng.people.imports.units import plan_units

PLANNERS: dict[str, Any] = {
    "units": plan_units,
    "employees": plan_employees,
    "assignments": plan_assignments,
    "contracts": plan_contracts,
}


def rows_of(kind: str, table: Table) -> list[dict[str, Any]]:
    columns = header_map(kind, table.headers)
    return [
        {"_line": i + 2, **{key: cells[index] for key, index in columns.items()}}
        for i, cells in enumerate(table.rows)
    ]


def run_import(
    *,
    kind: str,
    data: bytes,
    filename: str,
    actor: Any,
    commit: bool,
    scope_paths: tuple[str, ...] | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate the whole file; with ``commit`` and no bad row, apply it in one transaction.

    Any bad row means nothing is written. Running the same file again finds every row
    unchanged and writes nothing.
    """
    if kind not in KINDS:
        raise ValueError(kind)
    table = read_table(data, filename)
    report = ImportReport(kind=kind, encoding=table.encoding, total_rows=len(table.rows))
    rows = rows_of(kind, table)
    ctx = ImportContext(actor=actor, scope_paths=scope_paths, progress=progress).load()
    with transaction.atomic():
        plan = PLANNERS[kind](rows, report, ctx)
        if not commit or not report.ok or not (report.to_create or report.to_update):
            return report
        plan.apply(ctx)
        audit_record(
            actor=actor,
            action=f"import.{kind}",
            target_type="people.import",
            target_label=filename[:200],
            after={
                "created": report.to_create,
                "updated": report.to_update,
                "unchanged": report.unchanged,
                "rows": report.total_rows,
            },
        )
        report.committed = True
    return report
