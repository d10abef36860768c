"""Mapping text keys to integer codes (the engine's plumbing), including the fast paths."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from heng.engine import EngineError
from heng.engine.tests.builders import line, run
from heng.engine.work import dense_codes

IDS = pl.Series([f"E{i:05d}" for i in range(3_000)])  # > 1,000: the run-length path


def test_grouped_keys_map_like_a_direct_lookup() -> None:
    grouped = IDS.gather(pl.Series(np.repeat(np.arange(3_000), 5).astype(np.uint32)))
    codes = dense_codes(grouped, IDS)
    assert codes.tolist() == np.repeat(np.arange(3_000), 5).tolist()


def test_shuffled_and_unknown_keys() -> None:
    rng = np.random.default_rng(7)
    picks = rng.integers(0, 3_000, 10_000)
    values = IDS.gather(pl.Series(picks.astype(np.uint32))).to_list()
    values[17] = "stranger"
    codes = dense_codes(pl.Series(values), IDS)
    expected = picks.copy()
    expected[17] = -1
    assert codes.tolist() == expected.tolist()


def test_unknown_employee_in_long_grouped_values_is_named() -> None:
    # 1,200 employees × 5 indicators, rows grouped by employee; one run belongs to nobody
    lines = [line(f"i{j}", "manual", 20) for j in range(5)]
    employees = [{"employee_id": f"E{i:05d}", "scheme": "s"} for i in range(1_200)]
    values = [
        ("ghost" if i == 600 else f"E{i:05d}", f"i{j}", 1.0) for i in range(1_200) for j in range(5)
    ]
    with pytest.raises(EngineError) as err:
        run(lines, values, employees=employees)
    assert (err.value.code, err.value.details["employees"]) == ("employee_unknown", ["ghost"])


def test_many_grouped_employees_score_like_few() -> None:
    # 1,500 employees × 2 indicators (grouped rows): same per-employee arithmetic everywhere
    lines = [line("a", "linear", 60), line("b", "manual", 40)]
    values = [
        (f"E{i:05d}", ind, v, 100.0)
        for i in range(1_500)
        for ind, v in (("a", 50.0 + i % 50), ("b", 80.0))
    ]
    totals = run(lines, values).totals
    # E00007: (57 × 60% = 34.2) + (80 × 40% = 32) = 66.2
    assert totals.filter(pl.col("employee_id") == "E00007")["total"].item() == 66.2
    assert totals.height == 1_500
