"""Writes to the indicator library (B1)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from heng.accounts.models import User
from heng.core.errors import Conflict, ValidationFailed
from heng.integrations.formulas import parse_formula
from heng.performance.documents.check import check_rule
from heng.performance.documents.model import Problems, canonical_value
from heng.performance.errors import IndicatorInvalid
from heng.performance.models import (
    CODE_VALIDATOR,
    Category,
    Direction,
    Indicator,
    OverrideChange,
    Scheme,
    SchemeLine,
    ValueKind,
)
from heng.performance.selectors.documents import indicator_document
from heng.performance.services.audit import record


def indicator_formula_validate(text: str) -> list[str]:
    """Problems of a formula over metrics, e.g. ``sum(orders) / sum(views) * 100``.

    The ONE place indicator formulas are checked, with the data-integration app's parser
    (``heng.integrations.formulas.parse_formula``), so an indicator accepts exactly the
    formulas that integration can compute. Parsed, never evaluated.
    """
    try:
        parse_formula(text)
    except ValidationFailed as exc:
        return [exc.message]
    return []


INDICATOR_FIELDS = _FIELDS = (
    "name",
    "name_en",
    "category",
    "direction",
    "unit",
    "value_kind",
    "source_metric",
    "formula",
    "rule",
    "params",
    "description",
)


def _validate(values: dict[str, Any], *, code: str) -> None:
    fields: dict[str, str] = {}
    try:
        CODE_VALIDATOR(code)
    except ValidationError as exc:
        fields["code"] = str(exc.messages[0])
    if not str(values.get("name", "")).strip():
        fields["name"] = _("This field is required.")
    for name, choices in (
        ("category", Category),
        ("direction", Direction),
        ("value_kind", ValueKind),
    ):
        if values.get(name) not in choices.values:
            fields[name] = _("Choose one of: %(options)s.") % {"options": ", ".join(choices.values)}
    kind = values.get("value_kind")
    if kind == ValueKind.METRIC and not str(values.get("source_metric", "")).strip():
        fields["source_metric"] = _("Name the source metric.")
    if kind == ValueKind.FORMULA:
        problems = indicator_formula_validate(str(values.get("formula", "")))
        if problems:
            fields["formula"] = problems[0]
    params = values.get("params")
    if not isinstance(params, dict):
        fields["params"] = _('Parameters must be an object, e.g. {"cap": 120}.')
    elif "direction" not in fields and "rule" not in fields:
        found = Problems()
        check_rule(str(values.get("rule", "")), params, str(values["direction"]), "", found)
        if found:
            key = "params" if found[0].path.startswith(".params") else "rule"
            fields[key] = found[0].message
    if fields:
        first = next(iter(fields.values()))
        raise IndicatorInvalid(
            _("Indicator %(code)s: %(reason)s") % {"code": code or "?", "reason": first},
            fields=fields,
        )


def indicator_validate(*, code: str, values: dict[str, Any]) -> None:
    """Check an indicator's fields without saving (the admin's form uses it too)."""
    _validate({name: values.get(name, "") for name in _FIELDS}, code=code)


@transaction.atomic
def indicator_create(
    *,
    actor: User | None,
    code: str,
    name: str,
    category: str,
    direction: str,
    value_kind: str,
    rule: str,
    params: dict[str, Any] | None = None,
    name_en: str = "",
    unit: str = "",
    source_metric: str = "",
    formula: str = "",
    description: str = "",
) -> Indicator:
    values = {
        "name": name,
        "name_en": name_en,
        "category": category,
        "direction": direction,
        "unit": unit,
        "value_kind": value_kind,
        "source_metric": source_metric,
        "formula": formula,
        "rule": rule,
        "params": params if params is not None else {},
        "description": description,
    }
    _validate(values, code=code)
    if Indicator.objects.filter(code=code).exists():
        raise IndicatorInvalid(
            _("An indicator with code %(code)s already exists.") % {"code": code},
            code="duplicate",
            fields={"code": _("This code is taken.")},
        )
    values["params"] = canonical_value(values["params"])
    indicator = Indicator.objects.create(code=code, **values)
    record(
        actor=actor,
        action="indicator.create",
        target=indicator,
        after=indicator_document(indicator),
    )
    return indicator


@transaction.atomic
def indicator_update(*, actor: User | None, indicator: Indicator, **changes: Any) -> Indicator:
    """Change an indicator; schemes using it get a new draft (published versions keep the
    definition they froze)."""
    unknown = set(changes) - set(_FIELDS)
    if unknown:
        raise IndicatorInvalid(_("Unknown field %(field)s.") % {"field": sorted(unknown)[0]})
    values = {name: getattr(indicator, name) for name in _FIELDS}
    values.update(dict(changes.items()))
    _validate(values, code=indicator.code)
    values["params"] = canonical_value(values["params"])
    changed = [k for k in _FIELDS if getattr(indicator, k) != values[k]]
    if not changed:
        return indicator
    before = indicator_document(indicator)
    for name in changed:
        setattr(indicator, name, values[name])
    indicator.save()
    mark_schemes_using(indicator)
    record(
        actor=actor,
        action="indicator.update",
        target=indicator,
        before=before,
        after=indicator_document(indicator),
    )
    return indicator


def mark_schemes_using(indicator: Indicator) -> int:
    """Schemes whose lines or overrides use ``indicator`` now have unpublished changes."""
    ids = set(Scheme.objects.filter(lines__indicator=indicator).values_list("pk", flat=True))
    ids |= set(
        Scheme.objects.filter(overrides__changes__indicator=indicator).values_list("pk", flat=True)
    )
    return Scheme.objects.filter(pk__in=ids).update(has_draft_changes=True)


@transaction.atomic
def indicator_delete(*, actor: User | None, indicator: Indicator) -> None:
    used = sorted(
        set(SchemeLine.objects.filter(indicator=indicator).values_list("scheme__code", flat=True))
        | set(
            OverrideChange.objects.filter(indicator=indicator).values_list(
                "override__scheme__code", flat=True
            )
        )
    )
    if used:
        raise Conflict(
            _("Indicator %(code)s is used by scheme(s) %(schemes)s.")
            % {"code": indicator.code, "schemes": ", ".join(used)},
            code="indicator_in_use",
        )
    record(
        actor=actor,
        action="indicator.delete",
        target=indicator,
        before=indicator_document(indicator),
    )
    indicator.delete()
