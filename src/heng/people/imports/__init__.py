"""Bulk import / migration (A8) of org units, employees, assignments and contracts."""

from heng.people.imports.report import ImportReport, RowError
from heng.people.imports.run import run_import
from heng.people.imports.spec import KINDS, template_csv, template_xlsx

__all__ = ["KINDS", "ImportReport", "RowError", "run_import", "template_csv", "template_xlsx"]
