"""Deterministic synthetic inputs for the engine benchmark (numpy, fixed seed).

20 indicators covering every rule kind (relative in all three modes), three regional
schemes with different weights, a 40/30/30 framework, 500 units in 3 regions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import polars as pl

from heng.engine import ScoringConfig
from heng.engine import columns as c

SEED = 20260101
REGIONS = ("south", "north", "west")
N_UNITS = 500

# code, category, direction, rule, params, target (None = not used), weights per region
INDICATORS: tuple[
    tuple[str, str, str, str, dict[str, object], float | None, tuple[int, int, int]], ...
] = (
    ("sales", "result", "higher", "linear", {"cap": 120}, 100.0, (10, 8, 8)),
    ("gross_margin", "result", "higher", "linear", {"cap": 110}, 30.0, (5, 5, 5)),
    (
        "new_customers",
        "result",
        "higher",
        "threshold_points",
        {"met_points": 10, "exceeded_points": 12, "margin": 0.1},
        20.0,
        (5, 5, 5),
    ),
    (
        "collection",
        "result",
        "higher",
        "bands",
        {"steps": [[80, 60], [90, 80], [100, 100], [110, 110]]},
        95.0,
        (5, 5, 5),
    ),
    ("plays", "result", "higher", "relative", {"against": "benchmark"}, None, (5, 7, 6)),
    (
        "conversion",
        "result",
        "higher",
        "relative",
        {"against": "peer_median", "group_by": "region"},
        None,
        (5, 5, 6),
    ),
    (
        "retention",
        "result",
        "higher",
        "relative",
        {"against": "peer_percentile", "group_by": "unit"},
        None,
        (3, 3, 3),
    ),
    ("likes", "result", "higher", "relative", {"against": "peer_median"}, None, (2, 2, 2)),
    ("damage_rate", "process", "lower", "lower_better", {"cap": 120}, 2.0, (5, 5, 5)),
    ("delivery_cost", "process", "lower", "lower_better", {}, 10.0, (5, 5, 5)),
    (
        "complaint_rate",
        "process",
        "lower",
        "threshold_points",
        {"met_points": 10, "exceeded_points": 12, "margin": 0.2},
        1.0,
        (5, 5, 5),
    ),
    (
        "response_time",
        "process",
        "lower",
        "bands",
        {"steps": [[50, 40], [80, 80], [100, 100]]},
        30.0,
        (5, 5, 5),
    ),
    ("videos", "process", "higher", "frequency", {"minimum": 4}, None, (5, 5, 5)),
    (
        "revisions",
        "process",
        "higher",
        "frequency",
        {"minimum": 2, "mode": "all_or_nothing"},
        None,
        (5, 5, 5),
    ),
    ("satisfaction", "growth", "higher", "manual", {}, None, (5, 5, 5)),
    ("quality", "growth", "higher", "manual", {"max": 100}, None, (5, 5, 5)),
    (
        "peer_review",
        "growth",
        "higher",
        "review",
        {"scale_max": 5, "scale_min": 1},
        None,
        (5, 5, 5),
    ),
    ("training", "growth", "higher", "linear", {"cap": 100}, 40.0, (5, 5, 5)),
    ("attendance", "growth", "higher", "linear", {"cap": 100}, 22.0, (5, 5, 5)),
    ("innovation", "growth", "higher", "bands", {"steps": [[50, 50], [100, 100]]}, 2.0, (5, 5, 5)),
)
REGION_BENCHMARK = {"south": 100_000.0, "north": 25_000.0, "west": 50_000.0}
CONFIG = ScoringConfig.create(category_weights={"result": 40, "process": 30, "growth": 30})


@dataclass(frozen=True)
class Inputs:
    employees: pl.DataFrame
    lines: pl.DataFrame
    values: pl.DataFrame


def lines_frame() -> pl.DataFrame:
    rows = []
    for r, region in enumerate(REGIONS):
        for code, category, direction, rule, params, _target, weights in INDICATORS:
            rows.append(
                {
                    c.SCHEME: f"ops-{region}",
                    c.INDICATOR: code,
                    c.CATEGORY: category,
                    c.DIRECTION: direction,
                    c.RULE: rule,
                    c.PARAMS: json.dumps(params),
                    c.WEIGHT: float(weights[r]),
                }
            )
    return pl.DataFrame(rows)


def generate(n_employees: int, seed: int = SEED) -> Inputs:
    rng = np.random.default_rng(seed)
    unit = rng.integers(0, N_UNITS, n_employees)
    region_idx = unit % len(REGIONS)
    ids = np.char.add("E", np.char.zfill(np.arange(1, n_employees + 1).astype(str), 7))
    regions = np.array(REGIONS)[region_idx]
    employees = pl.DataFrame(
        {
            c.EMPLOYEE_ID: ids,
            c.SCHEME: np.char.add("ops-", regions),
            "unit": np.char.add("U", np.char.zfill(unit.astype(str), 3)),
            "region": regions,
        }
    )
    n_ind = len(INDICATORS)
    n = n_employees * n_ind
    which = np.tile(np.arange(n_ind), n_employees)
    emp_idx = np.repeat(np.arange(n_employees), n_ind)
    target = np.full(n, np.nan)
    benchmark = np.full(n, np.nan)
    actual = np.empty(n)
    noise = rng.lognormal(0.0, 0.25, n)
    for i, (code, _cat, _dir, rule, params, tgt, _w) in enumerate(INDICATORS):
        mask = which == i
        m = noise[mask]
        if tgt is not None:
            target[mask] = tgt
            actual[mask] = np.round(tgt * m, 3)
        elif rule == "relative":
            base = np.array([REGION_BENCHMARK[r] for r in REGIONS])[region_idx[emp_idx[mask]]]
            if params.get("against") == "benchmark":
                benchmark[mask] = base
            actual[mask] = np.round(base * m, 0)
        elif rule == "frequency":
            actual[mask] = rng.integers(0, 7, int(mask.sum()))
        elif rule == "manual":
            actual[mask] = np.round(np.clip(85 * m, 0, 100), 1)
        elif rule == "review":
            actual[mask] = np.round(np.clip(4 * m, 1, 5), 2)
        else:  # pragma: no cover - every indicator is covered above
            raise AssertionError(code)
    values = pl.DataFrame(
        {
            c.EMPLOYEE_ID: ids[emp_idx],
            c.INDICATOR: np.array([x[0] for x in INDICATORS])[which],
            c.ACTUAL: actual,
            c.TARGET: target,
            c.BENCHMARK: benchmark,
        }
    ).with_columns(pl.col(c.TARGET).fill_nan(None), pl.col(c.BENCHMARK).fill_nan(None))
    return Inputs(employees, lines_frame(), values)
