"""Self-contained scenario files (YAML): scheme(s) + people + values → engine frames.

The format is documented with a worked example in docs/scenario-format.md. Every refusal
is an :class:`EngineError` with code ``scenario_invalid`` whose message starts with the YAML
path (``employees[3].id: missing``); errors the engine raises while scoring keep their own
codes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from heng.engine import columns as c
from heng.engine.config import ScoringConfig
from heng.engine.engine import input_hash, score
from heng.engine.errors import EngineError
from heng.engine.overrides import SchemeDef, fail, parse_scheme, resolve
from heng.engine.result import ScoreResult

__all__ = ["Scenario", "load_scenario", "parse_scenario"]

TOP_LEVEL = (
    "scenario",
    "description",
    "framework",
    "composition",
    "ratings",
    "context",
    "schemes",
    "benchmarks",
    "employees",
    "values",
    "reviews",
    "bonus",
)
EMPLOYEE_SPECIAL = ("id", "name", "scheme")


@dataclass(frozen=True)
class Scenario:
    title: str
    config: ScoringConfig
    employees: pl.DataFrame
    lines: pl.DataFrame
    values: pl.DataFrame
    reviews: pl.DataFrame | None
    bonus: pl.DataFrame | None
    distribution_by: str | None

    def run(self) -> ScoreResult:
        return score(
            employees=self.employees,
            lines=self.lines,
            values=self.values,
            config=self.config,
            reviews=self.reviews,
            bonus=self.bonus,
        )

    def input_hash(self) -> str:
        return input_hash(
            employees=self.employees,
            lines=self.lines,
            values=self.values,
            config=self.config,
            reviews=self.reviews,
            bonus=self.bonus,
        )


def load_scenario(path: str | Path) -> Scenario:
    file = Path(path)
    return parse_scenario(_read_yaml(file), base_dir=file.parent)


def _read_yaml(file: Path) -> Any:
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise EngineError(
            "scenario_unreadable", f"{file}: {exc.strerror}", {"file": str(file)}
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise EngineError(
            "scenario_invalid", f"{file}: not valid YAML{where}", {"file": str(file)}
        ) from None
    return data


def _scheme_body(raw: Any, path: str, base_dir: Path | None) -> Any:
    """A scheme is written inline or named by a path to a YAML file holding the same mapping
    (relative to the scenario file): one scheme file shared by several scenarios."""
    if not isinstance(raw, str):
        return raw
    if base_dir is None:
        raise fail(path, "a scheme given by path needs a scenario read from a file")
    file = Path(raw) if Path(raw).is_absolute() else base_dir / raw
    if not file.is_file():
        raise fail(path, f"scheme file {raw!r} not found")
    return _read_yaml(file)


def _mapping(value: Any, path: str, *, required: bool = False) -> Mapping[str, Any]:
    if value is None and not required:
        return {}
    if not isinstance(value, Mapping):
        raise fail(path, "missing (a mapping)" if value is None else "must be a mapping")
    return value


def _config(data: Mapping[str, Any]) -> tuple[ScoringConfig, str | None]:
    framework = _mapping(data.get("framework"), "framework")
    composition = _mapping(data.get("composition"), "composition")
    ratings = _mapping(data.get("ratings"), "ratings")
    scale = composition.get("review_scale", [0, 100])
    if not isinstance(scale, list) or len(scale) != 2:
        raise fail("composition.review_scale", "must be [min, max]")
    try:
        config = ScoringConfig.create(
            category_weights=framework.get("category_weights"),
            kpi_weight=composition.get("kpi_weight", 100),
            review_weight=composition.get("review_weight", 0),
            review_scale=(scale[0], scale[1]),
            review_group_weights=composition.get("review_group_weights"),
            bonus_cap=composition.get("bonus_cap"),
            rating_bands=ratings.get("bands"),
            target_mix=ratings.get("target_mix"),
            rank_by=ratings.get("rank_by"),
        )
    except (KeyError, TypeError) as exc:
        raise fail("ratings", f"invalid entry ({exc})") from None
    by = ratings.get("distribution_by")
    return config, None if by is None else str(by)


def _employees(data: Mapping[str, Any], schemes: Mapping[str, SchemeDef]) -> list[dict[str, str]]:
    raw = data.get("employees")
    if not isinstance(raw, list) or not raw:
        raise fail("employees", "missing (a non-empty list)")
    people: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        path = f"employees[{i}]"
        if not isinstance(item, Mapping):
            raise fail(path, "must be a mapping")
        if item.get("id") in (None, ""):
            raise fail(f"{path}.id", "missing")
        person = {str(k): "" if v is None else str(v) for k, v in item.items()}
        if person["id"] in seen:
            raise fail(f"{path}.id", f"duplicate employee id {person['id']!r}")
        seen.add(person["id"])
        if "scheme" not in person:
            if len(schemes) != 1:
                raise fail(f"{path}.scheme", "missing (the file has several schemes)")
            person["scheme"] = next(iter(schemes))
        if person["scheme"] not in schemes:
            raise fail(f"{path}.scheme", f"unknown scheme {person['scheme']!r}")
        people.append(person)
    return people


def _value_rows(data: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any], str]]:
    """(employee, indicator, {actual, target, benchmark}, path) from either value form."""
    raw = data.get("values")
    rows: list[tuple[str, str, dict[str, Any], str]] = []
    if isinstance(raw, Mapping):  # {employee: {indicator: actual | {actual, target, …}}}
        for emp, per in raw.items():
            for ind, cell in _mapping(per, f"values.{emp}", required=True).items():
                path = f"values.{emp}.{ind}"
                rows.append((str(emp), str(ind), _cell(cell, path), path))
    elif isinstance(raw, list):  # [{employee, indicator, actual, target?, benchmark?}]
        for i, item in enumerate(raw):
            path = f"values[{i}]"
            item = _mapping(item, path, required=True)
            for key in ("employee", "indicator"):
                if item.get(key) in (None, ""):
                    raise fail(f"{path}.{key}", "missing")
            cell = {k: v for k, v in item.items() if k not in ("employee", "indicator")}
            rows.append((str(item["employee"]), str(item["indicator"]), _cell(cell, path), path))
    else:
        raise fail("values", "missing (a mapping per employee or a list of rows)")
    return rows


def _cell(cell: Any, path: str) -> dict[str, Any]:
    if cell is None or (isinstance(cell, int | float) and not isinstance(cell, bool)):
        return {c.ACTUAL: cell}
    if not isinstance(cell, Mapping):
        raise fail(path, "must be a number or a mapping with actual/target/benchmark")
    unknown = sorted(set(cell) - {c.ACTUAL, c.TARGET, c.BENCHMARK})
    if unknown:
        raise fail(f"{path}.{unknown[0]}", "unknown field (known: actual, target, benchmark)")
    for key, value in cell.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise fail(f"{path}.{key}", f"must be a number, got {value!r}")
    return dict(cell)


def _benchmarks(data: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any], str]]:
    raw = data.get("benchmarks") or []
    if not isinstance(raw, list):
        raise fail("benchmarks", "must be a list of {by, values}")
    tables = []
    for i, item in enumerate(raw):
        item = _mapping(item, f"benchmarks[{i}]", required=True)
        if not item.get("by"):
            raise fail(f"benchmarks[{i}].by", "missing (an employee attribute)")
        tables.append(
            (
                str(item["by"]),
                _mapping(item.get("values"), f"benchmarks[{i}].values", required=True),
                f"benchmarks[{i}]",
            )
        )
    return tables


def parse_scenario(data: Any, *, base_dir: Path | None = None) -> Scenario:
    """Validate a parsed YAML document and turn it into engine frames. ``base_dir`` is where
    scheme files named by path are looked up (the scenario file's folder)."""
    data = _mapping(data, "(document)", required=True)
    unknown = sorted(set(data) - set(TOP_LEVEL))
    if unknown:
        raise fail(unknown[0], f"unknown section (known: {', '.join(TOP_LEVEL)})")
    config, distribution_by = _config(data)
    raw_schemes = _mapping(data.get("schemes"), "schemes", required=True)
    if not raw_schemes:
        raise fail("schemes", "missing (at least one scheme)")
    schemes = {
        str(n): parse_scheme(str(n), _scheme_body(s, f"schemes.{n}", base_dir), f"schemes.{n}")
        for n, s in raw_schemes.items()
    }
    context = {str(k): str(v) for k, v in _mapping(data.get("context"), "context").items()}
    people = _employees(data, schemes)

    line_rows: dict[tuple[str, str], dict[str, Any]] = {}
    employee_rows, resolved = [], {}
    for person in people:
        attributes = {**context, **{k: v for k, v in person.items() if k not in ("id", "scheme")}}
        variant, own_lines = resolve(schemes[person["scheme"]], attributes)
        resolved[person["id"]] = (variant, {x[c.INDICATOR]: x for x in own_lines})
        for line in own_lines:
            line_rows[(variant, line[c.INDICATOR])] = line
        employee_rows.append(
            {
                c.EMPLOYEE_ID: person["id"],
                c.SCHEME: variant,
                c.NAME: person.get("name", ""),
                **{k: v for k, v in person.items() if k not in EMPLOYEE_SPECIAL},
            }
        )
    employees = pl.DataFrame(employee_rows, infer_schema_length=None).with_columns(
        pl.all().cast(pl.String)
    )
    lines = pl.DataFrame(
        [
            {
                c.SCHEME: variant,
                **{k: v for k, v in line.items() if k != c.TARGET},
                c.PARAMS: json.dumps(line[c.PARAMS], ensure_ascii=False, sort_keys=True),
            }
            for (variant, _), line in sorted(line_rows.items())
        ],
        schema_overrides={c.WEIGHT: pl.Float64},
    )

    attrs = {row[c.EMPLOYEE_ID]: row for row in employee_rows}
    tables = _benchmarks(data)
    value_rows = []
    for emp, ind, cell, path in _value_rows(data):
        if emp not in resolved:
            raise fail(path, f"unknown employee {emp!r}")
        own = resolved[emp][1].get(ind)
        target = cell.get(c.TARGET, None if own is None else own[c.TARGET])
        bench = cell.get(c.BENCHMARK)
        for by, table, where in tables:
            if bench is None and by in attrs[emp]:
                found = _mapping(table.get(attrs[emp][by]), f"{where}.values")
                bench = found.get(ind, bench)
        value_rows.append(
            {
                c.EMPLOYEE_ID: emp,
                c.INDICATOR: ind,
                c.ACTUAL: cell.get(c.ACTUAL),
                c.TARGET: target,
                c.BENCHMARK: bench,
            }
        )
    schema = {
        c.EMPLOYEE_ID: pl.String,
        c.INDICATOR: pl.String,
        c.ACTUAL: pl.Float64,
        c.TARGET: pl.Float64,
        c.BENCHMARK: pl.Float64,
    }
    values = pl.DataFrame(value_rows, schema=schema)
    return Scenario(
        title=str(data.get("scenario", "")),
        config=config,
        employees=employees,
        lines=lines,
        values=values,
        reviews=_reviews(data, resolved),
        bonus=_bonus(data, resolved),
        distribution_by=distribution_by,
    )


def _reviews(data: Mapping[str, Any], known: Mapping[str, Any]) -> pl.DataFrame | None:
    raw = data.get("reviews")
    if raw is None:
        return None
    rows = []
    for emp, groups in _mapping(raw, "reviews").items():
        if str(emp) not in known:
            raise fail(f"reviews.{emp}", f"unknown employee {emp!r}")
        for group, scores in _mapping(groups, f"reviews.{emp}", required=True).items():
            items = scores if isinstance(scores, list) else [scores]
            for j, value in enumerate(items):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise fail(f"reviews.{emp}.{group}[{j}]", f"must be a number, got {value!r}")
                rows.append(
                    {
                        c.EMPLOYEE_ID: str(emp),
                        c.RATER_GROUP: str(group),
                        c.REVIEW_VALUE: float(value),
                    }
                )
    return pl.DataFrame(
        rows,
        schema={c.EMPLOYEE_ID: pl.String, c.RATER_GROUP: pl.String, c.REVIEW_VALUE: pl.Float64},
    )


def _bonus(data: Mapping[str, Any], known: Mapping[str, Any]) -> pl.DataFrame | None:
    raw = data.get("bonus")
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise fail("bonus", "must be a list of {employee, points, reason}")
    rows = []
    for i, item in enumerate(raw):
        item = _mapping(item, f"bonus[{i}]", required=True)
        emp, points = item.get("employee"), item.get("points")
        if emp in (None, ""):
            raise fail(f"bonus[{i}].employee", "missing")
        if str(emp) not in known:
            raise fail(f"bonus[{i}].employee", f"unknown employee {emp!r}")
        if isinstance(points, bool) or not isinstance(points, int | float):
            raise fail(f"bonus[{i}].points", "missing (a number)")
        rows.append(
            {
                c.EMPLOYEE_ID: str(emp),
                c.POINTS: float(points),
                c.REASON: str(item.get("reason", "")),
            }
        )
    return pl.DataFrame(
        rows, schema={c.EMPLOYEE_ID: pl.String, c.POINTS: pl.Float64, c.REASON: pl.String}
    )
