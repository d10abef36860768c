"""Database rows → the canonical scheme document (what is published and exported)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from heng.org.models import OrgUnit, Position
from heng.people.models import Employee
from heng.performance.documents.model import FORMAT, Doc, canonical_value, number
from heng.performance.models import (
    Framework,
    Indicator,
    OverrideChange,
    Scheme,
    SchemeLine,
    SchemeOverride,
)


def _num(value: Decimal | None) -> int | float | None:
    return None if value is None else number(value)


def indicator_document(indicator: Indicator) -> Doc:
    return {
        "code": indicator.code,
        "name": indicator.name,
        "name_en": indicator.name_en,
        "category": indicator.category,
        "direction": indicator.direction,
        "unit": indicator.unit,
        "value_source": {
            "kind": indicator.value_kind,
            "metric": indicator.source_metric,
            "formula": indicator.formula,
        },
        "rule": indicator.rule,
        "params": canonical_value(indicator.params or {}),
        "description": indicator.description,
    }


def framework_document(framework: Framework) -> Doc:
    weights = None
    if framework.category_weighting:
        weights = {
            "result": number(framework.weight_result),
            "process": number(framework.weight_process),
            "growth": number(framework.weight_growth),
        }
    bands = [
        {
            "code": str(b.get("code", "")),
            "min": canonical_value(b.get("min")),
            "name_zh": str(b.get("name_zh", "")),
            "name_en": str(b.get("name_en", "")),
        }
        for b in framework.rating_bands or []
    ]
    mix = [
        {
            "label": str(m.get("label", "")),
            "bands": [str(x) for x in m.get("bands", [])],
            "share": canonical_value(m.get("share")),
        }
        for m in framework.target_mix or []
    ]
    return {
        "code": framework.code,
        "name": framework.name,
        "name_en": framework.name_en,
        "description": framework.description,
        "category_weights": weights,
        "kpi_weight": number(framework.kpi_weight),
        "review_weight": number(framework.review_weight),
        "review_scale": [number(framework.review_scale_min), number(framework.review_scale_max)],
        "review_group_weights": canonical_value(framework.review_group_weights) or None,
        "bonus_cap": _num(framework.bonus_cap),
        "rating_bands": bands,
        "target_mix": mix,
    }


def _target(method: str, value: Decimal | None) -> dict[str, Any]:
    return {"method": method, "value": _num(value)}


def line_document(line: SchemeLine) -> Doc:
    return {
        "indicator": line.indicator.code,
        "weight": number(line.weight),
        "rule": line.rule or None,
        "params": None if line.params is None else canonical_value(line.params),
        "target": _target(line.target_method, line.target_value),
        "source_set": line.source_set,
    }


def change_document(change: OverrideChange) -> Doc:
    return {
        "indicator": change.indicator.code,
        "action": change.action,
        "weight": _num(change.weight),
        "rule": change.rule or None,
        "params": None if change.params is None else canonical_value(change.params),
        "target": _target(change.target_method, change.target_value)
        if change.target_method
        else None,
        "source_set": change.source_set or None,
    }


def override_document(override: SchemeOverride) -> Doc:
    changes = sorted(override.changes.all(), key=lambda c: c.indicator.code)
    return {
        "code": override.code,
        "name": override.name,
        "scope": {
            "unit": override.unit.code if override.unit is not None else None,
            "position": override.position.code if override.position is not None else None,
            "employee": override.employee.employee_no if override.employee is not None else None,
        },
        "period": {
            "from": override.valid_from.isoformat() if override.valid_from else None,
            "to": override.valid_to.isoformat() if override.valid_to else None,
        },
        "note": override.note,
        "changes": [change_document(c) for c in changes],
    }


def scheme_document(scheme: Scheme) -> Doc:
    """The working copy of ``scheme`` as a canonical document (a handful of queries)."""
    lines = list(scheme.lines.select_related("indicator").order_by("order", "id"))
    overrides = list(
        scheme.overrides.select_related("unit", "position", "employee")
        .prefetch_related("changes__indicator")
        .order_by("code")
    )
    used = {line.indicator_id for line in lines} | {
        c.indicator_id for o in overrides for c in o.changes.all()
    }
    indicators = Indicator.objects.filter(pk__in=used).order_by("code")
    applies = sorted(
        (
            {
                "unit": a.unit.code if a.unit is not None else None,
                "position": a.position.code if a.position is not None else None,
            }
            for a in scheme.assignments.select_related("unit", "position")
        ),
        key=lambda a: (a["unit"] or "", a["position"] or ""),
    )
    framework = scheme.framework
    return {
        "format": FORMAT,
        "scheme": {
            "code": scheme.code,
            "name": scheme.name,
            "name_en": scheme.name_en,
            "description": scheme.description,
            "framework": framework.code,
            "applies_to": applies,
        },
        "framework": framework_document(framework),
        "indicators": [indicator_document(i) for i in indicators],
        "lines": [line_document(line) for line in lines],
        "overrides": [override_document(o) for o in overrides],
    }


class DbDirectory:
    """The organisation as the document checker sees it (small caches, a few queries)."""

    def __init__(self) -> None:
        self._units: dict[str, str] | None = None
        self._positions: set[str] | None = None
        self._employees: dict[str, str | None] = {}

    def unit_path(self, code: str) -> str | None:
        if self._units is None:
            self._units = dict(OrgUnit.objects.values_list("code", "path"))
        return self._units.get(code)

    def has_position(self, code: str) -> bool:
        if self._positions is None:
            self._positions = set(Position.objects.values_list("code", flat=True))
        return code in self._positions

    def employee_unit_path(self, employee_no: str) -> str | None:
        if employee_no not in self._employees:
            row = (
                Employee.objects.filter(employee_no=employee_no)
                .select_related("unit", "working_unit")
                .first()
            )
            unit = (row.working_unit or row.unit) if row is not None else None
            self._employees[employee_no] = unit.path if unit is not None else None
        return self._employees[employee_no]
