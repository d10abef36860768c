"""Property tests: invariants that must hold for any input (hypothesis)."""

from __future__ import annotations

import math
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from heng.engine import EngineError, ScoringConfig, compile_rule, score
from heng.engine.reference import reference_score, round_half_even
from heng.engine.tests.builders import line, run, values_frame

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

finite = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=0.01, max_value=1e6, allow_nan=False, allow_infinity=False)


# ------------------------------------------------------------------------ weights sum to 100
@FAST
@given(cents=st.lists(st.integers(0, 10_000), min_size=1, max_size=6), fix=st.booleans())
def test_weights_must_sum_to_exactly_100_or_the_engine_refuses(cents: list[int], fix: bool) -> None:
    if fix and sum(cents[:-1]) <= 10_000:
        cents[-1] = 10_000 - sum(cents[:-1])  # half of the examples sum to exactly 100
    lines = [line(f"i{n}", "manual", c / 100) for n, c in enumerate(cents)]
    values = [("E1", f"i{n}", 50) for n in range(len(cents))]
    if sum(cents) == 10_000:
        assert run(lines, values).totals["total"].to_list() == [50.0]
    else:
        with pytest.raises(EngineError) as err:
            run(lines, values)
        assert err.value.code == "weights_not_100"


# --------------------------------------------------------------------------- monotonicity
HIGHER_RULES: list[tuple[str, dict[str, Any]]] = [
    ("linear", {"cap": 120}),
    ("threshold_points", {"met_points": 10, "exceeded_points": 12, "margin": 0.1}),
    ("bands", {"steps": [[50, 60], [100, 100], [150, 120]]}),
    ("frequency", {"minimum": 4}),
    ("frequency", {"minimum": 2, "mode": "all_or_nothing"}),
    ("relative", {"against": "benchmark"}),
    ("relative", {"against": "peer_median"}),
]
LOWER_RULES: list[tuple[str, dict[str, Any]]] = [
    ("lower_better", {"cap": 120}),
    ("threshold_points", {"met_points": 10, "exceeded_points": 12, "margin": 0.2}),
    ("bands", {"steps": [[50, 40], [80, 80], [100, 100]]}),
    ("relative", {"against": "benchmark", "cap": 150}),
    ("relative", {"against": "peer_median"}),
]


def _pair(
    rule: str, params: dict[str, Any], direction: str, low: float, high: float, reference: float
) -> tuple[float, float]:
    """Scores of two employees whose actuals are low ≤ high, same target/benchmark."""
    result = run(
        [line("x", rule, 100, params=params, direction=direction)],
        [("A", "x", low, reference, reference), ("B", "x", high, reference, reference)],
    )
    a, b = result.indicators["score"].to_list()
    return a, b


@FAST
@given(spec=st.sampled_from(HIGHER_RULES), a=finite, b=finite, reference=positive)
def test_higher_better_scores_never_fall_when_the_actual_rises(
    spec: tuple[str, dict[str, Any]], a: float, b: float, reference: float
) -> None:
    low, high = sorted((a, b))
    score_low, score_high = _pair(*spec, "higher", low, high, reference)
    assert score_low <= score_high


@FAST
@given(spec=st.sampled_from(LOWER_RULES), a=finite, b=finite, reference=positive)
def test_lower_better_scores_never_rise_when_the_actual_rises(
    spec: tuple[str, dict[str, Any]], a: float, b: float, reference: float
) -> None:
    low, high = sorted((a, b))
    score_low, score_high = _pair(*spec, "lower", low, high, reference)
    assert score_low >= score_high


# ------------------------------------------------------------------------------------ caps
@FAST
@given(
    rule=st.sampled_from(["linear", "lower_better", "relative"]),
    cap=st.integers(1, 300),
    actual=finite,
    reference=positive,
)
def test_a_capped_rule_never_exceeds_its_cap(
    rule: str, cap: int, actual: float, reference: float
) -> None:
    params: dict[str, Any] = {"cap": cap}
    direction = "lower" if rule == "lower_better" else "higher"
    if rule == "relative":
        params["against"] = "benchmark"
    row = run(
        [line("x", rule, 100, params=params, direction=direction)],
        [("A", "x", actual, reference, reference)],
    ).indicators.row(0, named=True)
    assert 0 <= row["score"] <= cap


