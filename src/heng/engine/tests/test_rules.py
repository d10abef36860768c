"""Every rule, with hand-computed numbers (B5)."""

from __future__ import annotations

import pytest

from heng.engine import EngineError, compile_rule
from heng.engine.tests.builders import line, one, run


# ---------------------------------------------------------------------------------- linear
def test_linear_is_actual_over_target_times_100() -> None:
    # 95 / 100 × 100 = 95
    row = one("linear", 95, 100)
    assert (row["attainment"], row["score"]) == (95.0, 95.0)


def test_linear_caps_at_the_cap_and_keeps_raw_attainment() -> None:
    # 130 / 100 × 100 = 130 → capped at the default 120
    row = one("linear", 130, 100)
    assert (row["attainment"], row["score"]) == (130.0, 120.0)
    assert row["params"] == '{"cap":120,"floor":0}'


def test_linear_floors_negative_actuals_at_zero() -> None:
    # a loss of -5 against target 100 → -5% → floor 0
    assert one("linear", -5, 100)["score"] == 0.0


def test_linear_rounds_scores_half_even_to_four_decimals() -> None:
    # 2 / 3 × 100 = 66.6666… → 66.6667
    assert one("linear", 2, 3)["score"] == 66.6667


@pytest.mark.parametrize("target", [0.0, None, -1.0])
def test_linear_refuses_a_missing_or_non_positive_target(target: float | None) -> None:
    with pytest.raises(EngineError) as err:
        one("linear", 50, target)
    assert err.value.code == "target_invalid"
    assert err.value.details["employee_id"] == "E1"
    assert err.value.details["indicator"] == "x"


# ----------------------------------------------------------------------------- lower_better
def test_lower_better_is_target_over_actual() -> None:
    # complaint rate 2.5% against 2%: 2 / 2.5 × 100 = 80
    assert one("lower_better", 2.5, 2.0, direction="lower")["score"] == 80.0


def test_lower_better_caps() -> None:
    # 2 / 1.6 × 100 = 125 → 120
    assert one("lower_better", 1.6, 2.0, direction="lower")["score"] == 120.0


def test_lower_better_gives_the_cap_when_actual_is_zero() -> None:
    # no complaints at all: target / 0 is infinite; the score is the cap, attainment is null
    row = one("lower_better", 0.0, 2.0, direction="lower", params={"cap": 110})
    assert row["score"] == 110.0
    assert row["attainment"] is None


def test_lower_better_refuses_negative_actuals() -> None:
    with pytest.raises(EngineError) as err:
        one("lower_better", -1.0, 2.0, direction="lower")
    assert err.value.code == "actual_out_of_range"


# ------------------------------------------------------------------------- threshold_points
TP = {"met_points": 10, "exceeded_points": 12, "margin": 0.1}


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        (29.9, 0.0),  # below target → 0 points → 0
        (30.0, 100.0),  # met → 10 points → 10 / 10 × 100 = 100
        (32.9, 100.0),  # still only met: exceeded needs ≥ 30 × 1.1 = 33
        (33.0, 120.0),  # exceeded → 12 points → 12 / 10 × 100 = 120
        (50.0, 120.0),
    ],
)
def test_threshold_points_met_10_exceeded_12(actual: float, expected: float) -> None:
    assert one("threshold_points", actual, 30.0, params=TP)["score"] == expected


def test_threshold_points_exceeded_exactly_at_the_margin_despite_binary_fractions() -> None:
    # 0.33 / 0.3 is 1.0999999999999999 in binary; it is still "10% over"
    assert one("threshold_points", 0.33, 0.3, params=TP)["score"] == 120.0


def test_threshold_points_below_points_are_converted_too() -> None:
    # below 5 points → 5 / 10 × 100 = 50
    params = {**TP, "below_points": 5}
    assert one("threshold_points", 10.0, 30.0, params=params)["score"] == 50.0


@pytest.mark.parametrize(
    ("actual", "expected"), [(2.1, 0.0), (2.0, 100.0), (1.9, 100.0), (1.8, 120.0), (0.0, 120.0)]
)
def test_threshold_points_lower_is_better(actual: float, expected: float) -> None:
    # complaint rate, target 2%: met ≤ 2, exceeded ≤ 2 × (1 − 0.1) = 1.8
    row = one("threshold_points", actual, 2.0, direction="lower", params=TP)
    assert row["score"] == expected


