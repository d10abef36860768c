"""Lookups shared by every kind of import, loaded once per file (not once per row)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from heng.org.models import OrgUnit, Position

Progress = Callable[[int], None]


@dataclass
class ImportContext:
    actor: Any
    # None = no limit (company-wide HR, the command line); else the tree paths allowed.
    scope_paths: tuple[str, ...] | None
    progress: Progress | None = None
    units: dict[str, OrgUnit] = field(default_factory=dict)
    positions: dict[str, Position] = field(default_factory=dict)

    def load(self) -> ImportContext:
        self.units = {u.code: u for u in OrgUnit.objects.all()}
        self.positions = {p.code: p for p in Position.objects.all()}
        return self

    def in_scope(self, unit: OrgUnit) -> bool:
        return self.scope_paths is None or any(unit.path.startswith(p) for p in self.scope_paths)

    def tick(self, n: int = 1) -> None:
        if self.progress is not None:
            self.progress(n)
