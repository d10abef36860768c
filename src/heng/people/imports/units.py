"""Importing org units: parents may come later in the file; existing codes are updated."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from heng.org.models import OrgUnit, UnitKind
from heng.org.services import unit_create, unit_move, unit_update
from heng.people.imports.context import ImportContext
from heng.people.imports.reading import text
from heng.people.imports.report import ImportReport

_FIELDS = ("name", "name_en", "kind", "partner_org")


@dataclass
class UnitPlan:
    # In creation order (parents first): (code, parent code or "", values)
    new: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    updates: list[tuple[OrgUnit, dict[str, Any], str | None]] = field(default_factory=list)

    def apply(self, ctx: ImportContext) -> None:
        made: dict[str, OrgUnit] = {}
        for code, parent_code, values in self.new:
            parent = (made.get(parent_code) or ctx.units.get(parent_code)) if parent_code else None
            made[code] = unit_create(parent=parent, code=code, **values)
            ctx.tick()
        for unit, changes, new_parent in self.updates:
            if changes:
                unit = unit_update(unit=unit, **changes)
            if new_parent is not None:
                parent = made.get(new_parent) or OrgUnit.objects.get(code=new_parent)
                unit_move(unit=unit, new_parent=parent)
            ctx.tick()


def _parent_code(unit: OrgUnit, by_path: dict[str, OrgUnit]) -> str:
    parent = by_path.get(unit.path[: -OrgUnit.steplen])
    return parent.code if parent else ""


def plan_units(rows: list[dict[str, Any]], report: ImportReport, ctx: ImportContext) -> UnitPlan:
    plan = UnitPlan()
    by_path = {u.path: u for u in ctx.units.values()}
    pending: dict[str, tuple[int, str, dict[str, Any]]] = {}
    for row in rows:
        line = row["_line"]
        before = len(report.errors)
        code = text(row.get("code"))
        values = {
            "name": text(row.get("name")),
            "name_en": text(row.get("name_en")),
            "kind": text(row.get("kind")).lower(),
            "partner_org": text(row.get("partner_org")),
        }
        parent_code = text(row.get("parent_code"))
        if not code:
            report.add(line, "code", "", _("Code is required."))
        elif code in pending:
            report.add(
                line,
                "code",
                code,
                _("Duplicate code (also on line %(l)d).") % {"l": pending[code][0]},
            )
        if not values["name"]:
            report.add(line, "name", "", _("Name is required."))
        if values["kind"] not in UnitKind.values:
            report.add(
                line,
                "kind",
                values["kind"],
                _("Kind must be one of: %(k)s.") % {"k": ", ".join(UnitKind.values)},
            )
        if parent_code and parent_code == code:
            report.add(line, "parent_code", parent_code, _("A unit cannot be its own parent."))
        ctx.tick()
        if len(report.errors) == before:
            pending[code] = (line, parent_code, values)
    # Parents first: resolve in rounds; what is left unresolved has an unknown parent (or a loop).
    placed: set[str] = set(ctx.units)
    ordered: list[str] = []
    remaining = dict(pending)
    while remaining:
        ready = [c for c, (_l, p, _v) in remaining.items() if not p or p in placed]
        if not ready:
            break
        for code in ready:
            ordered.append(code)
            placed.add(code)
            del remaining[code]
    for _code, (line, parent_code, _v) in remaining.items():
        report.add(line, "parent_code", parent_code, _("Unknown parent unit (or a loop)."))
    for code in ordered:
        line, parent_code, values = pending[code]
        parent = ctx.units.get(parent_code)
        if parent_code and parent is not None and not ctx.in_scope(parent):
            report.add(line, "parent_code", parent_code, _("This unit is outside your scope."))
            continue
        if not parent_code and ctx.scope_paths is not None and code not in ctx.units:
            report.add(line, "parent_code", "", _("Only company-wide HR may add a top unit."))
            continue
        existing = ctx.units.get(code)
        if existing is None:
            plan.new.append((code, parent_code, values))
            report.to_create += 1
            continue
        if not ctx.in_scope(existing):
            report.add(line, "code", code, _("This unit is outside your scope."))
            continue
        changes = {k: v for k, v in values.items() if getattr(existing, k) != v}
        moved = None
        if parent_code and parent_code != _parent_code(existing, by_path):
            moved = parent_code
        if changes or moved:
            plan.updates.append((existing, changes, moved))
            report.to_update += 1
        else:
            report.unchanged += 1
    return plan
