"""The fields a source's rows carry, and matching them to the columns of a file."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from heng.integrations.cleaning import MetricSpec, SourceSpec
from heng.integrations.models import Layout, Source

# Column titles people actually use for the standard fields (matched case-insensitively).
SYNONYMS = {
    "employee_no": [
        "工号",
        "员工编号",
        "员工工号",
        "员工号",
        "employee no",
        "employee number",
        "emp_no",
    ],
    "unit_code": ["单位编码", "部门编码", "门店编码", "机构编码", "unit", "unit code", "org code"],
    "date": ["日期", "业务日期", "统计日期", "数据日期", "day"],
    "metric": ["指标", "指标编码", "metric code"],
    "value": ["数值", "值", "指标值", "amount"],
}


@dataclass(frozen=True)
class FieldSpec:
    code: str
    label: str
    required: bool
    kind: str  # subject | date | metric | value | key | extra | measure


def source_fields(source: Source) -> list[FieldSpec]:
    fields = [
        FieldSpec(
            source.subject_field,
            _("Employee number") if source.subject_field == "employee_no" else _("Org unit code"),
            True,
            "subject",
        ),
        FieldSpec("date", _("Date"), True, "date"),
    ]
    if source.layout == Layout.LONG:
        fields += [
            FieldSpec("metric", _("Metric code"), True, "metric"),
            FieldSpec("value", _("Value"), True, "value"),
        ]
    taken = {f.code for f in fields}
    for name in [*source.natural_key, *source.extra_fields]:
        if name not in taken:
            fields.append(
                FieldSpec(
                    name,
                    name,
                    name in source.natural_key,
                    "key" if name in source.natural_key else "extra",
                )
            )
            taken.add(name)
    for name in (
        (source.test_rule or {}).get("flag_field"),
        (source.test_rule or {}).get("account_field"),
    ):
        if name and name not in taken:
            fields.append(FieldSpec(str(name), str(name), False, "extra"))
            taken.add(str(name))
    if source.layout == Layout.WIDE:
        for metric in source.metrics.all():
            label = f"{metric.name} ({metric.code})"
            fields.append(FieldSpec(metric.code, label, False, "measure"))
    return fields


def source_spec(source: Source) -> SourceSpec:
    return SourceSpec(
        subject_field=source.subject_field,
        layout=source.layout,
        natural_key=tuple(source.natural_key or ()),
        test_rule=dict(source.test_rule or {}),
        metrics=tuple(
            MetricSpec(
                id=m.pk,
                code=m.code,
                value_type=m.value_type,
                min_value=m.min_value,
                max_value=m.max_value,
                labels=tuple(x for x in (m.name, m.name_en) if x),
            )
            for m in source.metrics.all()
        ),
    )


def guess_mapping(source: Source, columns: list[str]) -> dict[str, str]:
    """Field → column: the remembered mapping first, then exact names, then known titles."""
    by_lower = {c.strip().lower(): c for c in columns}
    remembered = source.column_mapping or {}
    names: dict[str, list[str]] = {}
    for metric in source.metrics.all():
        names[metric.code] = [metric.name, metric.name_en]
    mapping: dict[str, str] = {}
    for spec in source_fields(source):
        candidates = [
            remembered.get(spec.code, ""),
            spec.code,
            *SYNONYMS.get(spec.code, []),
            *names.get(spec.code, []),
        ]
        for candidate in candidates:
            found = by_lower.get(str(candidate or "").strip().lower())
            if found:
                mapping[spec.code] = found
                break
    return mapping


def mapping_problems(source: Source, columns: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """Field → what is wrong with its mapping; empty when the mapping can be used."""
    problems: dict[str, str] = {}
    fields = source_fields(source)
    for spec in fields:
        column = mapping.get(spec.code) or ""
        if column and column not in columns:
            problems[spec.code] = _('the file has no column "%(column)s"') % {"column": column}
        elif spec.required and not column:
            problems[spec.code] = _("%(field)s must be mapped to a column") % {"field": spec.label}
    if source.layout == Layout.WIDE and not any(
        mapping.get(f.code) for f in fields if f.kind == "measure"
    ):
        problems["__all__"] = _("Map at least one metric column.")
    return problems
