"""Composition (B6): categories, framework weights, KPI + 360, bonus, source sets, weights."""

from __future__ import annotations

import polars as pl
import pytest

from heng.engine import EngineError, ScoringConfig
from heng.engine.tests.builders import line, run

FRAMEWORK = ScoringConfig.create(category_weights={"result": 40, "process": 30, "growth": 30})


def test_without_framework_the_line_weights_are_the_effective_weights() -> None:
    # 110 × 40% + 80 × 60% = 44 + 48 = 92
    result = run(
        [line("a", "linear", 40), line("b", "linear", 60, category="process")],
        [("E1", "a", 110, 100), ("E1", "b", 80, 100)],
    )
    assert result.indicators["effective_weight"].to_list() == [40.0, 60.0]
    assert result.indicators["contribution"].to_list() == [44.0, 48.0]
    assert result.totals.row(0, named=True)["kpi"] == 92.0


def test_framework_weights_split_among_a_categorys_lines_by_line_weight() -> None:
    # result lines 30 and 20 share result's 40 → 24 and 16; process 35 → 30; growth 15 → 30
    lines = [
        line("a", "manual", 30),
        line("b", "manual", 20),
        line("c", "manual", 35, category="process"),
        line("d", "manual", 15, category="growth"),
    ]
    result = run(
        lines,
        [("E1", "a", 100), ("E1", "b", 50), ("E1", "c", 80), ("E1", "d", 90)],
        config=FRAMEWORK,
    )
    assert result.indicators["effective_weight"].to_list() == [24.0, 16.0, 30.0, 30.0]
    # contributions: 100 × 24% = 24, 50 × 16% = 8, 80 × 30% = 24, 90 × 30% = 27 → KPI 83
    assert result.indicators["contribution"].to_list() == [24.0, 8.0, 24.0, 27.0]
    cats = result.categories.select("category", "score", "contribution").rows()
    # result: (100 × 30 + 50 × 20) / 50 = 80 → 80 × 40% = 32
    assert cats == [("growth", 90.0, 27.0), ("process", 80.0, 24.0), ("result", 80.0, 32.0)]
    assert result.totals["kpi"].to_list() == [83.0]


def test_only_the_categories_present_share_the_framework() -> None:
    # no growth lines: 40/30 are scaled to 100 → 57.1429 / 42.8571
    lines = [line("a", "manual", 60), line("b", "manual", 40, category="process")]
    result = run(lines, [("E1", "a", 100), ("E1", "b", 50)], config=FRAMEWORK)
    assert result.indicators["effective_weight"].to_list() == [57.1429, 42.8571]
    # 100 × 57.142857% = 57.1429 and 50 × 42.857143% = 21.4286 (each rounded to 4 decimals)
    assert result.indicators["contribution"].to_list() == [57.1429, 21.4286]
    # the KPI is the exact sum of the shown contributions: 78.5715; the total 78.57
    assert result.totals.select("kpi", "total").row(0) == (78.5715, 78.57)


def test_a_line_outside_the_framework_categories_is_refused() -> None:
    with pytest.raises(EngineError) as err:
        run([line("a", "manual", 100, category="luck")], [("E1", "a", 1)], config=FRAMEWORK)
    assert (err.value.code, err.value.details["category"]) == ("category_unknown", "luck")


