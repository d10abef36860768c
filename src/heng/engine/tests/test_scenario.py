"""Scenario files: parsing, YAML-path errors, scoped overrides."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from heng.engine import EngineError
from heng.engine.scenario import load_scenario, parse_scenario

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"

BASE: dict[str, Any] = {
    "scenario": "t",
    "schemes": {
        "ops": {
            "lines": [
                {
                    "indicator": "sales",
                    "category": "result",
                    "rule": "linear",
                    "weight": 60,
                    "target": 100,
                },
                {"indicator": "nps", "category": "process", "rule": "manual", "weight": 40},
            ],
            "overrides": [
                {
                    "id": "south",
                    "when": {"region": "south"},
                    "set": {"sales": {"weight": 70}, "nps": {"weight": 30}},
                },
                {
                    "id": "gz",
                    "when": {"region": "south", "unit": "gz"},
                    "set": {"sales": {"weight": 50}, "nps": {"weight": 50}},
                },
            ],
        }
    },
    "employees": [
        {"id": "A", "name": "甲", "region": "south", "unit": "gz"},
        {"id": "B", "name": "乙", "region": "south", "unit": "sz"},
        {"id": "C", "name": "丙", "region": "north", "unit": "bj"},
    ],
    "values": {
        "A": {"sales": 80, "nps": 100},
        "B": {"sales": 80, "nps": 100},
        "C": {"sales": {"actual": 80, "target": 80}, "nps": 100},
    },
}


def _with(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node: Any = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is _DELETE:
        del node[int(last) if isinstance(node, list) else last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


_DELETE = object()


def test_the_most_specific_override_wins_and_names_the_scheme_variant() -> None:
    result = parse_scenario(BASE).run()
    rows = result.totals.select("employee_id", "scheme", "total").rows()
    # A (south + gz): 80 × 50% + 100 × 50% = 90; B (south): 80 × 70% + 100 × 30% = 86;
    # C (base, own target 80): 100 × 60% + 100 × 40% = 100
    assert rows == [("A", "ops+south+gz", 90.0), ("B", "ops+south", 86.0), ("C", "ops", 100.0)]


def test_override_on_the_scenario_context() -> None:
    data = _with("context", {"period": "peak"})
    data["schemes"]["ops"]["overrides"].append(
        {
            "id": "peak",
            "when": {"period": "peak"},
            "set": {"sales": {"weight": 90}, "nps": {"weight": 10}},
        }
    )
    result = parse_scenario(data).run()
    # C gets base + peak: 100; A: south, then peak (1 key, later in file), then gz (2 keys)
    assert result.totals.select("scheme").to_series().to_list() == [
        "ops+south+peak+gz",
        "ops+south+peak",
        "ops+peak",
    ]


def test_a_line_can_be_removed_and_another_added() -> None:
    data = copy.deepcopy(BASE)
    data["schemes"]["ops"]["overrides"] = [
        {
            "when": {"region": "north"},
            "remove": ["nps"],
            "add": [
                {
                    "indicator": "visits",
                    "category": "process",
                    "rule": "frequency",
                    "params": {"minimum": 4},
                    "weight": 40,
                }
            ],
        }
    ]
    data["values"]["C"] = {"sales": 80, "visits": 2}
    result = parse_scenario(data).run()
    # C: 80 × 60% + 2 / 4 × 100 × 40% = 48 + 20 = 68; the label is the `when`
    assert result.totals.filter(result.totals["employee_id"] == "C").select("scheme", "total").row(
        0
    ) == ("ops+region=north", 68.0)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("employees.1.id", _DELETE, "employees[1].id: missing"),
        ("employees.2.id", "A", "employees[2].id: duplicate employee id 'A'"),
        ("schemes.ops.lines.0.weight", _DELETE, "schemes.ops.lines[0].weight: missing"),
        ("schemes.ops.lines.1.colour", "red", "schemes.ops.lines[1].colour: unknown field"),
        ("schemes.ops.overrides.0.remove", ["nope"], "schemes.ops.overrides[0].remove[0]: no line"),
        ("schemes.ops.overrides.1.when", None, "schemes.ops.overrides[1].when: missing"),
        ("values.A.sales", "lots", "values.A.sales: must be a number"),
        ("values.Z", {"sales": 1}, "values.Z.sales: unknown employee 'Z'"),
        ("teams", [], "teams: unknown section"),
        ("employees", [], "employees: missing"),
    ],
)
def test_invalid_files_are_refused_with_the_yaml_path(path: str, value: Any, message: str) -> None:
    with pytest.raises(EngineError) as err:
        parse_scenario(_with(path, value)).run()
    assert err.value.code == "scenario_invalid"
    assert err.value.message.startswith(message)
    assert err.value.details["path"] == message.split(":")[0]


def test_engine_errors_name_the_scheme_variant() -> None:
    data = _with("schemes.ops.overrides.0.set.nps", {"weight": 20})
    with pytest.raises(EngineError) as err:
        parse_scenario(data).run()
    # south: 70 + 20 = 90
    assert (err.value.code, err.value.details["scheme"], err.value.details["total"]) == (
        "weights_not_100",
        "ops+south",
        "90",
    )


def test_unreadable_and_malformed_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(EngineError) as err:
        load_scenario(tmp_path / "missing.yaml")
    assert err.value.code == "scenario_unreadable"
    broken = tmp_path / "broken.yaml"
    broken.write_text("schemes: [unclosed\n", encoding="utf-8")
    with pytest.raises(EngineError) as err:
        load_scenario(broken)
    assert err.value.code == "scenario_invalid"


def test_benchmarks_are_filled_in_from_an_employee_attribute(tmp_path: Path) -> None:
    data = {
        "schemes": {
            "d": {
                "lines": [
                    {
                        "indicator": "plays",
                        "category": "result",
                        "rule": "relative",
                        "params": {"against": "benchmark"},
                        "weight": 100,
                    }
                ]
            }
        },
        "benchmarks": [
            {"by": "region", "values": {"north": {"plays": 25000}, "south": {"plays": 100000}}}
        ],
        "employees": [{"id": "N", "region": "north"}, {"id": "S", "region": "south"}],
        "values": {"N": {"plays": 25000}, "S": {"plays": 100000}},
    }
    file = tmp_path / "d.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = load_scenario(file).run()
    assert result.indicators.select("benchmark", "score").rows() == [
        (25000.0, 100.0),
        (100000.0, 100.0),
    ]


def test_the_value_list_form_is_accepted() -> None:
    data = copy.deepcopy(BASE)
    data["values"] = [
        {"employee": e, "indicator": i, "actual": 80 if i == "sales" else 100}
        for e in ("A", "B", "C")
        for i in ("sales", "nps")
    ]
    assert parse_scenario(data).run().totals["total"].to_list() == [90.0, 86.0, 88.0]


def test_every_example_file_parses() -> None:
    files = sorted(EXAMPLES.glob("*.yaml"))
    assert len(files) >= 4
    for file in files:
        assert load_scenario(file).run().totals.height > 0


def test_the_worked_example_in_the_docs_runs() -> None:
    doc = (EXAMPLES.parent / "docs" / "scenario-format.md").read_text(encoding="utf-8")
    block = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    result = parse_scenario(yaml.safe_load(block)).run()
    c01 = result.totals.row(0, named=True)
    # C01 (徐汇店 override: quality 60, complaints 10, R&D 30). Framework 40/30/30 with only
    # result and growth present → result 40/70 = 57.1429 split 60:10 → 48.9796 and 8.1633;
    # growth 30/70 = 42.8571. 92 × 48.9796% = 45.0612; 2 / 2.5 = 80 × 8.1633% = 6.5306;
    # 100 × 42.8571% = 42.8571 → KPI 94.4489.
    # 360: 92 × 50% + 86 × 30% + 90 × 20% = 89.8. Total: 66.1142 + 26.94 + 3 = 96.0542 → 96.05
    assert (c01["scheme"], c01["kpi"], c01["review_score"], c01["total"]) == (
        "dispatched_chef+big_store",
        94.4489,
        89.8,
        96.05,
    )


def test_a_scheme_given_by_path_scores_like_the_same_scheme_inline(tmp_path: Path) -> None:
    # Given the scheme of BASE in its own file, named by a path relative to the scenario
    (tmp_path / "schemes").mkdir()
    scheme_file = tmp_path / "schemes" / "ops.yaml"
    scheme_file.write_text(yaml.safe_dump(BASE["schemes"]["ops"]), encoding="utf-8")
    by_path = {**copy.deepcopy(BASE), "schemes": {"ops": "schemes/ops.yaml"}}
    scenario_file = tmp_path / "scenario.yaml"
    scenario_file.write_text(yaml.safe_dump(by_path, allow_unicode=True), encoding="utf-8")
    # When both are scored
    from_file = load_scenario(scenario_file).run()
    inline = parse_scenario(copy.deepcopy(BASE)).run()
    # Then the totals are the same: A (gz: 50/50) 0.8*50 + 100*0.5 = 90; B (south 70/30)
    # 80*0.7 + 100*0.3 = 86; C (north, base 60/40, on target) 100
    assert from_file.totals.select("employee_id", "total").rows() == [
        ("A", 90.0),
        ("B", 86.0),
        ("C", 100.0),
    ]
    assert from_file.totals.equals(inline.totals)


def test_a_missing_scheme_file_is_refused_with_its_path(tmp_path: Path) -> None:
    data = {**copy.deepcopy(BASE), "schemes": {"ops": "nowhere.yaml"}}
    file = tmp_path / "s.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(EngineError) as err:
        load_scenario(file)
    assert "schemes.ops" in str(err.value.message)
    assert "nowhere.yaml" in str(err.value.message)
