"""Pydantic shapes of the performance API. Weights are exact decimals in, JSON numbers out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field

from heng.performance.documents.model import number


def _num(value: Decimal | None) -> float | int | None:
    return None if value is None else number(value)


class IndicatorIn(Schema):
    code: str = Field(max_length=40)
    name: str = Field(max_length=120)
    name_en: str = ""
    category: str
    direction: str
    unit: str = ""
    value_kind: str
    source_metric: str = ""
    formula: str = ""
    rule: str
    params: dict[str, Any] = {}
    description: str = ""


class IndicatorPatch(Schema):
    name: str | None = None
    name_en: str | None = None
    category: str | None = None
    direction: str | None = None
    unit: str | None = None
    value_kind: str | None = None
    source_metric: str | None = None
    formula: str | None = None
    rule: str | None = None
    params: dict[str, Any] | None = None
    description: str | None = None


class IndicatorOut(Schema):
    code: str
    name: str
    name_en: str
    category: str
    direction: str
    unit: str
    value_kind: str
    source_metric: str
    formula: str
    rule: str
    params: dict[str, Any]
    description: str


class FrameworkIn(Schema):
    code: str = Field(max_length=40)
    name: str = Field(max_length=120)
    name_en: str = ""
    description: str = ""
    category_weighting: bool = True
    weight_result: Decimal = Decimal(0)
    weight_process: Decimal = Decimal(0)
    weight_growth: Decimal = Decimal(0)
    kpi_weight: Decimal = Decimal(100)
    review_weight: Decimal = Decimal(0)
    review_scale_min: Decimal = Decimal(0)
    review_scale_max: Decimal = Decimal(100)
    review_group_weights: dict[str, Decimal] = {}
    bonus_cap: Decimal | None = None
    rating_bands: list[dict[str, Any]] | None = None
    target_mix: list[dict[str, Any]] = []


class FrameworkPatch(Schema):
    name: str | None = None
    name_en: str | None = None
    description: str | None = None
    category_weighting: bool | None = None
    weight_result: Decimal | None = None
    weight_process: Decimal | None = None
    weight_growth: Decimal | None = None
    kpi_weight: Decimal | None = None
    review_weight: Decimal | None = None
    review_scale_min: Decimal | None = None
    review_scale_max: Decimal | None = None
    review_group_weights: dict[str, Decimal] | None = None
    bonus_cap: Decimal | None = None
    rating_bands: list[dict[str, Any]] | None = None
    target_mix: list[dict[str, Any]] | None = None


class AppliesTo(Schema):
    unit: str | None = None
    position: str | None = None


class SchemeIn(Schema):
    code: str = Field(max_length=40)
    name: str = Field(max_length=120)
    name_en: str = ""
    description: str = ""
    framework: str
    applies_to: list[AppliesTo] = []


class SchemePatch(Schema):
    name: str | None = None
    name_en: str | None = None
    description: str | None = None
    framework: str | None = None
    applies_to: list[AppliesTo] | None = None


class LineIn(Schema):
    indicator: str
    weight: Decimal
    rule: str = ""
    params: dict[str, Any] | None = None
    target_method: str | None = None
    target_value: Decimal | None = None
    source_set: str = "main"


class LinePatch(Schema):
    weight: Decimal | None = None
    rule: str | None = None
    params: dict[str, Any] | None = None
    target_method: str | None = None
    target_value: Decimal | None = None
    source_set: str | None = None


class WeightsIn(Schema):
    weights: dict[str, Decimal]


class ChangeSchema(Schema):
    indicator: str
    action: str = "set"
    weight: Decimal | None = None
    rule: str = ""
    params: dict[str, Any] | None = None
    target_method: str = ""
    target_value: Decimal | None = None
    source_set: str = ""


class OverrideIn(Schema):
    code: str = Field(max_length=40)
    name: str = ""
    unit: str | None = None
    position: str | None = None
    employee: str | None = Field(None, description="employee number")
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    note: str = ""
    changes: list[ChangeSchema]


class PublishIn(Schema):
    effective_from: dt.date | None = None
    note: str = ""


class SchemeListOut(Schema):
    code: str
    name: str
    name_en: str
    framework: str
    has_draft_changes: bool
    latest_version: int | None


class VersionOut(Schema):
    number: int
    effective_from: dt.date
    published_at: dt.datetime
    published_by: str | None
    digest: str
    note: str


class VersionDetailOut(VersionOut):
    document: dict[str, Any]


class ProblemOut(Schema):
    path: str
    code: str
    message: str


class SchemeDetailOut(Schema):
    code: str
    name: str
    name_en: str
    description: str
    has_draft_changes: bool
    can_edit: bool
    document: dict[str, Any]
    problems: list[ProblemOut]
    versions: list[VersionOut]


class ImportOut(Schema):
    scheme: str
    dry_run: bool
    version: int | None
    actions: list[dict[str, str]]


class ResolvedLineOut(Schema):
    indicator: str
    name: str
    name_en: str
    category: str
    direction: str
    unit: str
    weight: float
    rule: str
    params: dict[str, Any]
    target_method: str
    target_value: float | None
    source_set: str
    origin: str | None
    why: str
    outranked: list[str]


class AppliedOverrideOut(Schema):
    code: str
    name: str
    scope: str
    period: str


class ResolvedOut(Schema):
    on: dt.date
    employee_id: int
    employee_no: str
    employee_name: str
    unit_code: str
    unit_name: str
    position: str | None
    position_name: str
    scheme_code: str
    scheme_name: str
    version: int | None
    effective_from: dt.date | None
    why_scheme: str
    total_weight: float
    framework: dict[str, Any]
    lines: list[ResolvedLineOut]
    removed: list[dict[str, str]]
    overrides: list[AppliedOverrideOut]


def resolved_out(resolved: Any) -> dict[str, Any]:
    return {
        **{
            k: getattr(resolved, k)
            for k in (
                "on",
                "employee_id",
                "employee_no",
                "employee_name",
                "unit_code",
                "unit_name",
                "position",
                "position_name",
                "scheme_code",
                "scheme_name",
                "version",
                "effective_from",
                "why_scheme",
                "framework",
            )
        },
        "total_weight": number(resolved.total_weight),
        "lines": [
            {
                **line.__dict__,
                "weight": number(line.weight),
                "target_value": _num(line.target_value),
                "outranked": list(line.outranked),
            }
            for line in resolved.lines
        ],
        "removed": [{"indicator": i, "override": o} for i, o in resolved.removed],
        "overrides": [
            {"code": o.code, "name": o.name, "scope": o.scope, "period": o.period}
            for o in resolved.overrides
        ],
    }
