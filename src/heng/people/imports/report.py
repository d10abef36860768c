"""What an import found: every bad row with its reason, and what it would change."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RowError:
    line: int  # the row number as the user sees it in Excel (header = 1)
    column: str
    value: str
    reason: str


@dataclass
class ImportReport:
    kind: str
    encoding: str = ""
    total_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    to_create: int = 0
    to_update: int = 0
    unchanged: int = 0
    committed: bool = False

    @property
    def bad_rows(self) -> int:
        return len({e.line for e in self.errors})

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, line: int, column: str, value: Any, reason: str) -> None:
        self.errors.append(RowError(line, column, "" if value is None else str(value), reason))

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "encoding": self.encoding,
            "total_rows": self.total_rows,
            "bad_rows": self.bad_rows,
            "to_create": self.to_create,
            "to_update": self.to_update,
            "unchanged": self.unchanged,
            "committed": self.committed,
            "errors": [e.__dict__ for e in sorted(self.errors, key=lambda e: (e.line, e.column))],
        }
