"""Configuring sources and their metrics (usually done once, by an HR admin or the demo)."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from heng.core.errors import Conflict, ValidationFailed
from heng.integrations.models import (
    Aggregation,
    Layout,
    Metric,
    Source,
    SourceKind,
    SubjectKind,
    ValueType,
)

CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
RESERVED = {"employee_no", "unit_code", "date", "metric", "value", "_row", "_quarantine_id"}
SOURCE_CODE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def _choice(value: str, choices: Any, field: str) -> None:
    if value not in choices.values:
        raise ValidationFailed(
            _("Unknown value %(value)r.") % {"value": value},
            fields={field: _("choose one of %(choices)s") % {"choices": ", ".join(choices.values)}},
        )


@transaction.atomic
def source_create(
    *,
    code: str,
    name: str,
    kind: str = SourceKind.OTHER,
    subject_kind: str = SubjectKind.EMPLOYEE,
    layout: str = Layout.WIDE,
    natural_key: list[str] | None = None,
    extra_fields: list[str] | None = None,
    test_rule: dict[str, Any] | None = None,
    name_en: str = "",
    description: str = "",
) -> Source:
    if not SOURCE_CODE.match(code):
        raise ValidationFailed(fields={"code": _("lower-case letters, digits, - and _ only")})
    for value, choices, field in (
        (kind, SourceKind, "kind"),
        (layout, Layout, "layout"),
        (subject_kind, SubjectKind, "subject_kind"),
    ):
        _choice(value, choices, field)
    if Source.objects.filter(code=code).exists():
        raise Conflict(
            _("A source with code %(code)s exists.") % {"code": code}, fields={"code": code}
        )
    rule = dict(test_rule or {})
    unknown = set(rule) - {"flag_field", "account_field", "accounts"}
    if unknown:
        raise ValidationFailed(
            fields={"test_rule": _("unknown keys: %(keys)s") % {"keys": ", ".join(sorted(unknown))}}
        )
    subject = "employee_no" if subject_kind == SubjectKind.EMPLOYEE else "unit_code"
    allowed_key = {subject, "date", *(extra_fields or [])}
    for key_field in natural_key or []:
        if key_field not in allowed_key:
            raise ValidationFailed(
                fields={
                    "natural_key": _(
                        "%(name)s is neither %(subject)s, date nor one of the other fields"
                    )
                    % {"name": key_field, "subject": subject}
                }
            )
    return Source.objects.create(
        code=code,
        name=name,
        name_en=name_en,
        kind=kind,
        subject_kind=subject_kind,
        layout=layout,
        natural_key=list(natural_key or []),
        extra_fields=list(extra_fields or []),
        test_rule=rule,
        description=description,
    )


@transaction.atomic
def metric_create(
    *,
    source: Source,
    code: str,
    name: str,
    value_type: str = ValueType.DECIMAL,
    aggregation: str = Aggregation.SUM,
    unit: str = "",
    min_value: float | None = None,
    max_value: float | None = None,
    name_en: str = "",
    description: str = "",
) -> Metric:
    if not CODE.match(code) or code in RESERVED or code in (source.extra_fields or []):
        raise ValidationFailed(
            fields={
                "code": _(
                    "lower-case letters, digits and _, starting with a letter, and not a field "
                    "name such as date or employee_no"
                )
            }
        )
    _choice(value_type, ValueType, "value_type")
    _choice(aggregation, Aggregation, "aggregation")
    if value_type == ValueType.TEXT and aggregation not in (
        Aggregation.COUNT,
        Aggregation.DISTINCT,
    ):
        raise ValidationFailed(fields={"aggregation": _("a text metric can only be counted")})
    if min_value is not None and max_value is not None and min_value > max_value:
        raise ValidationFailed(fields={"min_value": _("the minimum is above the maximum")})
    if source.metrics.filter(code=code).exists():
        raise Conflict(
            _("The source already has a metric %(code)s.") % {"code": code}, fields={"code": code}
        )
    return Metric.objects.create(
        source=source,
        code=code,
        name=name,
        name_en=name_en,
        unit=unit,
        value_type=value_type,
        aggregation=aggregation,
        min_value=min_value,
        max_value=max_value,
        description=description,
    )
