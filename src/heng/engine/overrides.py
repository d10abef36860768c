"""Scheme lines with scoped overrides (B4), resolved per employee.

An override applies to an employee when every ``when`` key matches: the employee's
attribute (or the scenario ``context``, e.g. ``period: peak``) equals the value, or is one
of the listed values. Matching overrides apply from the least specific (fewest ``when``
keys) to the most specific, in file order among equals, so **the most specific wins**.
Operations: ``remove`` indicator codes, ``set`` fields of existing lines, ``add`` lines.
Each distinct combination of applied overrides becomes a scheme variant named
``base+label+label`` — that name is the employee's ``scheme`` in the results, which is how
the result shows which override was used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from heng.engine import columns as c
from heng.engine.errors import EngineError

__all__ = ["LINE_FIELDS", "Override", "SchemeDef", "parse_line", "parse_scheme", "resolve"]

LINE_FIELDS = (
    c.INDICATOR,
    c.NAME_ZH,
    c.NAME_EN,
    c.CATEGORY,
    c.DIRECTION,
    c.RULE,
    c.PARAMS,
    c.WEIGHT,
    c.SOURCE_SET,
    c.TARGET,
)
SETTABLE = frozenset(LINE_FIELDS) - {c.INDICATOR}


def fail(path: str, why: str) -> EngineError:
    return EngineError("scenario_invalid", f"{path}: {why}", {"path": path})


def parse_line(raw: Any, path: str) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise fail(path, "must be a mapping")
    unknown = sorted(set(raw) - set(LINE_FIELDS))
    if unknown:
        raise fail(f"{path}.{unknown[0]}", f"unknown field (known: {', '.join(LINE_FIELDS)})")
    for key in (c.INDICATOR, c.CATEGORY, c.RULE, c.WEIGHT):
        if raw.get(key) in (None, ""):
            raise fail(f"{path}.{key}", "missing")
    line = {
        c.INDICATOR: str(raw[c.INDICATOR]),
        c.NAME_ZH: str(raw.get(c.NAME_ZH) or raw[c.INDICATOR]),
        c.NAME_EN: str(raw.get(c.NAME_EN) or raw[c.INDICATOR]),
        c.CATEGORY: str(raw[c.CATEGORY]),
        c.DIRECTION: str(raw.get(c.DIRECTION, c.HIGHER)),
        c.RULE: str(raw[c.RULE]),
        c.PARAMS: raw.get(c.PARAMS) or {},
        c.WEIGHT: _number(raw[c.WEIGHT], f"{path}.{c.WEIGHT}"),
        c.SOURCE_SET: str(raw.get(c.SOURCE_SET, c.DEFAULT_SOURCE_SET)),
        c.TARGET: None if raw.get(c.TARGET) is None else _number(raw[c.TARGET], f"{path}.target"),
    }
    if not isinstance(line[c.PARAMS], Mapping):
        raise fail(f"{path}.params", "must be a mapping")
    return line


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(path, f"must be a number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Override:
    label: str
    when: tuple[tuple[str, tuple[str, ...]], ...]
    remove: tuple[str, ...]
    set: tuple[tuple[str, dict[str, Any]], ...]
    add: tuple[dict[str, Any], ...]
    order: int
    path: str

    def matches(self, attributes: Mapping[str, str]) -> bool:
        return all(attributes.get(key) in allowed for key, allowed in self.when)


@dataclass(frozen=True)
class SchemeDef:
    name: str
    lines: tuple[dict[str, Any], ...]
    overrides: tuple[Override, ...]


def parse_scheme(name: str, raw: Any, path: str) -> SchemeDef:
    if not isinstance(raw, Mapping):
        raise fail(path, "must be a mapping with 'lines'")
    raw_lines = raw.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise fail(f"{path}.lines", "missing (a non-empty list)")
    lines = tuple(parse_line(x, f"{path}.lines[{i}]") for i, x in enumerate(raw_lines))
    codes = [x[c.INDICATOR] for x in lines]
    for i, code in enumerate(codes):
        if code in codes[:i]:
            raise fail(f"{path}.lines[{i}].indicator", f"duplicate indicator {code!r}")
    raw_overrides = raw.get("overrides") or []
    if not isinstance(raw_overrides, list):
        raise fail(f"{path}.overrides", "must be a list")
    overrides = tuple(
        _parse_override(x, f"{path}.overrides[{i}]", i) for i, x in enumerate(raw_overrides)
    )
    return SchemeDef(name, lines, overrides)


def _parse_override(raw: Any, path: str, order: int) -> Override:
    if not isinstance(raw, Mapping):
        raise fail(path, "must be a mapping")
    unknown = sorted(set(raw) - {"id", "when", "remove", "set", "add"})
    if unknown:
        raise fail(f"{path}.{unknown[0]}", "unknown field (known: id, when, remove, set, add)")
    when_raw = raw.get("when")
    if not isinstance(when_raw, Mapping) or not when_raw:
        raise fail(f"{path}.when", "missing (a mapping of attribute: value)")
    when = tuple(
        sorted(
            (str(k), tuple(str(v) for v in (val if isinstance(val, list) else [val])))
            for k, val in when_raw.items()
        )
    )
    label = str(raw.get("id") or ",".join(f"{k}={'|'.join(v)}" for k, v in when))
    remove = raw.get("remove") or []
    if not isinstance(remove, list):
        raise fail(f"{path}.remove", "must be a list of indicator codes")
    set_raw = raw.get("set") or {}
    if not isinstance(set_raw, Mapping):
        raise fail(f"{path}.set", "must be a mapping indicator: {field: value}")
    sets = []
    for code, fields in set_raw.items():
        where = f"{path}.set.{code}"
        if not isinstance(fields, Mapping) or not fields:
            raise fail(where, "must be a mapping of fields to change")
        bad = sorted(set(fields) - SETTABLE)
        if bad:
            raise fail(
                f"{where}.{bad[0]}", f"cannot be set (settable: {', '.join(sorted(SETTABLE))})"
            )
        if c.WEIGHT in fields:
            _number(fields[c.WEIGHT], f"{where}.weight")
        sets.append((str(code), dict(fields)))
    add_raw = raw.get("add") or []
    if not isinstance(add_raw, list):
        raise fail(f"{path}.add", "must be a list of lines")
    add = tuple(parse_line(x, f"{path}.add[{i}]") for i, x in enumerate(add_raw))
    return Override(label, when, tuple(str(x) for x in remove), tuple(sets), add, order, path)


def resolve(
    scheme: SchemeDef, attributes: Mapping[str, str]
) -> tuple[str, tuple[dict[str, Any], ...]]:
    """(variant name, resolved lines) for an employee with these attributes."""
    matching = sorted(
        (o for o in scheme.overrides if o.matches(attributes)),
        key=lambda o: (len(o.when), o.order),
    )
    lines = {x[c.INDICATOR]: dict(x) for x in scheme.lines}
    for override in matching:
        for j, code in enumerate(override.remove):
            if code not in lines:
                raise fail(f"{override.path}.remove[{j}]", f"no line {code!r} to remove")
            del lines[code]
        for code, fields in override.set:
            if code not in lines:
                raise fail(f"{override.path}.set.{code}", f"no line {code!r} to change")
            updated = {**lines[code], **fields}
            lines[code] = parse_line(updated, f"{override.path}.set.{code}")
        for j, line in enumerate(override.add):
            if line[c.INDICATOR] in lines:
                raise fail(f"{override.path}.add[{j}]", f"line {line[c.INDICATOR]!r} exists")
            lines[line[c.INDICATOR]] = dict(line)
    name = "+".join([scheme.name, *(o.label for o in matching)])
    return name, tuple(lines[k] for k in sorted(lines))
