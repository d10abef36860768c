"""The example scenarios reproduce the seed cases with hand-checked numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import yaml

from heng.engine import ScoreResult
from heng.engine.scenario import load_scenario, parse_scenario

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"


def _run(name: str) -> ScoreResult:
    return load_scenario(EXAMPLES / name).run()


def _total(result: ScoreResult, employee: str) -> dict[str, Any]:
    return result.totals.filter(pl.col("employee_id") == employee).row(0, named=True)


def _score(result: ScoreResult, employee: str, indicator: str) -> float:
    rows = result.indicators.filter(
        (pl.col("employee_id") == employee) & (pl.col("indicator") == indicator)
    )
    return float(rows["score"].item())


# ------------------------------------------------------------------- seed 002: chefs
def test_dispatched_chef_store_50_20_and_hq_30() -> None:
    result = _run("dispatched_chef.yaml")
    # C01: quality 92 × 50% = 46; complaints 2 / 2.5 = 80 × 20% = 16; R&D 2 of 2 → 100 × 30% = 30
    assert _total(result, "C01")["total"] == 92.0
    # C02: 85 × 50% = 42.5; 2 / 1.6 = 125 → cap 120 × 20% = 24; 1 of 2 = 50% → step 60 × 30% = 18
    assert _total(result, "C02")["total"] == 84.5
    # C03: 70 × 50% = 35; 2 / 4 = 50 × 20% = 10; 0 dishes → 0
    assert _total(result, "C03")["total"] == 45.0
    assert result.totals["rating_zh"].to_list() == ["优秀", "良好", "不合格"]
    # store set: 46 + 16 = 62 of 70; HQ set: 30 of 30
    c01 = result.sets.filter(pl.col("employee_id") == "C01")
    assert c01.select("source_set", "weight", "contribution").rows() == [
        ("hq", 30.0, 30.0),
        ("store", 70.0, 62.0),
    ]


# ------------------------------------------------------- seed 001: KPI 70% + 360 30%
def test_operations_kpi_70_360_30_met_10_exceeded_12() -> None:
    result = _run("operations_kpi_360.yaml")
    op01 = _total(result, "OP01")
    # KPI: repurchase 34 ≥ 33 → 12 pts → 120 × 30% = 36; orders 1.6 met → 100 × 25% = 25;
    # referral 560 ≥ 550 → 120 × 25% = 30; complaints 1.7 ≤ 1.8 → 120 × 20% = 24 → KPI 115
    # 360: manager 4.6 → 92, peers 4.2 avg → 84, self 4.5 → 90 → 46 + 25.2 + 18 = 89.2
    # total = 115 × 70% + 89.2 × 30% + bonus 3 = 80.5 + 26.76 + 3 = 110.26
    assert (op01["kpi"], op01["review_score"], op01["bonus"], op01["total"]) == (
        115.0,
        89.2,
        3.0,
        110.26,
    )
    # OP02: every KPI exactly met → 100 → 70; all reviews 4 → 80 → 24; total 94
    assert _total(result, "OP02")["total"] == 94.0
    # OP10: only referral met (100 × 25%) → KPI 25 → 17.5; 360: 60 × 50% + 62 × 30% + 70 × 20%
    # = 62.6 → 18.78; total 36.28 → 不合格
    op10 = _total(result, "OP10")
    assert (op10["total"], op10["rating_zh"]) == (36.28, "不合格")
    # OP04: bonus 2 + 3 + 2 = 7 points, capped at 5
    op04 = _total(result, "OP04")
    assert (op04["bonus_points"], op04["bonus"], op04["total"]) == (7.0, 5.0, 86.94)


def test_operations_distribution_against_20_70_10() -> None:
    dist = _run("operations_kpi_360.yaml").distribution()
    assert dist.select("bucket", "count", "share", "target_share", "status").rows() == [
        ("优秀", 3, 30.0, 20.0, "over"),
        ("合格", 4, 40.0, 70.0, "under"),
        ("不合格", 3, 30.0, 10.0, "over"),
    ]


# ------------------------------------------------------ seed 000: Douyin, 12 branches
def test_douyin_regional_benchmarks_make_25k_north_plays_equal_100k_south_plays() -> None:
    result = _run("douyin_12_branches.yaml")
    assert _score(result, "N01", "plays") == 100.0  # 25,000 of a 25,000 benchmark
    assert _score(result, "S01", "checkin_plays") == 100.0  # 100,000 of 100,000
    assert result.totals.filter(pl.col("employee_id").is_in(["N01", "S01", "W01"]))[
        "scheme"
    ].to_list() == ["douyin_operator+north", "douyin_operator+south", "douyin_operator+west"]


def test_douyin_totals_with_framework_40_30_30() -> None:
    result = _run("douyin_12_branches.yaml")
    # N01 (north): result lines 25 + 25 share 40 → 20 each; process 10/15/10 share 30;
    # growth 15 → 30. plays 100 × 20% = 20; retention 38 / 35 = 108.5714 × 20% = 21.7143;
    # post 100 × 8.5714% = 8.5714; reply 90 × 12.8571% = 11.5714; revisions 8.5714;
    # training 100 × 30% = 30 → KPI 100.4285 → total 100.43
    assert (_total(result, "N01")["kpi"], _total(result, "N01")["total"]) == (100.4285, 100.43)
    # S01 (south): female conversion 9.2 / 8 = 115 × 24% = 27.6; check-in plays 100 × 16% = 16;
    # post 8.5714; reply 95 × 12.8571% = 12.2143; revisions 8.5714; training 30
    # → KPI 102.9571 → total 102.96
    assert (_total(result, "S01")["kpi"], _total(result, "S01")["total"]) == (102.9571, 102.96)


def test_douyin_west_interaction_is_scored_against_the_west_median() -> None:
    result = _run("douyin_12_branches.yaml")
    # west 12, 9, 10, 14, 8, 11 → median 10.5; W01 12 / 10.5 = 114.2857
    w01 = result.indicators.filter(
        (pl.col("employee_id") == "W01") & (pl.col("indicator") == "homemaker_interaction")
    )
    assert w01.select("reference", "score").row(0) == (10.5, 114.2857)


# --------------------------------------------------- seed 003: eight departments
SEED_003_WEIGHTS = {
    "logistics": [40, 25, 20, 15],
    "business_development": [30, 25, 20, 15, 10],
    "finance": [30, 25, 20, 15, 10],
    "human_resources": [25, 20, 15, 15, 25],
    "operations": [25, 20, 15, 10, 30],
    "customer_service": [30, 25, 20, 15, 10],
    "design": [25, 20, 15, 10, 30],
    "new_media": [25, 20, 15, 20, 20],
}


def test_ecommerce_schemes_carry_the_exact_seed_weights() -> None:
    data = yaml.safe_load((EXAMPLES / "ecommerce_departments.yaml").read_text(encoding="utf-8"))
    weights = {
        name: [line["weight"] for line in scheme["lines"]]
        for name, scheme in data["schemes"].items()
    }
    assert weights == SEED_003_WEIGHTS


def test_ecommerce_department_totals() -> None:
    result = _run("ecommerce_departments.yaml")
    # LG01: on-time 98 / 98 → 100 × 40% = 40; damage 0.5 / 0.4 = 125 → 120 × 25% = 30;
    # cost 8 / 8 → 100 × 20% = 20; complaints 1 / 1.25 = 80 × 15% = 12 → 102
    assert _total(result, "LG01")["total"] == 102.0
    # BD01: sales 460 / 400 = 115 × 30% = 34.5; new 40 / 40 × 25% = 25; margin 22.5 / 25 = 90
    # × 20% = 18; retention 84 / 80 = 105 × 15% = 15.75; collection 96 / 98 = 98% → step 95
    # → 80 × 10% = 8 → 101.25
    assert _total(result, "BD01")["total"] == 101.25


def test_ecommerce_peak_season_raises_sales_30_to_40() -> None:
    data = yaml.safe_load((EXAMPLES / "ecommerce_departments.yaml").read_text(encoding="utf-8"))
    data["context"]["period"] = "peak"
    bd01 = _total(parse_scenario(data).run(), "BD01")
    # sales 115 × 40% = 46; new customers 100 × 15% = 15; 18 + 15.75 + 8 as before → 102.75
    assert (bd01["scheme"], bd01["total"]) == ("business_development+peak_season", 102.75)
