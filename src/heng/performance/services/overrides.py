"""Writes to scheme overrides (B4): scope, period and line changes, saved as one piece."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from heng.accounts.models import User
from heng.org.models import OrgUnit, Position
from heng.people.models import Employee
from heng.performance.documents.check import check_change
from heng.performance.documents.model import Problems, canonical_value, number
from heng.performance.errors import SchemeInvalid
from heng.performance.models import (
    CODE_VALIDATOR,
    Indicator,
    OverrideAction,
    OverrideChange,
    Scheme,
    SchemeOverride,
)
from heng.performance.selectors.documents import (
    indicator_document,
    line_document,
    override_document,
)
from heng.performance.services.audit import record


@dataclass(frozen=True)
class ChangeIn:
    """One line change of an override. ``indicator`` is a code: an unknown code is refused
    with its name rather than failing a lookup somewhere else."""

    indicator: str
    action: str = OverrideAction.SET
    weight: Decimal | None = None
    rule: str = ""
    params: dict[str, Any] | None = None
    target_method: str = ""
    target_value: Decimal | None = None
    source_set: str = ""


def _change_doc(change: ChangeIn) -> dict[str, Any]:
    return {
        "indicator": change.indicator,
        "action": change.action,
        "weight": None if change.weight is None else number(change.weight),
        "rule": change.rule or None,
        "params": None if change.params is None else canonical_value(change.params),
        "target": {
            "method": change.target_method,
            "value": None if change.target_value is None else number(change.target_value),
        }
        if change.target_method
        else None,
        "source_set": change.source_set or None,
    }


@transaction.atomic
def override_save(
    *,
    actor: User | None,
    scheme: Scheme,
    code: str,
    changes: list[ChangeIn],
    name: str = "",
    unit: OrgUnit | None = None,
    position: Position | None = None,
    employee: Employee | None = None,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    note: str = "",
    existing: SchemeOverride | None = None,
) -> SchemeOverride:
    """Create an override, or replace ``existing`` with these values; all or nothing."""
    fields: dict[str, str] = {}
    try:
        CODE_VALIDATOR(code)
    except ValidationError as exc:
        fields["code"] = str(exc.messages[0])
    clash = scheme.overrides.filter(code=code)
    if existing is not None:
        clash = clash.exclude(pk=existing.pk)
    if clash.exists():
        fields["code"] = _("This code is taken.")
    if employee is not None and (unit is not None or position is not None):
        fields["employee"] = _("An override for one employee names no unit or position.")
    if valid_from and valid_to and valid_from > valid_to:
        fields["valid_to"] = _("The period ends before it starts.")
    if not changes:
        fields["changes"] = _("Override %(code)s changes nothing.") % {"code": code}
    base = {
        line.indicator.code: line_document(line)
        for line in scheme.lines.select_related("indicator")
    }
    library = {i.code: i for i in Indicator.objects.filter(code__in=[c.indicator for c in changes])}
    indicators = {code_: indicator_document(i) for code_, i in library.items()}
    problems = Problems()
    touched: set[str] = set()
    for j, change in enumerate(changes):
        check_change(
            _change_doc(change), f"changes[{j}]", code, touched, base, indicators, problems
        )
    for problem in problems:
        fields.setdefault(problem.path.split(".")[0], problem.message)
    if fields:
        first = problems[0].message if problems else next(iter(fields.values()))
        raise SchemeInvalid(
            first, code=problems[0].code if problems else "override_invalid", fields=fields
        )
    values = {
        "code": code,
        "name": name,
        "unit": unit,
        "position": position,
        "employee": employee,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "note": note,
    }
    before = override_document(existing) if existing is not None else None
    if existing is None:
        override = SchemeOverride.objects.create(scheme=scheme, **values)
    else:
        override = existing
        for key, value in values.items():
            setattr(override, key, value)
        override.save()
        override.changes.all().delete()
    OverrideChange.objects.bulk_create(
        OverrideChange(
            override=override,
            indicator=library[c.indicator],
            action=c.action,
            weight=c.weight,
            rule=c.rule,
            params=None if c.params is None else canonical_value(c.params),
            target_method=c.target_method,
            target_value=c.target_value,
            source_set=c.source_set,
        )
        for c in changes
    )
    Scheme.objects.filter(pk=scheme.pk).update(has_draft_changes=True)
    record(
        actor=actor,
        action="scheme.override",
        target=scheme,
        before=before,
        after=override_document(override),
        note=code,
    )
    return override


@transaction.atomic
def override_delete(*, actor: User | None, override: SchemeOverride) -> None:
    scheme_id = override.scheme_id
    record(
        actor=actor,
        action="scheme.override",
        target=override.scheme,
        before=override_document(override),
        note=f"-{override.code}",
    )
    override.delete()
    Scheme.objects.filter(pk=scheme_id).update(has_draft_changes=True)
