"""Writes of the performance domain (keyword-only, one transaction each, checked first)."""

from heng.performance.services.files import (
    ImportReport,
    scheme_document_import,
    scheme_file_export,
    scheme_file_import,
)
from heng.performance.services.indicators import (
    indicator_create,
    indicator_delete,
    indicator_formula_validate,
    indicator_update,
)
from heng.performance.services.overrides import ChangeIn, override_delete, override_save
from heng.performance.services.publish import scheme_problems, scheme_publish
from heng.performance.services.schemes import (
    framework_create,
    framework_update,
    scheme_create,
    scheme_line_add,
    scheme_line_remove,
    scheme_line_update,
    scheme_update,
    scheme_weights_set,
)

__all__ = [
    "ChangeIn",
    "ImportReport",
    "framework_create",
    "framework_update",
    "indicator_create",
    "indicator_delete",
    "indicator_formula_validate",
    "indicator_update",
    "override_delete",
    "override_save",
    "scheme_create",
    "scheme_document_import",
    "scheme_file_export",
    "scheme_file_import",
    "scheme_line_add",
    "scheme_line_remove",
    "scheme_line_update",
    "scheme_problems",
    "scheme_publish",
    "scheme_update",
    "scheme_weights_set",
]
