"""Writes to frameworks and to the working copy of schemes (lines, who it applies to)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from heng.accounts.models import User
from heng.org.models import OrgUnit, Position
from heng.performance.documents.check import check_framework, check_line_like, check_weight
from heng.performance.documents.model import (
    DEFAULT_SOURCE_SET,
    Problem,
    Problems,
    canonical_value,
    default_target_method,
    effective_rule,
    number,
)
from heng.performance.errors import SchemeInvalid
from heng.performance.models import (
    CODE_VALIDATOR,
    Framework,
    Indicator,
    Scheme,
    SchemeAssignment,
    SchemeLine,
    default_rating_bands,
)
from heng.performance.selectors.documents import (
    framework_document,
    indicator_document,
    line_document,
)
from heng.performance.services.audit import record

_FRAMEWORK_FIELDS = (
    "name",
    "name_en",
    "description",
    "category_weighting",
    "weight_result",
    "weight_process",
    "weight_growth",
    "kpi_weight",
    "review_weight",
    "review_scale_min",
    "review_scale_max",
    "review_group_weights",
    "bonus_cap",
    "rating_bands",
    "target_mix",
)
# Document path (after "framework.") → model field, to put messages next to form fields.
_FRAMEWORK_PATHS = {
    "category_weights": "weight_result",
    "kpi_weight": "kpi_weight",
    "review_weight": "review_weight",
    "review_scale": "review_scale_max",
    "bonus_cap": "bonus_cap",
    "rating_bands": "rating_bands",
    "target_mix": "target_mix",
    "review_group_weights": "review_group_weights",
}


def _code_fields(code: str) -> dict[str, str]:
    try:
        CODE_VALIDATOR(code)
    except ValidationError as exc:
        return {"code": str(exc.messages[0])}
    return {}


def _raise(problems: list[Problem], fields: dict[str, str], *, item: str) -> None:
    if not problems and not fields:
        return
    first = problems[0].message if problems else next(iter(fields.values()))
    raise SchemeInvalid(
        _("%(item)s: %(reason)s") % {"item": item, "reason": first},
        code=problems[0].code if problems else "invalid",
        fields=fields,
    )


def _framework_check(framework: Framework) -> None:
    fields = _code_fields(framework.code)
    if not framework.name.strip():
        fields["name"] = _("This field is required.")
    problems = Problems()
    try:
        document = framework_document(framework)
    except (TypeError, ValueError, ArithmeticError):
        fields["rating_bands"] = _("Rating bands and target mix must be lists of objects.")
    else:
        check_framework(document, problems)
    for problem in problems:
        key = problem.path.removeprefix("framework").lstrip(".").split(".")[0].split("[")[0]
        fields.setdefault(_FRAMEWORK_PATHS.get(key, "__all__"), problem.message)
    _raise(list(problems), fields, item=_("Framework %(code)s") % {"code": framework.code})


@transaction.atomic
def framework_create(*, actor: User | None, code: str, name: str, **values: Any) -> Framework:
    unknown = set(values) - set(_FRAMEWORK_FIELDS)
    if unknown:
        raise SchemeInvalid(_("Unknown field %(field)s.") % {"field": sorted(unknown)[0]})
    values.setdefault("rating_bands", default_rating_bands())
    framework = Framework(code=code, name=name, **values)
    _framework_check(framework)
    if Framework.objects.filter(code=code).exists():
        raise SchemeInvalid(
            _("A framework with code %(code)s already exists.") % {"code": code},
            code="duplicate",
            fields={"code": _("This code is taken.")},
        )
    framework.rating_bands = canonical_value(framework.rating_bands)
    framework.target_mix = canonical_value(framework.target_mix)
    framework.review_group_weights = canonical_value(framework.review_group_weights or {})
    framework.save()
    record(
        actor=actor,
        action="framework.create",
        target=framework,
        after=framework_document(framework),
    )
    return framework


@transaction.atomic
def framework_update(*, actor: User | None, framework: Framework, **changes: Any) -> Framework:
    unknown = set(changes) - set(_FRAMEWORK_FIELDS)
    if unknown:
        raise SchemeInvalid(_("Unknown field %(field)s.") % {"field": sorted(unknown)[0]})
    framework = Framework.objects.select_for_update().get(pk=framework.pk)
    before = framework_document(framework)
    for name, value in changes.items():
        setattr(framework, name, value)
    _framework_check(framework)
    framework.rating_bands = canonical_value(framework.rating_bands)
    framework.target_mix = canonical_value(framework.target_mix)
    framework.review_group_weights = canonical_value(framework.review_group_weights or {})
    framework.save()
    Scheme.objects.filter(framework=framework).update(has_draft_changes=True)
    record(
        actor=actor,
        action="framework.update",
        target=framework,
        before=before,
        after=framework_document(framework),
    )
    return framework


def _touch(scheme: Scheme) -> None:
    Scheme.objects.filter(pk=scheme.pk).update(has_draft_changes=True)
    scheme.has_draft_changes = True


def _assignments(
    applies_to: Iterable[tuple[OrgUnit | None, Position | None]],
) -> list[tuple[OrgUnit | None, Position | None]]:
    out: list[tuple[OrgUnit | None, Position | None]] = []
    for unit, position in applies_to:
        if unit is None and position is None:
            raise SchemeInvalid(
                _("Name a unit, a position or both for whom the scheme is."),
                fields={"applies_to": _("Name a unit, a position or both.")},
            )
        if (unit, position) not in out:
            out.append((unit, position))
    return out


@transaction.atomic
def scheme_create(
    *,
    actor: User | None,
    code: str,
    name: str,
    framework: Framework,
    name_en: str = "",
    description: str = "",
    applies_to: Iterable[tuple[OrgUnit | None, Position | None]] = (),
) -> Scheme:
    fields = _code_fields(code)
    if not name.strip():
        fields["name"] = _("This field is required.")
    if Scheme.objects.filter(code=code).exists():
        fields["code"] = _("This code is taken.")
    _raise([], fields, item=_("Scheme %(code)s") % {"code": code})
    pairs = _assignments(applies_to)
    scheme = Scheme.objects.create(
        code=code, name=name, name_en=name_en, description=description, framework=framework
    )
    SchemeAssignment.objects.bulk_create(
        SchemeAssignment(scheme=scheme, unit=u, position=p) for u, p in pairs
    )
    record(actor=actor, action="scheme.create", target=scheme, after=_header(scheme))
    return scheme


def _header(scheme: Scheme) -> dict[str, Any]:
    applies = sorted(
        (a.unit.code if a.unit else "", a.position.code if a.position else "")
        for a in scheme.assignments.select_related("unit", "position")
    )
    return {
        "name": scheme.name,
        "name_en": scheme.name_en,
        "description": scheme.description,
        "framework": scheme.framework.code,
        "applies_to": [list(a) for a in applies],
    }


@transaction.atomic
def scheme_update(
    *,
    actor: User | None,
    scheme: Scheme,
    name: str | None = None,
    name_en: str | None = None,
    description: str | None = None,
    framework: Framework | None = None,
    applies_to: Iterable[tuple[OrgUnit | None, Position | None]] | None = None,
) -> Scheme:
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    before = _header(scheme)
    if name is not None and not name.strip():
        raise SchemeInvalid(
            _("A scheme needs a name."), fields={"name": _("This field is required.")}
        )
    for field, value in (
        ("name", name),
        ("name_en", name_en),
        ("description", description),
        ("framework", framework),
    ):
        if value is not None:
            setattr(scheme, field, value)
    scheme.has_draft_changes = True
    scheme.save()
    if applies_to is not None:
        pairs = _assignments(applies_to)
        scheme.assignments.all().delete()
        SchemeAssignment.objects.bulk_create(
            SchemeAssignment(scheme=scheme, unit=u, position=p) for u, p in pairs
        )
    record(actor=actor, action="scheme.update", target=scheme, before=before, after=_header(scheme))
    return scheme


def _line_problems(
    *,
    indicator: Indicator,
    weight: Decimal | None,
    rule: str,
    params: Mapping[str, Any] | None,
    target_method: str,
    target_value: Decimal | None,
) -> dict[str, str]:
    problems = Problems()
    label = _("Line %(code)s") % {"code": indicator.code}
    if weight is None:
        problems.add(
            "line.weight", "weight_missing", _("%(item)s: a weight is required.") % {"item": label}
        )
    else:
        check_weight(weight, "line.weight", problems, label=label)
    item = {
        "rule": rule or None,
        "params": None if params is None else canonical_value(params),
        "target": {
            "method": target_method,
            "value": None if target_value is None else number(target_value),
        },
    }
    check_line_like(item, indicator_document(indicator), None, "line", problems, label)
    fields: dict[str, str] = {}
    for problem in problems:
        tail = problem.path.removeprefix("line").lstrip(".")
        key = {
            "weight": "weight",
            "target.value": "target_value",
            "target.method": "target_method",
        }.get(tail, "params" if tail.startswith("params") else "rule")
        fields.setdefault(key, problem.message)
    if fields:
        first = problems[0]
        raise SchemeInvalid(first.message, code=first.code, fields=fields)
    return fields


@transaction.atomic
def scheme_line_add(
    *,
    actor: User | None,
    scheme: Scheme,
    indicator: Indicator,
    weight: Decimal | None,
    rule: str = "",
    params: dict[str, Any] | None = None,
    target_method: str | None = None,
    target_value: Decimal | None = None,
    source_set: str = DEFAULT_SOURCE_SET,
) -> SchemeLine:
    if scheme.lines.filter(indicator=indicator).exists():
        raise SchemeInvalid(
            _("Indicator %(code)s already has a line in this scheme.") % {"code": indicator.code},
            code="duplicate",
            fields={"indicator": _("Already in the scheme.")},
        )
    if target_method is None:
        target_method = default_target_method(
            *effective_rule(indicator_document(indicator), rule or None, params)
        )
    _line_problems(
        indicator=indicator,
        weight=weight,
        rule=rule,
        params=params,
        target_method=target_method,
        target_value=target_value,
    )
    order = (scheme.lines.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    line = SchemeLine.objects.create(
        scheme=scheme,
        indicator=indicator,
        weight=weight,
        rule=rule,
        params=None if params is None else canonical_value(params),
        target_method=target_method,
        target_value=target_value,
        source_set=source_set or DEFAULT_SOURCE_SET,
        order=order,
    )
    _touch(scheme)
    record(
        actor=actor,
        action="scheme.line",
        target=scheme,
        after=line_document(line),
        note=f"+{indicator.code}",
    )
    return line


@transaction.atomic
def scheme_line_update(*, actor: User | None, line: SchemeLine, **changes: Any) -> SchemeLine:
    allowed = {"weight", "rule", "params", "target_method", "target_value", "source_set", "order"}
    unknown = set(changes) - allowed
    if unknown:
        raise SchemeInvalid(_("Unknown field %(field)s.") % {"field": sorted(unknown)[0]})
    before = line_document(line)
    for name, value in changes.items():
        setattr(line, name, value)
    _line_problems(
        indicator=line.indicator,
        weight=line.weight,
        rule=line.rule,
        params=line.params,
        target_method=line.target_method,
        target_value=line.target_value,
    )
    if line.params is not None:
        line.params = canonical_value(line.params)
    line.source_set = line.source_set or DEFAULT_SOURCE_SET
    line.save()
    _touch(line.scheme)
    record(
        actor=actor,
        action="scheme.line",
        target=line.scheme,
        before=before,
        after=line_document(line),
        note=line.indicator.code,
    )
    return line


@transaction.atomic
def scheme_line_remove(*, actor: User | None, line: SchemeLine) -> None:
    scheme = line.scheme
    record(
        actor=actor,
        action="scheme.line",
        target=scheme,
        before=line_document(line),
        note=f"-{line.indicator.code}",
    )
    line.delete()
    _touch(scheme)


@transaction.atomic
def scheme_weights_set(
    *, actor: User | None, scheme: Scheme, weights: Mapping[str, Decimal | None]
) -> list[SchemeLine]:
    """Set several line weights at once (the editor's table); all or nothing."""
    lines = {line.indicator.code: line for line in scheme.lines.select_related("indicator")}
    fields: dict[str, str] = {}
    for code, weight in weights.items():
        if code not in lines:
            fields[code] = _("Indicator %(code)s has no line in this scheme.") % {"code": code}
            continue
        problems = Problems()
        label = _("Line %(code)s") % {"code": code}
        if weight is None:
            problems.add(
                code, "weight_missing", _("%(item)s: a weight is required.") % {"item": label}
            )
        else:
            check_weight(weight, code, problems, label=label)
        if problems:
            fields[code] = problems[0].message
    if fields:
        raise SchemeInvalid(next(iter(fields.values())), code="weight_invalid", fields=fields)
    changed = []
    before, after = {}, {}
    for code, weight in weights.items():
        line = lines[code]
        if line.weight != weight:
            before[code] = line.weight
            line.weight = weight  # type: ignore[assignment]
            after[code] = weight
            changed.append(line)
    SchemeLine.objects.bulk_update(changed, ["weight"])
    if changed:
        _touch(scheme)
        record(
            actor=actor,
            action="scheme.line",
            target=scheme,
            before=before,
            after=after,
            note="weights",
        )
    return list(lines.values())
