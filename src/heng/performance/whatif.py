"""What-if: score an uploaded scenario file with the engine, nothing stored.

The scenario format is the engine's (docs/scenario-format.md, the same files
``heng score`` reads); the result is turned into plain rows for the results table and an
ECharts option for the score distribution coloured by rating band.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
import yaml
from django.utils.translation import gettext as _

from heng.engine import EngineError, ScoreResult
from heng.engine.scenario import Scenario, parse_scenario
from heng.performance.documents.yamlio import YamlProblem, refuse_aliases
from heng.performance.errors import ScenarioInvalid

# Bucket width of the score histogram (points). Totals above 100 exist (caps of 120%).
BUCKET = 10
BAND_COLOURS = ["#2f7d4f", "#5b8ff9", "#f6bd16", "#e8684a", "#9270ca", "#6dc8ec"]


@dataclass(frozen=True)
class WhatIf:
    title: str
    columns: list[str]  # attribute columns shown next to the totals
    rows: list[dict[str, Any]]
    bands: list[dict[str, Any]]  # {code, name, count, share}
    distribution: list[dict[str, Any]]
    distribution_by: str | None
    chart: dict[str, Any]
    result: ScoreResult

    def explain(self, employee_id: str) -> dict[str, Any]:
        try:
            return self.result.explain(employee_id)
        except EngineError as exc:
            raise ScenarioInvalid(exc.message, code=exc.code) from None


def _refusal(exc: EngineError) -> ScenarioInvalid:
    return ScenarioInvalid(
        _("The scenario was refused: %(reason)s") % {"reason": exc.message},
        code=exc.code,
        fields={str(exc.details.get("path", "scenario")): exc.message},
    )


def scenario_from_text(text: str) -> Scenario:
    try:
        refuse_aliases(text)
    except YamlProblem as exc:
        raise ScenarioInvalid(
            _("line %(line)s: %(reason)s") % {"line": exc.line, "reason": exc.message},
            code="yaml_invalid",
        ) from None
    try:
        data = yaml.safe_load(text)
    except RecursionError:
        raise ScenarioInvalid(_("The file is nested too deeply."), code="yaml_invalid") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ScenarioInvalid(
            _("line %(line)s: this is not valid YAML.") % {"line": line}, code="yaml_invalid"
        ) from None
    try:
        return parse_scenario(data)
    except EngineError as exc:
        raise _refusal(exc) from None
    except (TypeError, KeyError, AttributeError, ValueError) as exc:
        # Shapes the scenario reader did not foresee: still a refusal, never a traceback.
        raise ScenarioInvalid(
            _("The scenario file could not be read: %(reason)s") % {"reason": exc},
            code="scenario_invalid",
        ) from None


def whatif_run(text: str, *, by: str | None = None) -> WhatIf:
    """Score the scenario; refusals (unknown rule, NaN or blank actual, target 0 …) are
    :class:`ScenarioInvalid` with the engine's reason naming the item."""
    scenario = scenario_from_text(text)
    try:
        result = scenario.run()
        group = by or scenario.distribution_by
        distribution = result.distribution(group)
    except EngineError as exc:
        raise _refusal(exc) from None
    totals = result.totals
    fixed = {
        "employee_id",
        "scheme",
        "name",
        "kpi",
        "review_score",
        "kpi_part",
        "review_part",
        "bonus_points",
        "bonus",
        "total",
        "rating",
        "rating_zh",
        "rating_en",
        "rank",
        "group_size",
        "percentile",
    }
    columns = [c for c in totals.columns if c not in fixed]
    rows = totals.sort(["total", "employee_id"], descending=[True, False]).to_dicts()
    for row in rows:
        row["attrs"] = [row[c] for c in columns]
    bands = _band_counts(result)
    return WhatIf(
        title=scenario.title,
        columns=columns,
        rows=rows,
        bands=bands,
        distribution=distribution.to_dicts(),
        distribution_by=group,
        chart=_chart(result, bands),
        result=result,
    )


def _band_counts(result: ScoreResult) -> list[dict[str, Any]]:
    counts = dict(result.totals.group_by("rating").len().iter_rows())
    n = result.totals.height or 1
    return [
        {
            "code": b.code,
            "name": b.name_zh or b.code,
            "name_en": b.name_en or b.code,
            "count": int(counts.get(b.code, 0)),
            "share": round(100 * counts.get(b.code, 0) / n, 1),
        }
        for b in result.config.rating_bands
    ]


def _chart(result: ScoreResult, bands: list[dict[str, Any]]) -> dict[str, Any]:
    """Histogram of totals in 10-point buckets, one stacked series per rating band."""
    totals = result.totals.select(
        (pl.col("total") // BUCKET * BUCKET).cast(pl.Int64).alias("bucket"), "rating"
    )
    highest = totals.get_column("bucket").max() if totals.height else 0
    top = int(highest) if isinstance(highest, int | float) else 0
    edges = list(range(0, max(top, 100) + BUCKET, BUCKET))
    grid = dict(
        totals.group_by("bucket", "rating")
        .len()
        .select(pl.concat_str("bucket", pl.lit("|"), "rating"), "len")
        .iter_rows()
    )
    series = [
        {
            "name": b["name"],
            "type": "bar",
            "stack": "total",
            "itemStyle": {"color": BAND_COLOURS[i % len(BAND_COLOURS)]},
            "data": [grid.get(f"{edge}|{b['code']}", 0) for edge in edges],
        }
        for i, b in enumerate(bands)
    ]
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 40, "right": 10, "bottom": 40, "top": 40},
        "xAxis": {
            "type": "category",
            "name": _("score"),
            "data": [f"{e}–{e + BUCKET}" for e in edges],
        },
        "yAxis": {"type": "value", "name": _("people"), "minInterval": 1},
        "series": series,
    }