# ------------------------------------------------------------------------------------ bands
BANDS = {"steps": [[50, 60], [100, 100], [150, 120]]}


@pytest.mark.parametrize(
    ("actual", "expected"),
    [(0, 0.0), (1, 60.0), (1.9, 60.0), (2, 100.0), (2.9, 100.0), (3, 120.0), (9, 120.0)],
)
def test_bands_score_of_the_highest_step_reached(actual: float, expected: float) -> None:
    # target 2 dishes: attainment 0 / 50 / 95 / 100 / 145 / 150 / 450 %
    assert one("bands", actual, 2, params=BANDS)["score"] == expected


def test_bands_below_score() -> None:
    assert one("bands", 0, 2, params={**BANDS, "below": 10})["score"] == 10.0


@pytest.mark.parametrize(
    ("actual", "expected"), [(30, 100.0), (40, 40.0), (60, 40.0), (61, 0.0), (37.5, 80.0)]
)
def test_bands_lower_is_better_uses_target_over_actual(actual: float, expected: float) -> None:
    # response time target 30 s: 40 s → 75% → step 50 → 40; 37.5 s → 80% → 80; 61 s → 49.2%
    params = {"steps": [[50, 40], [80, 80], [100, 100]]}
    assert one("bands", actual, 30, direction="lower", params=params)["score"] == expected


# -------------------------------------------------------------------------------- frequency
@pytest.mark.parametrize(("count", "expected"), [(5, 100.0), (4, 100.0), (3, 75.0), (0, 0.0)])
def test_frequency_proportional(count: float, expected: float) -> None:
    # ≥ 4 videos a week: 3 videos → 3 / 4 × 100 = 75
    assert one("frequency", count, params={"minimum": 4})["score"] == expected


@pytest.mark.parametrize(("count", "expected"), [(1, 0.0), (2, 100.0), (7, 100.0)])
def test_frequency_all_or_nothing(count: float, expected: float) -> None:
    params = {"minimum": 2, "mode": "all_or_nothing"}
    assert one("frequency", count, params=params)["score"] == expected


# --------------------------------------------------------------------------------- relative
def test_relative_to_benchmark_removes_market_size() -> None:
    # north: 25,000 plays against a 25,000 benchmark; south: 100,000 against 100,000
    lines = [line("plays", "relative", 100, params={"against": "benchmark"})]
    result = run(
        lines,
        [
            ("N1", "plays", 25_000, None, 25_000),
            ("S1", "plays", 100_000, None, 100_000),
            ("S2", "plays", 80_000, None, 100_000),
        ],
    )
    assert result.indicators["score"].to_list() == [100.0, 100.0, 80.0]


def test_relative_to_benchmark_refuses_a_missing_benchmark() -> None:
    with pytest.raises(EngineError) as err:
        one("relative", 10, params={"against": "benchmark"})
    assert err.value.code == "benchmark_invalid"


PEOPLE = [
    {"employee_id": "A", "scheme": "s", "region": "north"},
    {"employee_id": "B", "scheme": "s", "region": "north"},
    {"employee_id": "C", "scheme": "s", "region": "north"},
    {"employee_id": "D", "scheme": "s", "region": "south"},
]


def test_relative_to_peer_median_within_a_group() -> None:
    # north 20, 30, 40 → median 30: 66.6667, 100, 133.3 → 120; south alone: its own median
    lines = [line("x", "relative", 100, params={"against": "peer_median", "group_by": "region"})]
    result = run(
        lines, [("A", "x", 20), ("B", "x", 30), ("C", "x", 40), ("D", "x", 100)], employees=PEOPLE
    )
    assert result.indicators["reference"].to_list() == [30.0, 30.0, 30.0, 100.0]
    assert result.indicators["score"].to_list() == [66.6667, 100.0, 120.0, 100.0]


def test_relative_peer_percentile_with_ties_and_lower_direction() -> None:
    # north 10, 10, 20 higher-better: average ranks 1.5, 1.5, 3 of 3 → (r − 1) / 2 × 100
    params = {"against": "peer_percentile", "group_by": "region"}
    result = run(
        [line("x", "relative", 100, params=params)],
        [("A", "x", 10), ("B", "x", 10), ("C", "x", 20), ("D", "x", 5)],
        employees=PEOPLE,
    )
    assert result.indicators["score"].to_list() == [25.0, 25.0, 100.0, 100.0]
    # lower is better: 20, 30, 40 → 100, 50, 0
    result = run(
        [line("x", "relative", 100, params=params, direction="lower")],
        [("A", "x", 20), ("B", "x", 30), ("C", "x", 40), ("D", "x", 5)],
        employees=PEOPLE,
    )
    assert result.indicators["score"].to_list() == [100.0, 50.0, 0.0, 100.0]


