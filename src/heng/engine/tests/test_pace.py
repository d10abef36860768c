"""Pace, breach transitions and roll-up (heng.engine.pace), numbers computed by hand."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heng.engine import EngineError
from heng.engine.pace import (
    ATTAINMENT_CAP,
    breach_transitions,
    elapsed_share,
    kr_progress,
    pace,
    rollup,
)

MARCH = pl.DataFrame({"period_start": [dt.date(2026, 3, 1)], "period_end": [dt.date(2026, 3, 31)]})


# --- elapsed share -------------------------------------------------------------------------------
def test_share_counts_calendar_days_inclusive() -> None:
    # 1–10 March of 31 days: 10 / 31
    out = elapsed_share(MARCH, as_of=dt.date(2026, 3, 10))
    assert out["elapsed_days"].to_list() == [10]
    assert out["total_days"].to_list() == [31]
    assert out["share"].to_list() == [pytest.approx(10 / 31)]


def test_share_is_zero_before_and_one_after_the_period() -> None:
    before = elapsed_share(MARCH, as_of=dt.date(2026, 2, 27))["share"][0]
    after = elapsed_share(MARCH, as_of=dt.date(2026, 4, 20))["share"][0]
    assert (before, after) == (0.0, 1.0)


def test_share_counts_working_days_when_a_calendar_is_given() -> None:
    # March 2026 starts on a Sunday: weekdays are 2–6, 9–13, 16–20, 23–27, 30–31 = 22 days.
    # Make 7 March (a Saturday) a make-up working day and 9 March a holiday: still 22.
    march = [dt.date(2026, 3, d) for d in range(1, 32)]
    workdays = [d for d in march if d.weekday() < 5 and d.day != 9] + [dt.date(2026, 3, 7)]
    out = elapsed_share(MARCH, as_of=dt.date(2026, 3, 10), workdays=workdays)
    # working days 1–10 March: 2,3,4,5,6,7,10 = 7 of 22
    assert out["elapsed_days"].to_list() == [7]
    assert out["total_days"].to_list() == [22]
    assert out["share"][0] == pytest.approx(7 / 22)


def test_share_is_null_when_the_period_has_no_working_day() -> None:
    out = elapsed_share(MARCH, as_of=dt.date(2026, 3, 10), workdays=[dt.date(2026, 4, 1)])
    assert out["share"].to_list() == [None]


def test_share_reads_a_per_row_as_of_column() -> None:
    frame = pl.concat([MARCH, MARCH]).with_columns(
        pl.Series("as_of", [dt.date(2026, 3, 1), dt.date(2026, 3, 31)])
    )
    assert elapsed_share(frame)["share"].to_list() == [pytest.approx(1 / 31), 1.0]


def test_a_period_ending_before_it_starts_is_refused() -> None:
    bad = MARCH.select(
        pl.col("period_end").alias("period_start"), pl.col("period_start").alias("period_end")
    )
    with pytest.raises(EngineError) as err:
        elapsed_share(bad, as_of=dt.date(2026, 3, 1))
    assert err.value.code == "bad_period"


# --- pace ----------------------------------------------------------------------------------------
def _rows(**columns: list[object]) -> pl.DataFrame:
    base: dict[str, list[object]] = {
        "target": [100.0],
        "actual": [50.0],
        "share": [0.5],
        "direction": ["higher"],
        "mode": ["cumulative"],
    }
    base.update(columns)
    return pl.DataFrame(base, strict=False)


def test_expected_to_date_is_target_times_elapsed_share() -> None:
    # target 3,000 a month, 15 of 30 days gone: expected 1,500; actual 1,000 → 0.667 < 0.7
    out = pace(_rows(target=[3000.0], actual=[1000.0], share=[0.5]))
    assert out["expected"][0] == 1500.0
    assert out["attainment"][0] == pytest.approx(1000 / 1500)
    assert out["breached"][0] is True
    # progress against the whole month: 1,000 / 3,000
    assert out["progress"][0] == pytest.approx(1 / 3)


def test_exactly_at_the_threshold_is_not_a_breach() -> None:
    # expected 50 × 0.7 = 35: actual 35 is on the line, 34.99 is below it
    out = pace(
        _rows(
            actual=[35.0, 34.99],
            target=[100.0, 100.0],
            share=[0.5, 0.5],
            direction=["higher"] * 2,
            mode=["cumulative"] * 2,
        )
    )
    assert out["breached"].to_list() == [False, True]


def test_level_indicators_are_not_pro_rated() -> None:
    # a repurchase rate of 30 % is the target on day 1 as on day 31: expected 30, actual 24
    out = pace(_rows(target=[30.0], actual=[24.0], share=[0.1], mode=["level"]))
    assert out["expected"][0] == 30.0
    assert out["attainment"][0] == pytest.approx(0.8)
    assert out["breached"][0] is False


def test_lower_is_better_compares_expected_over_actual() -> None:
    # complaint rate target 2 %, actual 3 %: attainment 2/3 = 0.667 < 0.7 → breach;
    # actual 0 is perfect (capped attainment, progress 1)
    out = pace(
        _rows(
            target=[2.0, 2.0],
            actual=[3.0, 0.0],
            share=[0.5, 0.5],
            direction=["lower"] * 2,
            mode=["level"] * 2,
        )
    )
    assert out["attainment"].to_list() == [pytest.approx(2 / 3), ATTAINMENT_CAP]
    assert out["breached"].to_list() == [True, False]
    assert out["progress"].to_list() == [pytest.approx(2 / 3), 1.0]


def test_threshold_per_row_overrides_the_default() -> None:
    # attainment 0.8: below a 0.9 threshold, above the default 0.7
    out = pace(
        _rows(
            actual=[40.0, 40.0],
            target=[100.0] * 2,
            share=[0.5] * 2,
            direction=["higher"] * 2,
            mode=["cumulative"] * 2,
            threshold=[0.9, None],
        )
    )
    assert out["threshold"].to_list() == [0.9, 0.7]
    assert out["breached"].to_list() == [True, False]


def test_no_data_or_nothing_expected_yet_judges_nothing() -> None:
    out = pace(
        _rows(
            actual=[None, 0.0],
            target=[100.0] * 2,
            share=[0.5, 0.0],
            direction=["higher"] * 2,
            mode=["cumulative"] * 2,
        )
    )
    assert out["breached"].to_list() == [None, None]


def test_unknown_direction_mode_or_threshold_is_refused() -> None:
    with pytest.raises(EngineError) as err:
        pace(_rows(direction=["up"]))
    assert err.value.code == "bad_direction"
    with pytest.raises(EngineError) as err:
        pace(_rows(mode=["linear"]))
    assert err.value.code == "bad_mode"
    with pytest.raises(EngineError) as err:
        pace(_rows(threshold=[0.0]))
    assert err.value.code == "bad_threshold"


@settings(max_examples=60, deadline=None)
@given(
    target=st.floats(1, 1e6),
    share=st.floats(0.01, 1),
    a=st.floats(0, 1e6),
    b=st.floats(0, 1e6),
)
def test_attainment_is_monotonic_in_the_actual(
    target: float, share: float, a: float, b: float
) -> None:
    low, high = sorted((a, b))
    out = pace(
        _rows(
            target=[target] * 2,
            actual=[low, high],
            share=[share] * 2,
            direction=["higher"] * 2,
            mode=["cumulative"] * 2,
        )
    )
    assert out["attainment"][0] <= out["attainment"][1]
    down = pace(
        _rows(
            target=[target] * 2,
            actual=[low, high],
            share=[share] * 2,
            direction=["lower"] * 2,
            mode=["cumulative"] * 2,
        )
    )
    assert down["attainment"][0] >= down["attainment"][1]


# --- breach transitions --------------------------------------------------------------------------
KEYS = ["employee_id", "goal_id"]


def _state(rows: list[tuple[int, int, bool | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"employee_id": pl.Int64, "goal_id": pl.Int64, "breached": pl.Boolean},
        orient="row",
    )


def test_an_alert_fires_once_per_breach() -> None:
    # day 1: 1 breaches (fire); day 2: still breached (no fire); day 3: recovers; day 4: again
    day1 = breach_transitions(_state([(1, 7, True)]), _state([]), keys=KEYS)
    assert day1["fire"].to_list() == [True]
    day2 = breach_transitions(_state([(1, 7, True)]), _state([(1, 7, True)]), keys=KEYS)
    assert day2["fire"].to_list() == [False]
    day3 = breach_transitions(_state([(1, 7, False)]), _state([(1, 7, True)]), keys=KEYS)
    assert (day3["fire"].to_list(), day3["recover"].to_list()) == ([False], [True])
    day4 = breach_transitions(_state([(1, 7, True)]), _state([(1, 7, False)]), keys=KEYS)
    assert day4["fire"].to_list() == [True]


def test_missing_data_neither_fires_nor_recovers() -> None:
    out = breach_transitions(
        _state([(1, 7, None), (2, 7, None)]), _state([(1, 7, True)]), keys=KEYS
    )
    assert out["fire"].to_list() == [False, False]
    assert out["recover"].to_list() == [False, False]


def test_repeated_previous_keys_are_refused() -> None:
    with pytest.raises(EngineError) as err:
        breach_transitions(_state([]), _state([(1, 7, True), (1, 7, False)]), keys=KEYS)
    assert err.value.code == "duplicate_keys"


# --- roll-up -------------------------------------------------------------------------------------
def _tree(rows: list[tuple[int, int | None, float | None, float | None, bool]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "id": pl.Int64,
            "parent_id": pl.Int64,
            "own": pl.Float64,
            "weight": pl.Float64,
            "archived": pl.Boolean,
        },
        orient="row",
    )


def _progress(out: pl.DataFrame) -> dict[int, float | None]:
    return dict(zip(out["id"].to_list(), out["progress"].to_list(), strict=True))


def test_rollup_weighted_and_equal() -> None:
    # 1 strategy ← 2 objective ← KRs 3 (0.5, w 60) and 4 (1.0, w 40): 0.5×0.6 + 1×0.4 = 0.7
    # 1 ← 5 objective ← KRs 6 (0.2) and 7 (0.4), equal: 0.3;   1 = (0.7 + 0.3) / 2 = 0.5
    out = rollup(
        _tree(
            [
                (1, None, None, None, False),
                (2, 1, None, None, False),
                (3, 2, 0.5, 60, False),
                (4, 2, 1.0, 40, False),
                (5, 1, None, None, False),
                (6, 5, 0.2, None, False),
                (7, 5, 0.4, None, False),
            ]
        )
    )
    progress = _progress(out)
    assert progress[2] == pytest.approx(0.7)
    assert progress[5] == pytest.approx(0.3)
    assert progress[1] == pytest.approx(0.5)
    assert out.filter(pl.col("id") == 3)["depth"].to_list() == [2]


def test_archived_children_and_children_without_data_are_left_out() -> None:
    # 2 (0.9) archived, 3 has no progress: 1 = 4 alone = 0.3
    out = rollup(
        _tree(
            [
                (1, None, None, None, False),
                (2, 1, 0.9, None, True),
                (3, 1, None, None, False),
                (4, 1, 0.3, None, False),
            ]
        )
    )
    progress = _progress(out)
    assert progress[1] == pytest.approx(0.3)
    assert progress[2] == pytest.approx(0.9)  # still shown on the archived node itself
    assert progress[3] is None


def test_a_measured_node_keeps_its_own_progress() -> None:
    out = rollup(_tree([(1, None, 0.25, None, False), (2, 1, 1.0, None, False)]))
    assert _progress(out)[1] == 0.25


def test_a_cycle_is_refused_with_its_ids() -> None:
    with pytest.raises(EngineError) as err:
        rollup(
            _tree(
                [
                    (1, None, None, None, False),
                    (2, 3, 0.5, None, False),
                    (3, 2, 0.5, None, False),
                    (4, 3, 0.1, None, False),
                ]
            )
        )
    assert err.value.code == "goal_cycle"
    assert err.value.details["ids"] == [2, 3, 4]


def test_unknown_parents_and_negative_weights_are_refused() -> None:
    with pytest.raises(EngineError) as err:
        rollup(_tree([(1, 99, 0.5, None, False)]))
    assert err.value.code == "unknown_parent"
    with pytest.raises(EngineError) as err:
        rollup(_tree([(1, None, None, None, False), (2, 1, 0.5, -1, False)]))
    assert err.value.code == "bad_weight"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=12), st.randoms(use_true_random=False))
def test_rollup_is_order_independent_and_bounded(values: list[float], rnd: object) -> None:
    rows = [(1, None, None, None, False)] + [
        (i + 2, 1, v, None, False) for i, v in enumerate(values)
    ]
    shuffled = list(rows)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    a, b = rollup(_tree(rows)), rollup(_tree(shuffled))
    assert a.equals(b)
    root = _progress(a)[1]
    assert root is not None
    assert min(values) - 1e-12 <= root <= max(values) + 1e-12


def test_kr_progress_from_start_to_target() -> None:
    # repurchase 20 % → 30 %: at 24 % the KR is 40 % done; 32 % caps at 1; start = target → null
    frame = pl.DataFrame({"s": [20.0, 20.0, 5.0], "t": [30.0, 30.0, 5.0], "c": [24.0, 32.0, 6.0]})
    out = frame.select(kr_progress(pl.col("s"), pl.col("t"), pl.col("c")).alias("p"))
    assert out["p"].to_list() == [pytest.approx(0.4), 1.0, None]
