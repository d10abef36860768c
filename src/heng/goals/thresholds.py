"""Pace thresholds: which share of the pace alerts, per KPI, indicator or scheme.

Precedence (applied in :func:`heng.goals.evaluation.evaluate`): the KPI's own threshold, the
indicator's (:class:`IndicatorPace`), the scheme's the person is assessed under
(:class:`SchemePace`), then ``HENG_PACE_ALERT_THRESHOLD`` (0.7).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from heng.goals.models import IndicatorPace, SchemePace
from heng.org.models import OrgUnit, Position
from heng.people.models import Employee, EmploymentStatus
from heng.performance.models import SchemeVersion

STEP = OrgUnit.steplen


def thresholds() -> dict[int, float]:
    return {
        i: float(t) for i, t in IndicatorPace.objects.values_list("indicator_id", "alert_threshold")
    }


SchemeEntry = tuple[int, str, list[dict[str, Any]]]


def _schemes_in_effect(on: dt.date) -> list[SchemeEntry]:
    """``(scheme_id, code, applies_to)`` of the version of every scheme in effect on ``on``
    (latest effective date, then number — as the appraisal's resolution picks it)."""
    latest: dict[int, int] = {}
    for pk, scheme_id in (
        SchemeVersion.objects.filter(effective_from__lte=on)
        .order_by("scheme_id", "-effective_from", "-number")
        .values_list("pk", "scheme_id")
    ):
        latest.setdefault(scheme_id, pk)
    docs = SchemeVersion.objects.filter(pk__in=latest.values()).values_list("scheme_id", "document")
    return [
        (scheme_id, str(doc["scheme"]["code"]), list(doc["scheme"].get("applies_to") or []))
        for scheme_id, doc in docs
    ]


def scheme_of(
    chain: dict[str, int], position: str | None, schemes: list[SchemeEntry]
) -> int | None:
    """The scheme a person placed in the unit ``chain`` (code → depth) on ``position`` is
    assessed under: the most specific assignment (deepest unit, then with a position) wins,
    the scheme code breaking ties — the rule of ``performance.selectors.resolve``."""
    best: tuple[tuple[int, int], str, int] | None = None
    for scheme_id, code, applies_to in schemes:
        for entry in applies_to:
            unit, wanted = entry.get("unit"), entry.get("position")
            if unit is not None and unit not in chain:
                continue
            if wanted is not None and wanted != position:
                continue
            key = (chain[unit] if unit is not None else 0, int(wanted is not None))
            if best is None or key > best[0] or (key == best[0] and code < best[1]):
                best = (key, code, scheme_id)
    return best[2] if best is not None else None


def scheme_thresholds(*, as_of: dt.date) -> pl.DataFrame:
    """``employee_id, scheme_threshold`` for the active people whose scheme (the one in effect
    on ``as_of`` that applies to them) has a pace threshold; empty (after one query) when no
    scheme has one. Placement as now: working unit if dispatched, else home; position."""
    schema = {"employee_id": pl.Int64, "scheme_threshold": pl.Float64}
    paced = {i: float(t) for i, t in SchemePace.objects.values_list("scheme_id", "alert_threshold")}
    if not paced:
        return pl.DataFrame(schema=schema)
    schemes = _schemes_in_effect(as_of)
    if not any(scheme_id in paced for scheme_id, _c, _a in schemes):
        return pl.DataFrame(schema=schema)
    units = {
        pk: (path, code, depth)
        for pk, path, code, depth in OrgUnit.objects.values_list("pk", "path", "code", "depth")
    }
    by_path = {path: (code, depth) for path, code, depth in units.values()}
    positions = dict(Position.objects.values_list("pk", "code"))
    placed: dict[tuple[int, int | None], float | None] = {}
    out = []
    for employee_id, home, working, position in Employee.objects.filter(
        status=EmploymentStatus.ACTIVE
    ).values_list("pk", "unit_id", "working_unit_id", "position_id"):
        place = (working or home, position)
        if place not in placed:
            path = units[place[0]][0]
            chain = dict(
                by_path[path[:end]]
                for end in range(STEP, len(path) + 1, STEP)
                if path[:end] in by_path
            )
            scheme_id = scheme_of(chain, positions.get(position), schemes)
            placed[place] = paced.get(scheme_id) if scheme_id is not None else None
        if placed[place] is not None:
            out.append((employee_id, placed[place]))
    return pl.DataFrame(out, schema=schema, orient="row")
