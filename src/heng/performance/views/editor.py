"""What the scheme editor page shows, built in one place for GET and for re-rendering a
refused POST with its bound form."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.forms import BaseFormSet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from heng.core.errors import ApplicationError, ValidationFailed
from heng.org.models import OrgUnit, Position
from heng.people.models import Employee
from heng.performance import services
from heng.performance.documents.model import HUNDRED, decimal_text, effective_rule
from heng.performance.forms import ChangeFormSet, LineForm, OverrideForm, PublishForm, SchemeForm
from heng.performance.models import Indicator, Scheme
from heng.performance.permissions import actor_of, can_edit_scheme
from heng.performance.selectors.documents import indicator_document


def _header_initial(scheme: Scheme) -> dict[str, Any]:
    pairs = list(scheme.assignments.select_related("unit", "position"))
    units = sorted({a.unit.code for a in pairs if a.unit is not None})
    positions = sorted({a.position.code for a in pairs if a.position is not None})
    return {
        "code": scheme.code,
        "name": scheme.name,
        "name_en": scheme.name_en,
        "description": scheme.description,
        "framework": scheme.framework.code,
        "units": ", ".join(units),
        "positions": ", ".join(positions),
        "combine": any(a.unit_id and a.position_id for a in pairs),
    }


def _rows(scheme: Scheme, errors: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for line in scheme.lines.select_related("indicator").order_by("order", "id"):
        ind = line.indicator
        rule, params = effective_rule(indicator_document(ind), line.rule or None, line.params)
        rows.append(
            {
                "line": line,
                "indicator": ind,
                "rule": rule,
                "params": params,
                "overridden": bool(line.rule or line.params is not None),
                "error": errors.get(ind.code, ""),
            }
        )
    return rows


def _overrides(scheme: Scheme) -> list[dict[str, Any]]:
    items = []
    for o in scheme.overrides.select_related("unit", "position", "employee").prefetch_related(
        "changes__indicator"
    ):
        scope = [
            x
            for x in (
                o.employee and f"{o.employee.name} ({o.employee.employee_no})",
                o.unit and o.unit.name,
                o.position and o.position.name,
            )
            if x
        ]
        items.append(
            {
                "override": o,
                "scope": " · ".join(scope) or _("everyone on the scheme"),
                "changes": list(o.changes.all()),
            }
        )
    return items


def editor_context(request: HttpRequest, scheme: Scheme, **forms: Any) -> dict[str, Any]:
    scheme.refresh_from_db()
    weight_errors = forms.pop("weight_errors", {})
    rows = _rows(scheme, weight_errors)
    total = sum((r["line"].weight for r in rows), Decimal(0))
    can_edit = can_edit_scheme(request.user, scheme)
    header = forms.get("header_form") or SchemeForm(initial=_header_initial(scheme))
    header.fields["code"].disabled = True
    publish_error: ApplicationError | None = forms.get("publish_error")
    return {
        "scheme": scheme,
        "can_edit": can_edit,
        "rows": rows,
        "total_text": decimal_text(total),
        "total_ok": total == HUNDRED,
        "overrides": _overrides(scheme),
        "problems": services.scheme_problems(scheme),
        "versions": list(scheme.versions.select_related("published_by")),
        "header_form": header,
        "line_form": forms.get("line_form") or LineForm(initial={"source_set": "main"}),
        "override_form": forms.get("override_form") or OverrideForm(),
        "change_formset": forms.get("change_formset") or ChangeFormSet(prefix="ch"),
        "publish_form": forms.get("publish_form")
        or PublishForm(initial={"effective_from": timezone.localdate()}),
        "publish_error": publish_error,
        "publish_details": list(publish_error.fields.items()) if publish_error else [],
    }


def override_changes(
    request: HttpRequest, scheme: Scheme, data: dict[str, Any], changes: BaseFormSet
) -> None:  # type: ignore[type-arg]
    """Turn the override form + change rows into one ``override_save`` call."""
    items = []
    for row in changes.cleaned_data:
        indicator: Indicator | None = row.get("indicator")
        if indicator is None:
            continue
        items.append(
            services.ChangeIn(
                indicator=indicator.code, action=row["action"], weight=row.get("weight")
            )
        )

    def lookup(model: Any, field: str, value: str, key: str) -> Any:
        if not value:
            return None
        found = model.objects.filter(**{field: value}).first()
        if found is None:
            raise ValidationFailed(
                _("%(code)s does not exist.") % {"code": value},
                fields={key: _("%(code)s does not exist.") % {"code": value}},
            )
        return found

    existing = scheme.overrides.filter(code=data["code"]).first()
    services.override_save(
        actor=actor_of(request),
        scheme=scheme,
        code=data["code"],
        name=data["name"],
        unit=lookup(OrgUnit, "code", data["unit"], "unit"),
        position=lookup(Position, "code", data["position"], "position"),
        employee=lookup(Employee, "employee_no", data["employee"], "employee"),
        valid_from=data["valid_from"],
        valid_to=data["valid_to"],
        note=data["note"],
        changes=items,
        existing=existing,
    )