def _reviews(rows: list[tuple[str, str | None, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["employee_id", "rater_group", "value"], orient="row")


def test_kpi_70_plus_360_30_with_rater_group_weights() -> None:
    # KPI 100. 360 on 1–5: manager 4.6 → 92; peers 4.2, 4.4, 4.0 → mean 4.2 → 84; self 4.5 → 90
    # weighted 92 × 50% + 84 × 30% + 90 × 20% = 46 + 25.2 + 18 = 89.2
    # total = 100 × 70% + 89.2 × 30% = 70 + 26.76 = 96.76
    config = ScoringConfig.create(
        kpi_weight=70,
        review_weight=30,
        review_scale=(1, 5),
        review_group_weights={"manager": 50, "peer": 30, "self": 20},
    )
    reviews = _reviews(
        [
            ("E1", "manager", 4.6),
            ("E1", "peer", 4.2),
            ("E1", "peer", 4.4),
            ("E1", "peer", 4.0),
            ("E1", "self", 4.5),
        ]
    )
    result = run([line("a", "manual", 100)], [("E1", "a", 100)], config=config, reviews=reviews)
    row = result.totals.row(0, named=True)
    assert (row["kpi"], row["review_score"], row["kpi_part"], row["review_part"], row["total"]) == (
        100.0,
        89.2,
        70.0,
        26.76,
        96.76,
    )


def test_rater_groups_without_answers_are_left_out_of_the_weights() -> None:
    # only manager (4 → 80) and peer (3 → 60): (80 × 50 + 60 × 30) / 80 = 72.5
    config = ScoringConfig.create(
        kpi_weight=50,
        review_weight=50,
        review_scale=(1, 5),
        review_group_weights={"manager": 50, "peer": 30, "self": 20},
    )
    reviews = _reviews([("E1", "manager", 4.0), ("E1", "peer", 3.0)])
    result = run([line("a", "manual", 100)], [("E1", "a", 100)], config=config, reviews=reviews)
    assert result.totals["review_score"].to_list() == [72.5]


def test_plain_mean_of_reviews_without_group_weights() -> None:
    # (80 + 90 + 85) / 3 = 85 on a 0–100 scale
    config = ScoringConfig.create(kpi_weight=70, review_weight=30)
    reviews = _reviews([("E1", None, 80), ("E1", None, 90), ("E1", None, 85)])
    result = run([line("a", "manual", 100)], [("E1", "a", 50)], config=config, reviews=reviews)
    # 50 × 70% + 85 × 30% = 35 + 25.5 = 60.5
    assert result.totals.select("review_score", "total").row(0) == (85.0, 60.5)


@pytest.mark.parametrize(
    ("reviews", "code"),
    [
        (None, "review_missing"),
        ([("E2", None, 80.0)], "review_missing"),  # E1 has none
        ([("E1", None, 101.0), ("E2", None, 50.0)], "review_out_of_range"),
        ([("E1", None, 80.0), ("E2", None, 50.0), ("E9", None, 50.0)], "employee_unknown"),
    ],
)
def test_review_problems_are_refused(
    reviews: list[tuple[str, str | None, float]] | None, code: str
) -> None:
    config = ScoringConfig.create(kpi_weight=70, review_weight=30)
    frame = None if reviews is None else _reviews(reviews)
    with pytest.raises(EngineError) as err:
        run(
            [line("a", "manual", 100)],
            [("E1", "a", 50), ("E2", "a", 50)],
            config=config,
            reviews=frame,
        )
    assert err.value.code == code


def test_an_unknown_rater_group_is_refused() -> None:
    config = ScoringConfig.create(
        kpi_weight=70, review_weight=30, review_group_weights={"manager": 100}
    )
    with pytest.raises(EngineError) as err:
        run(
            [line("a", "manual", 100)],
            [("E1", "a", 50)],
            config=config,
            reviews=_reviews([("E1", "friend", 80)]),
        )
    assert (err.value.code, err.value.details["rater_group"]) == ("rater_group_unknown", "friend")


def test_reviews_that_would_not_count_are_refused() -> None:
    with pytest.raises(EngineError) as err:
        run([line("a", "manual", 100)], [("E1", "a", 50)], reviews=_reviews([("E1", None, 80)]))
    assert err.value.code == "reviews_unused"


def _bonus(rows: list[tuple[str, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["employee_id", "points"], orient="row")


def test_bonus_points_are_added_up_to_the_cap() -> None:
    # E1: 2 + 3 + 2 = 7 → cap 5 → 80 + 5 = 85; E2: 2 → 70 + 2 = 72; E3: none → 60
    config = ScoringConfig.create(bonus_cap=5)
    result = run(
        [line("a", "manual", 100)],
        [("E1", "a", 80), ("E2", "a", 70), ("E3", "a", 60)],
        config=config,
        bonus=_bonus([("E1", 2), ("E1", 3), ("E1", 2), ("E2", 2)]),
    )
    assert result.totals.select("bonus_points", "bonus", "total").rows() == [
        (7.0, 5.0, 85.0),
        (2.0, 2.0, 72.0),
        (0.0, 0.0, 60.0),
    ]


@pytest.mark.parametrize(
    ("rows", "code"), [([("E1", -1.0)], "bonus_invalid"), ([("E9", 1.0)], "employee_unknown")]
)
def test_bonus_problems_are_refused(rows: list[tuple[str, float]], code: str) -> None:
    with pytest.raises(EngineError) as err:
        run([line("a", "manual", 100)], [("E1", "a", 80)], bonus=_bonus(rows))
    assert err.value.code == code


def test_dispatched_staff_combine_store_and_hq_sets_by_line_weight() -> None:
    # seed 002: dish quality 50 (store) 92, complaints 20 (store) 2.5% vs 2% → 80,
    # new-dish R&D 30 (HQ) 100 → store 46 + 16 = 62, HQ 30, KPI 92
    lines = [
        line("quality", "manual", 50, source_set="store"),
        line("complaints", "lower_better", 20, direction="lower", source_set="store"),
        line("rd", "manual", 30, category="growth", source_set="hq"),
    ]
    result = run(lines, [("C1", "quality", 92), ("C1", "complaints", 2.5, 2.0), ("C1", "rd", 100)])
    assert result.sets.select("source_set", "weight", "contribution").rows() == [
        ("hq", 30.0, 30.0),
        ("store", 70.0, 62.0),
    ]
    # store score = (92 × 50 + 80 × 20) / 70 = 88.5714
    assert result.sets["score"].to_list() == [100.0, 88.5714]
    assert result.totals["total"].to_list() == [92.0]


def test_each_employee_is_scored_with_their_own_scheme() -> None:
    lines = [
        line("a", "manual", 100, scheme="s1"),
        line("a", "manual", 50, scheme="s2"),
        line("b", "manual", 50, scheme="s2"),
    ]
    employees = [{"employee_id": "E1", "scheme": "s1"}, {"employee_id": "E2", "scheme": "s2"}]
    # E1: 60; E2: 60 × 50% + 100 × 50% = 80; E1's value for b is not in s1 and is ignored
    result = run(
        lines,
        [("E1", "a", 60), ("E1", "b", 0), ("E2", "a", 60), ("E2", "b", 100)],
        employees=employees,
    )
    assert result.totals.select("employee_id", "scheme", "total").rows() == [
        ("E1", "s1", 60.0),
        ("E2", "s2", 80.0),
    ]
    assert result.indicators.height == 3


# ---------------------------------------------------------------------------------- weights
def test_weights_summing_to_exactly_100_are_accepted() -> None:
    result = run(
        [line("a", "manual", 30), line("b", "manual", 70)], [("E1", "a", 100), ("E1", "b", 100)]
    )
    assert result.totals["total"].to_list() == [100.0]


@pytest.mark.parametrize(
    ("weights", "total"),
    [((30, 69.99), "99.99"), ((30, 70.01), "100.01"), ((0.1, 0.2, 99.6), "99.9")],
)
def test_weights_not_summing_to_exactly_100_are_refused(
    weights: tuple[float, ...], total: str
) -> None:
    lines = [line(f"i{n}", "manual", w) for n, w in enumerate(weights)]
    values = [("E1", f"i{n}", 50) for n in range(len(weights))]
    with pytest.raises(EngineError) as err:
        run(lines, values)
    assert (err.value.code, err.value.details["total"], err.value.details["scheme"]) == (
        "weights_not_100",
        total,
        "s",
    )


def test_binary_fractions_that_sum_to_100_in_decimal_are_accepted() -> None:
    # 0.1 + 0.2 + 99.7 = 100 exactly in decimal (in binary floats it is 100.00000000000001)
    lines = [line("a", "manual", 0.1), line("b", "manual", 0.2), line("c", "manual", 99.7)]
    run(lines, [("E1", "a", 1), ("E1", "b", 1), ("E1", "c", 1)])


@pytest.mark.parametrize(
    ("weight", "code"),
    [(-10, "weight_negative"), (50.00001, "weight_precision"), (float("nan"), "weight_missing")],
)
def test_bad_weights_are_refused_naming_the_line(weight: float, code: str) -> None:
    lines = [line("a", "manual", weight), line("b", "manual", 100 - weight)]
    with pytest.raises(EngineError) as err:
        run(lines, [("E1", "a", 1), ("E1", "b", 1)])
    assert (err.value.code, err.value.details["indicator"]) == (code, "a")
