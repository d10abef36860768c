"""Which scheme, which lines, for one person on one date — and why (B4, B8).

``scheme_resolve_for(employee=..., on=...)`` is the one call: it finds where the person
worked that day (effective-dated assignments), the scheme version in effect that applies to
them, the overrides that apply, and merges them by the precedence of
docs/adr/0003-override-precedence.md. Every line says where it comes from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from heng.org.models import OrgUnit
from heng.people.models import Employee
from heng.performance.documents.model import HUNDRED, Doc
from heng.performance.documents.resolve import (
    Placement,
    applies,
    merge,
    ordered,
    rank_of,
    total,
)
from heng.performance.errors import NoSchemeApplies, SchemeInvalid
from heng.performance.models import Scheme, SchemeVersion
from heng.performance.selectors.documents import scheme_document


@dataclass(frozen=True)
class ResolvedLine:
    indicator: str
    name: str
    name_en: str
    category: str
    direction: str
    unit: str
    weight: Decimal
    rule: str
    params: dict[str, Any]
    target_method: str
    target_value: Decimal | None
    source_set: str
    origin: str | None  # None = base line, else the override code
    why: str
    outranked: tuple[str, ...] = ()


@dataclass(frozen=True)
class AppliedOverride:
    code: str
    name: str
    scope: str
    period: str
    rank: tuple[int, ...]


@dataclass(frozen=True)
class ResolvedScheme:
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
    version: int | None  # None: the unpublished working copy (a preview)
    effective_from: dt.date | None
    why_scheme: str
    framework: dict[str, Any]
    lines: tuple[ResolvedLine, ...]
    removed: tuple[tuple[str, str], ...]  # (indicator, override code)
    overrides: tuple[AppliedOverride, ...] = field(default=())

    @property
    def total_weight(self) -> Decimal:
        return sum((line.weight for line in self.lines), Decimal(0))


@dataclass(frozen=True)
class PlacementInfo:
    placement: Placement
    unit: OrgUnit
    home_unit: OrgUnit
    working_unit: OrgUnit | None
    names: Mapping[str, str]  # unit code → name, for the chain
    position_name: str = ""


def employee_placement(
    *, employee: Employee, on: dt.date, in_unit: OrgUnit | None = None
) -> PlacementInfo:
    """Home/working unit and position of ``employee`` on ``on`` from the assignment history.

    ``in_unit`` places the same person (same home unit and position) in that unit instead:
    a cycle asks which scheme applied to a dispatched person in each unit he worked in.
    """
    covering = (
        employee.assignments.filter(start_date__lte=on)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .select_related("home_unit", "working_unit", "position")
        .order_by("-start_date")
        .first()
    )
    if covering is not None:
        home, working, position = covering.home_unit, covering.working_unit, covering.position
    else:
        earlier = (
            employee.assignments.filter(start_date__lte=on)
            .select_related("home_unit", "position")
            .order_by("-start_date")
            .first()
        )
        if earlier is not None:  # a dispatch that has ended: back at the home unit
            home, working, position = earlier.home_unit, None, earlier.position
        elif on < employee.hire_date:
            raise NoSchemeApplies(
                _("%(name)s was not yet employed on %(date)s.")
                % {"name": employee.name, "date": on.isoformat()},
                code="not_employed",
            )
        else:
            home, working, position = employee.unit, employee.working_unit, employee.position
    if in_unit is not None:
        working = None if in_unit.pk == home.pk else in_unit
    unit = working or home
    step = OrgUnit.steplen
    chain_units = list(
        OrgUnit.objects.filter(
            path__in=[unit.path[:i] for i in range(step, len(unit.path) + 1, step)]
        )
    )
    placement = Placement(
        employee_no=employee.employee_no,
        position=position.code if position is not None else None,
        unit=unit.code,
        chain={u.code: u.depth for u in chain_units},
    )
    return PlacementInfo(
        placement,
        unit,
        home,
        working,
        {u.code: u.name for u in chain_units},
        position.name if position is not None else "",
    )


def versions_in_effect(on: dt.date) -> dict[int, SchemeVersion]:
    """The version of every scheme in effect on ``on`` (latest effective_from, then number)."""
    found: dict[int, SchemeVersion] = {}
    rows = SchemeVersion.objects.filter(effective_from__lte=on).order_by(
        "scheme_id", "-effective_from", "-number"
    )
    for version in rows:
        found.setdefault(version.scheme_id, version)
    return found


def _match(document: Doc, placement: Placement) -> tuple[tuple[int, int], dict[str, Any]] | None:
    best: tuple[tuple[int, int], dict[str, Any]] | None = None
    for entry in document["scheme"]["applies_to"]:
        unit, position = entry["unit"], entry["position"]
        if unit is not None and unit not in placement.chain:
            continue
        if position is not None and position != placement.position:
            continue
        key = (placement.chain[unit] if unit is not None else 0, int(position is not None))
        if best is None or key > best[0]:
            best = (key, entry)
    return best


def _scope_text(scope: Mapping[str, Any], names: Mapping[str, str]) -> str:
    parts = []
    if scope["employee"]:
        parts.append(_("employee %(no)s") % {"no": scope["employee"]})
    if scope["unit"]:
        parts.append(_("unit %(name)s") % {"name": names.get(scope["unit"], scope["unit"])})
    if scope["position"]:
        parts.append(_("position %(code)s") % {"code": scope["position"]})
    return " · ".join(parts) or _("everyone on the scheme")


def _period_text(period: Mapping[str, Any]) -> str:
    if period["from"] is None and period["to"] is None:
        return _("always")
    return f"{period['from'] or '…'} ~ {period['to'] or '…'}"


def resolve_document(
    document: Doc, info: PlacementInfo, on: dt.date
) -> tuple[list[ResolvedLine], list[tuple[str, str]], list[AppliedOverride]]:
    placement = info.placement
    chain = placement.chain
    applicable = [o for o in document["overrides"] if applies(o, placement, on)]
    winners = ordered(applicable, lambda code: chain.get(code, 0))
    merged = merge(document, winners)
    by_code = {o["code"]: o for o in document["overrides"]}
    if merged.incomplete or total(merged.lines) != HUNDRED:
        names = " + ".join(o["code"] for o in winners) or "-"
        raise SchemeInvalid(
            _(
                "For %(who)s on %(date)s the overrides %(names)s give weights summing to "
                "%(total)s, not 100; correct the scheme."
            )
            % {
                "who": placement.employee_no,
                "date": on.isoformat(),
                "names": names,
                "total": format(total(merged.lines).normalize(), "f"),
            },
            code="resolved_weights_not_100",
        )
    indicators = {i["code"]: i for i in document["indicators"]}
    lines = []
    for line in merged.lines:
        ind = indicators[line.indicator]
        if line.origin is None:
            why = _("base line of the scheme")
        else:
            o = by_code[line.origin]
            why = _("override %(code)s %(name)s — %(scope)s, %(period)s") % {
                "code": o["code"],
                "name": o["name"],
                "scope": _scope_text(o["scope"], info.names),
                "period": _period_text(o["period"]),
            }
        outranked = tuple(c for c in line.touched_by if c != line.origin)
        lines.append(
            ResolvedLine(
                indicator=line.indicator,
                name=ind["name"],
                name_en=ind["name_en"],
                category=ind["category"],
                direction=ind["direction"],
                unit=ind["unit"],
                weight=line.weight,
                rule=line.rule,
                params=line.params,
                target_method=line.target_method,
                target_value=line.target_value,
                source_set=line.source_set,
                origin=line.origin,
                why=why,
                outranked=outranked,
            )
        )
    applied = [
        AppliedOverride(
            o["code"],
            o["name"],
            _scope_text(o["scope"], info.names),
            _period_text(o["period"]),
            rank_of(o, lambda code: chain.get(code, 0)).key()[:5],
        )
        for o in winners
    ]
    return lines, sorted(merged.removed.items()), applied


def scheme_resolve_for(
    *,
    employee: Employee,
    on: dt.date,
    scheme: Scheme | None = None,
    draft: bool = False,
    in_unit: OrgUnit | None = None,
) -> ResolvedScheme:
    """The lines that score ``employee`` on ``on``, each with the reason it looks that way.

    Without ``scheme`` the applicable scheme is found among the versions in effect on
    ``on``; with ``scheme`` that scheme is used (its version in effect, or with
    ``draft=True`` its unpublished working copy, as a preview). ``in_unit`` resolves as if
    the person worked in that unit on ``on`` (see :func:`employee_placement`).
    """
    info = employee_placement(employee=employee, on=on, in_unit=in_unit)
    version: SchemeVersion | None = None
    if scheme is not None and draft:
        document = scheme_document(scheme)
        why = _("preview of the unpublished working copy")
    elif scheme is not None:
        version = versions_in_effect(on).get(scheme.pk)
        if version is None:
            raise NoSchemeApplies(
                _("Scheme %(code)s has no version in effect on %(date)s.")
                % {"code": scheme.code, "date": on.isoformat()}
            )
        document = version.document
        why = _("chosen explicitly")
    else:
        candidates = []
        for found in versions_in_effect(on).values():
            match = _match(found.document, info.placement)
            if match is not None:
                candidates.append((match[0], found.document["scheme"]["code"], found, match[1]))
        if not candidates:
            raise NoSchemeApplies(
                _("No published scheme applies to %(name)s on %(date)s.")
                % {"name": employee.name, "date": on.isoformat()}
            )
        # Most specific assignment first; the scheme code only makes ties deterministic.
        candidates.sort(key=lambda c: c[1])
        candidates.sort(key=lambda c: c[0], reverse=True)
        _key, _code, version, entry = candidates[0]
        document = version.document
        why = _("assigned to %(scope)s") % {
            "scope": _scope_text(
                {"employee": None, "unit": entry["unit"], "position": entry["position"]}, info.names
            )
        }
    lines, removed, applied = resolve_document(document, info, on)
    return ResolvedScheme(
        on=on,
        employee_id=employee.pk,
        employee_no=employee.employee_no,
        employee_name=employee.name,
        unit_code=info.unit.code,
        unit_name=info.unit.name,
        position=info.placement.position,
        position_name=info.position_name,
        scheme_code=document["scheme"]["code"],
        scheme_name=document["scheme"]["name"],
        version=version.number if version is not None else None,
        effective_from=version.effective_from if version is not None else None,
        why_scheme=why,
        framework=document["framework"],
        lines=tuple(lines),
        removed=tuple(removed),
        overrides=tuple(applied),
    )