def test_relative_group_by_needs_the_employee_attribute() -> None:
    params = {"against": "peer_median", "group_by": "branch"}
    with pytest.raises(EngineError) as err:
        run([line("x", "relative", 100, params=params)], [("A", "x", 1)])
    assert (err.value.code, err.value.details["column"]) == ("column_missing", "branch")


# ----------------------------------------------------------------------------- manual/review
def test_manual_passes_the_typed_score_through() -> None:
    assert one("manual", 87.5)["score"] == 87.5


def test_manual_refuses_out_of_range_scores() -> None:
    with pytest.raises(EngineError) as err:
        one("manual", 101)
    assert err.value.code == "actual_out_of_range"
    assert one("manual", 110, params={"max": 120})["score"] == 110.0


def test_review_converts_a_five_point_scale() -> None:
    # 4.5 / 5 × 100 = 90
    assert one("review", 4.5, params={"scale_max": 5, "scale_min": 1})["score"] == 90.0


@pytest.mark.parametrize("value", [5.5, 0.5])
def test_review_refuses_values_off_the_scale(value: float) -> None:
    with pytest.raises(EngineError) as err:
        one("review", value, params={"scale_max": 5, "scale_min": 1})
    assert err.value.code == "actual_out_of_range"


# --------------------------------------------------------------------- parameter validation
@pytest.mark.parametrize(
    ("rule", "params", "direction", "code", "param"),
    [
        ("sqrt", {}, "higher", "rule_unknown", None),
        ("linear", {"capp": 120}, "higher", "rule_param_unknown", "capp"),
        ("linear", {"cap": -1}, "higher", "rule_param_invalid", "cap"),
        ("linear", {"cap": "high"}, "higher", "rule_param_invalid", "cap"),
        ("frequency", {}, "higher", "rule_param_missing", "minimum"),
        (
            "threshold_points",
            {"met_points": 10, "exceeded_points": 12},
            "higher",
            "rule_param_missing",
            "margin",
        ),
        (
            "threshold_points",
            {"met_points": 10, "exceeded_points": 8, "margin": 0.1},
            "higher",
            "rule_param_invalid",
            "exceeded_points",
        ),
        ("bands", {"steps": [[100, 100], [50, 60]]}, "higher", "rule_param_invalid", "steps[1]"),
        ("bands", {"steps": [[50, 100], [100, 60]]}, "higher", "rule_param_invalid", "steps[1]"),
        ("relative", {"against": "mood"}, "higher", "rule_param_invalid", "against"),
        ("review", {}, "higher", "rule_param_missing", "scale_max"),
        ("linear", {}, "lower", "rule_direction_mismatch", None),
        ("lower_better", {}, "higher", "rule_direction_mismatch", None),
        ("linear", {}, "sideways", "direction_invalid", None),
    ],
)
def test_invalid_rules_are_refused_naming_rule_and_parameter(
    rule: str, params: dict[str, object], direction: str, code: str, param: str | None
) -> None:
    with pytest.raises(EngineError) as err:
        compile_rule(rule, params, direction)
    assert err.value.code == code
    assert err.value.details["rule"] == rule
    if param is not None:
        assert err.value.details["param"] == param
        assert param in err.value.message


def test_rule_errors_from_a_scheme_name_the_line() -> None:
    with pytest.raises(EngineError) as err:
        run([line("sales", "linear", 100, params={"cap": 0})], [("E1", "sales", 1, 1)])
    assert err.value.code == "rule_param_invalid"
    assert (err.value.details["scheme"], err.value.details["indicator"]) == ("s", "sales")


def test_params_are_shown_canonically_with_defaults_filled_in() -> None:
    compiled = compile_rule(
        "threshold_points", '{"margin": 0.1, "exceeded_points": 12, "met_points": 10}', "higher"
    )
    assert compiled.params_json == (
        '{"below_points":0,"exceeded_points":12,"margin":0.1,"met_points":10}'
    )
