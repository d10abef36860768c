"""Reads of the performance domain."""

from heng.performance.selectors.documents import DbDirectory, scheme_document
from heng.performance.selectors.resolve import (
    ResolvedLine,
    ResolvedScheme,
    employee_placement,
    scheme_resolve_for,
    versions_in_effect,
)

__all__ = [
    "DbDirectory",
    "ResolvedLine",
    "ResolvedScheme",
    "employee_placement",
    "scheme_document",
    "scheme_resolve_for",
    "versions_in_effect",
]
