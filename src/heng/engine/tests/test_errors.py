"""Refused inputs: each error has a stable code, an English message and named details."""

from __future__ import annotations

import math

import polars as pl
import pytest

from heng.engine import EngineError, ScoringConfig, score
from heng.engine.tests.builders import employees_frame, line, run, values_frame

LINES = [line("a", "linear", 50), line("b", "manual", 50)]


@pytest.mark.parametrize("actual", [None, math.nan])
def test_a_missing_actual_is_refused_naming_employee_and_indicator(actual: float | None) -> None:
    with pytest.raises(EngineError) as err:
        run(LINES, [("E1", "a", 10, 10), ("E1", "b", 80), ("E2", "a", actual, 10), ("E2", "b", 80)])
    assert err.value.code == "actual_missing"
    assert (err.value.details["employee_id"], err.value.details["indicator"]) == ("E2", "a")
    assert err.value.message.startswith("employee E2, indicator a")
    assert err.value.as_dict()["code"] == "actual_missing"


def test_all_bad_rows_are_counted_and_the_first_ones_listed() -> None:
    values = [(f"E{i}", ind, None, 10) for i in range(30) for ind in ("a", "b")]
    with pytest.raises(EngineError) as err:
        run(LINES, values)
    assert err.value.details["count"] == 60
    assert len(err.value.details["rows"]) == 20


def test_a_missing_value_row_is_refused() -> None:
    with pytest.raises(EngineError) as err:
        run(LINES, [("E1", "a", 10, 10), ("E1", "b", 80), ("E2", "a", 10, 10)])
    assert err.value.code == "value_missing"
    assert (err.value.details["employee_id"], err.value.details["indicator"]) == ("E2", "b")


def test_a_duplicated_value_row_is_refused() -> None:
    with pytest.raises(EngineError) as err:
        run(LINES, [("E1", "a", 10, 10), ("E1", "b", 80), ("E1", "b", 70)])
    assert err.value.code == "duplicate_row"
    assert (err.value.details["employee_id"], err.value.details["indicator"]) == ("E1", "b")


def test_values_of_an_unknown_employee_are_refused() -> None:
    values = [("E1", "a", 10, 10), ("E1", "b", 80), ("X9", "a", 1, 1)]
    with pytest.raises(EngineError) as err:
        score(
            employees=employees_frame(None, values[:2]),
            lines=pl.DataFrame(LINES),
            values=values_frame(values),
            config=ScoringConfig.create(),
        )
    assert (err.value.code, err.value.details["employees"]) == ("employee_unknown", ["X9"])


def test_an_employee_whose_scheme_has_no_lines_is_refused() -> None:
    with pytest.raises(EngineError) as err:
        run(LINES, [("E1", "a", 1, 1)], employees=[{"employee_id": "E1", "scheme": "nope"}])
    assert (err.value.code, err.value.details["scheme"]) == ("scheme_unknown", "nope")


def test_duplicate_employees_and_lines_are_refused() -> None:
    with pytest.raises(EngineError) as err:
        run(
            LINES,
            [("E1", "a", 1, 1), ("E1", "b", 1)],
            employees=[{"employee_id": "E1", "scheme": "s"}, {"employee_id": "E1", "scheme": "s"}],
        )
    assert (err.value.code, err.value.details["frame"]) == ("duplicate_row", "employees")
    with pytest.raises(EngineError) as err:
        run([*LINES, line("a", "manual", 0)], [("E1", "a", 1, 1), ("E1", "b", 1)])
    assert (err.value.code, err.value.details["frame"]) == ("duplicate_row", "lines")


def test_missing_and_mistyped_columns_are_refused() -> None:
    frames = {
        "employees": employees_frame(None, [("E1",)]),
        "lines": pl.DataFrame(LINES),
        "values": values_frame([("E1", "a", 1, 1), ("E1", "b", 1)]),
    }
    with pytest.raises(EngineError) as err:
        score(**{**frames, "lines": frames["lines"].drop("rule")}, config=ScoringConfig.create())
    assert (err.value.code, err.value.details["column"]) == ("column_missing", "rule")
    text_actual = frames["values"].with_columns(pl.col("actual").cast(pl.String))
    with pytest.raises(EngineError) as err:
        score(**{**frames, "values": text_actual}, config=ScoringConfig.create())
    assert (err.value.code, err.value.details["column"]) == ("column_type", "actual")


def test_a_blank_key_is_refused() -> None:
    with pytest.raises(EngineError) as err:
        run(
            [line("a", "manual", 100)],
            [("E1", "a", 1)],
            employees=[{"employee_id": " ", "scheme": "s"}],
        )
    assert (err.value.code, err.value.details["column"]) == ("key_missing", "employee_id")


def test_values_of_indicators_outside_the_scheme_are_ignored() -> None:
    result = run(LINES, [("E1", "a", 10, 10), ("E1", "b", 80), ("E1", "zzz", 5)])
    assert result.indicators["indicator"].to_list() == ["a", "b"]


def test_nobody_to_score_gives_empty_frames_not_an_error() -> None:
    employees = pl.DataFrame(schema={"employee_id": pl.String, "scheme": pl.String})
    result = score(
        employees=employees,
        lines=pl.DataFrame(LINES),
        values=values_frame([]),
        config=ScoringConfig.create(),
    )
    assert (result.totals.height, result.indicators.height, result.categories.height) == (0, 0, 0)
    assert result.distribution()["count"].sum() == 0
