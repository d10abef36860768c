"""Explanation (B8), determinism and the input hash."""

from __future__ import annotations

import io

import polars as pl
import pytest

from heng.engine import ENGINE_VERSION, EngineError, ScoringConfig, input_hash, score
from heng.engine.tests.builders import employees_frame, line, run, values_frame

LINES = [
    line("sales", "linear", 60, params={"cap": 120}),
    line("complaints", "lower_better", 40, direction="lower", category="process"),
]
VALUES = [
    ("E2", "sales", 90, 100),
    ("E1", "sales", 130, 100),
    ("E1", "complaints", 1.5, 2.0),
    ("E2", "complaints", 4.0, 2.0),
]
CONFIG = ScoringConfig.create(category_weights={"result": 50, "process": 50})


def test_the_explanation_has_one_row_per_employee_and_indicator_with_the_arithmetic() -> None:
    result = run(LINES, VALUES, config=CONFIG)
    assert result.indicators.columns == [
        "employee_id",
        "indicator",
        "name_zh",
        "name_en",
        "category",
        "source_set",
        "direction",
        "rule",
        "params",
        "actual",
        "target",
        "benchmark",
        "reference",
        "attainment",
        "score",
        "weight",
        "category_weight",
        "effective_weight",
        "contribution",
    ]
    first = result.indicators.row(0, named=True)
    # E1 complaints: 2 / 1.5 × 100 = 133.3333 → capped 120; effective weight 50 → 60 points
    assert first["employee_id"] == "E1"
    assert first["indicator"] == "complaints"
    assert first["rule"] == "lower_better"
    assert first["params"] == '{"cap":120,"floor":0}'
    assert (first["actual"], first["target"], first["reference"]) == (1.5, 2.0, 2.0)
    assert (first["attainment"], first["score"]) == (133.3333, 120.0)
    assert (first["weight"], first["category_weight"], first["effective_weight"]) == (
        40.0,
        50.0,
        50.0,
    )
    assert first["contribution"] == 60.0


def test_outputs_are_sorted_by_employee_then_indicator() -> None:
    result = run(LINES, VALUES, config=CONFIG)
    assert result.indicators.select("employee_id", "indicator").rows() == [
        ("E1", "complaints"),
        ("E1", "sales"),
        ("E2", "complaints"),
        ("E2", "sales"),
    ]
    assert result.totals["employee_id"].to_list() == ["E1", "E2"]
    assert result.categories.select("employee_id", "category").rows() == [
        ("E1", "process"),
        ("E1", "result"),
        ("E2", "process"),
        ("E2", "result"),
    ]


def test_contributions_add_up_exactly_to_categories_and_kpi() -> None:
    # E2: sales 90 × 50% = 45; complaints 2 / 4 = 50 × 50% = 25 → KPI 70
    result = run(LINES, VALUES, config=CONFIG)
    per_employee = result.indicators.group_by("employee_id").agg(pl.col("contribution").sum())
    kpi = dict(result.totals.select("employee_id", "kpi").rows())
    for employee, contribution in per_employee.rows():
        assert round(contribution, 4) == kpi[employee]
    assert kpi["E2"] == 70.0
    assert result.categories.filter(pl.col("employee_id") == "E2")["contribution"].to_list() == [
        25.0,
        45.0,
    ]


def test_explain_gives_one_employees_scorecard() -> None:
    card = run(LINES, VALUES, config=CONFIG).explain("E2")
    assert card["total"]["total"] == 70.0
    assert [x["indicator"] for x in card["indicators"]] == ["complaints", "sales"]
    assert [x["category"] for x in card["categories"]] == ["process", "result"]
    with pytest.raises(EngineError) as err:
        run(LINES, VALUES, config=CONFIG).explain("E9")
    assert err.value.code == "employee_unknown"


def _bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()


def test_same_input_gives_byte_identical_output() -> None:
    first, second = run(LINES, VALUES, config=CONFIG), run(LINES, VALUES, config=CONFIG)
    for name in ("totals", "indicators", "categories", "sets"):
        assert _bytes(getattr(first, name)) == _bytes(getattr(second, name))
    assert first.engine_version == ENGINE_VERSION


def _hash(values: list[tuple[object, ...]], lines: list[dict[str, object]] = LINES) -> str:
    return input_hash(
        employees=employees_frame(None, values),
        lines=pl.DataFrame(lines),
        values=values_frame(values),
        config=CONFIG,
    )


def test_input_hash_ignores_row_order_and_changes_with_any_number() -> None:
    base = _hash(VALUES)
    assert len(base) == 64
    assert _hash(list(reversed(VALUES))) == base
    assert _hash(VALUES, list(reversed(LINES))) == base
    changed = [*VALUES[:-1], ("E2", "complaints", 4.1, 2.0)]
    assert _hash(changed) != base


def test_input_hash_depends_on_the_config() -> None:
    frames = {
        "employees": employees_frame(None, VALUES),
        "lines": pl.DataFrame(LINES),
        "values": values_frame(VALUES),
    }
    assert input_hash(**frames, config=CONFIG) != input_hash(
        **frames, config=ScoringConfig.create(category_weights={"result": 60, "process": 40})
    )


def test_score_needs_a_scoring_config() -> None:
    with pytest.raises(EngineError) as err:
        score(
            employees=employees_frame(None, VALUES),
            lines=pl.DataFrame(LINES),
            values=values_frame(VALUES),
            config={"kpi_weight": 100},
        )  # type: ignore[arg-type]
    assert err.value.code == "config_invalid"
