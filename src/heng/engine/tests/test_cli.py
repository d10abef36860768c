"""``heng score``: table and JSON output, explanations, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from heng.engine.cli import main
from heng.engine.table import display_width, render_table

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"
CHEF = str(EXAMPLES / "dispatched_chef.yaml")


def test_table_output_lists_everyone_with_chinese_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([CHEF]) == 0
    out = capsys.readouterr().out
    for text in ("王师傅", "92.00", "不合格"):
        assert text in out


def test_table_columns_line_up_by_display_width() -> None:
    text = render_table(["姓名", "score"], [["王师傅", 92.0], ["Li", 8.5]])
    lines = text.splitlines()
    assert len({display_width(x) for x in lines}) == 1
    assert display_width("王师傅") == 6


def test_json_output_is_deterministic_and_complete(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([CHEF, "--format", "json", "--explain", "C02"]) == 0
    first = capsys.readouterr().out
    assert main([CHEF, "--format", "json", "--explain", "C02"]) == 0
    assert capsys.readouterr().out == first
    document = json.loads(first)
    assert set(document) == {
        "engine_version",
        "scenario",
        "input_hash",
        "totals",
        "categories",
        "source_sets",
        "distribution",
        "explain",
    }
    assert [t["total"] for t in document["totals"]] == [92.0, 84.5, 45.0]
    assert document["explain"]["employee_id"] == "C02"
    assert document["explain"]["total"]["total"] == 84.5


def test_explain_prints_the_arithmetic(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([CHEF, "--explain", "C01"]) == 0
    out = capsys.readouterr().out
    assert "菜品出品质量 (dish_quality)" in out
    assert "KPI 92.0000" in out


def test_refusals_exit_2_with_the_reason(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main([CHEF, "--explain", "NOBODY"]) == 2
    assert "NOBODY" in capsys.readouterr().err
    assert main([str(tmp_path / "none.yaml"), "--format", "json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "scenario_unreadable"


def test_help_is_plain_words(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "scenario file" in out
    assert "--explain" in out