# ------------------------------------------------------------ vectorised kernel = reference
ALL_SPECS = (
    [(r, p, "higher") for r, p in HIGHER_RULES]
    + [(r, p, "lower") for r, p in LOWER_RULES]
    + [
        ("relative", {"against": "peer_percentile"}, "higher"),
        ("relative", {"against": "peer_percentile"}, "lower"),
        ("manual", {}, "higher"),
        ("review", {"scale_max": 5}, "higher"),
    ]
)


@FAST
@given(spec=st.sampled_from(ALL_SPECS), data=st.data())
def test_the_vectorised_kernel_agrees_with_the_row_by_row_reference(
    spec: tuple[str, dict[str, Any], str], data: st.DataObject
) -> None:
    rule, params, direction = spec
    top = {"manual": 100.0, "review": 5.0}.get(rule, 1e6)
    # Stored values carry four decimals (ADR 0002): an actual is 0 or at least 0.0001, never
    # a subnormal float whose inverse overflows.
    stored = st.one_of(st.just(0.0), st.floats(0.0001, top, allow_nan=False))
    actuals = data.draw(st.lists(stored, min_size=1, max_size=8))
    reference = data.draw(positive)
    values = [(f"E{i}", "x", a, reference, reference) for i, a in enumerate(actuals)]
    result = run([line("x", rule, 100, params=params, direction=direction)], values)
    compiled = compile_rule(rule, params, direction)
    for i, a in enumerate(actuals):
        attainment, expected = reference_score(compiled, a, reference, reference, peers=actuals)
        row = result.indicators.row(i, named=True)
        assert row["score"] == round_half_even(expected, 4)
        if math.isfinite(attainment):
            assert row["attainment"] == round_half_even(attainment, 4)
        else:
            assert row["attainment"] is None


# ---------------------------------------------------------------- order does not matter
RULE_MIX = [
    line("sales", "linear", 30),
    line("cost", "lower_better", 20, direction="lower", category="process"),
    line("share", "relative", 25, params={"against": "peer_median", "group_by": "region"}),
    line("rank", "relative", 15, params={"against": "peer_percentile"}, category="growth"),
    line("visits", "frequency", 10, params={"minimum": 4}, category="process", source_set="store"),
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 7),
    seed=st.integers(0, 2**32 - 1),
    actuals=st.lists(st.integers(0, 200), min_size=35, max_size=35),
)
def test_row_order_of_the_inputs_does_not_change_any_result(
    n: int, seed: int, actuals: list[int]
) -> None:
    employees = pl.DataFrame(
        {
            "employee_id": [f"E{i}" for i in range(n)],
            "scheme": ["s"] * n,
            "region": [("north", "south")[i % 2] for i in range(n)],
        }
    )
    rows = [
        (f"E{i}", ln["indicator"], float(actuals[i * 5 + j]), 100.0, None)
        for i in range(n)
        for j, ln in enumerate(RULE_MIX)
    ]
    frames = {"employees": employees, "lines": pl.DataFrame(RULE_MIX), "values": values_frame(rows)}
    config = ScoringConfig.create(
        category_weights={"result": 40, "process": 30, "growth": 30}, rank_by="region"
    )
    shuffled = {k: v.sample(fraction=1.0, shuffle=True, seed=seed) for k, v in frames.items()}
    first = score(**frames, config=config)
    second = score(**shuffled, config=config)
    for name in ("totals", "indicators", "categories", "sets"):
        assert_frame_equal(getattr(first, name), getattr(second, name))
    assert_frame_equal(first.distribution(by="region"), second.distribution(by="region"))
