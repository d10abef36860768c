"""The baseline: the same scoring as a plain Python loop over rows (no vectorisation).

Per-rule arithmetic comes from :func:`heng.engine.reference.reference_score`; everything
else — effective weights, peer groups, rounding, contributions, totals, ratings — is done
here row by row, the way a hand-written script would.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from typing import Any

import polars as pl

from heng.engine import ScoringConfig, compile_rule
from heng.engine.reference import reference_score, round_half_even


def rows_of(
    employees: pl.DataFrame, lines: pl.DataFrame, values: pl.DataFrame
) -> tuple[list[dict[str, Any]], ...]:
    return employees.to_dicts(), lines.to_dicts(), values.to_dicts()


def python_loop(
    employees: list[dict[str, Any]],
    lines: list[dict[str, Any]],
    values: list[dict[str, Any]],
    config: ScoringConfig,
) -> tuple[float, dict[str, float], dict[tuple[str, str], float]]:
    """(seconds, total per employee, score per (employee, indicator))."""
    start = time.perf_counter()
    framework = config.category_weight_map() or {}
    # Per scheme: line by indicator, effective weight (same formula as the engine).
    scheme_lines: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for ln in lines:
        scheme_lines[ln["scheme"]][ln["indicator"]] = ln
    effective: dict[tuple[str, str], float] = {}
    compiled: dict[tuple[str, str], Any] = {}
    for scheme, by_code in scheme_lines.items():
        cat_sum: dict[str, int] = defaultdict(int)
        for ln in by_code.values():
            cat_sum[ln["category"]] += round(ln["weight"] * 10_000)
        present = sum(float(framework[k]) for k, v in cat_sum.items() if v > 0)
        for code, ln in by_code.items():
            w = round(ln["weight"] * 10_000)
            cw = float(framework[ln["category"]])
            effective[(scheme, code)] = w * cw * 100.0 / (cat_sum[ln["category"]] * present)
            compiled[(scheme, code)] = compile_rule(
                ln["rule"], json.loads(ln["params"]), ln["direction"]
            )
    person = {e["employee_id"]: e for e in employees}
    # First pass: peer groups (indicator, grouping attribute, value) → actuals.
    peers: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for v in values:
        e = person[v["employee_id"]]
        rule = compiled.get((e["scheme"], v["indicator"]))
        if rule is not None and rule.rule == "relative" and rule.params.against != "benchmark":
            attr = rule.params.group_by or ""
            peers[(v["indicator"], attr, e.get(attr, "") if attr else "")].append(v["actual"])
    # Second pass: score every row and add up contributions.
    kpi: dict[str, int] = defaultdict(int)
    scores: dict[tuple[str, str], float] = {}
    for v in values:
        e = person[v["employee_id"]]
        key = (e["scheme"], v["indicator"])
        rule = compiled.get(key)
        if rule is None:
            continue
        group: list[float] = []
        if rule.rule == "relative" and rule.params.against != "benchmark":
            attr = rule.params.group_by or ""
            group = peers[(v["indicator"], attr, e.get(attr, "") if attr else "")]
        _, raw = reference_score(rule, v["actual"], v["target"], v["benchmark"], group)
        score = round_half_even(raw, 4)
        scores[(v["employee_id"], v["indicator"])] = score
        kpi[v["employee_id"]] += round(score * effective[key] * 100.0)
    totals: dict[str, float] = {}
    ratings: dict[str, str] = {}
    bands = config.rating_bands
    for emp, points in kpi.items():
        total = round(points / 100.0) / 100.0
        totals[emp] = total
        ratings[emp] = next((b.code for b in bands if total >= float(b.min_score)), bands[-1].code)
    return time.perf_counter() - start, totals, scores
