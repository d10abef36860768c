"""Raw data (from a YAML file or an API body) → the canonical scheme document.

This layer checks *shape*: known keys, types, required values, closed vocabularies. Every
refusal carries the document path of the item (``overrides[1].changes[0].weight``) so the
YAML reader can turn it into a line number. Meaning (rules, sums, references) is checked in
:mod:`heng.performance.documents.check`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from heng.engine import DEFAULT_RATING_BANDS
from heng.performance.documents.model import (
    ACTIONS,
    CATEGORIES,
    DEFAULT_SOURCE_SET,
    DIRECTIONS,
    FORMAT,
    TARGET_METHODS,
    VALUE_KINDS,
    Doc,
    Problems,
    canonical_order,
    canonical_value,
    default_target_method,
    effective_rule,
    number,
    to_decimal,
)

_MISSING: Any = object()


class _Reader:
    """Reads one mapping, remembering which keys were used so that unknown keys are refused."""

    def __init__(self, raw: Any, path: str, problems: Problems) -> None:
        self.path = path
        self.problems = problems
        self.ok = isinstance(raw, Mapping)
        if not self.ok:
            problems.add(
                path or "(document)", "not_a_mapping", _("Expected a mapping of keys to values.")
            )
        self.raw: Mapping[str, Any] = raw if self.ok else {}
        self.used: set[str] = set()

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, default: Any = _MISSING) -> Any:
        self.used.add(key)
        if key not in self.raw:
            if default is _MISSING:
                self.problems.add(self.at(key), "required", _("This key is required."))
                return None
            return default
        return self.raw[key]

    def text(self, key: str, *, required: bool = False, default: str = "") -> str:
        value = self.get(key, _MISSING if required else default)
        if value is None:
            if required:
                return ""
            return default
        if isinstance(value, (bool, dict | list)):
            self.problems.add(self.at(key), "not_text", _("Expected text."))
            return ""
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        if required and not text.strip():
            self.problems.add(self.at(key), "required", _("This value must not be blank."))
        return text

    def code(self, key: str, *, required: bool = True) -> str | None:
        value = self.get(key, _MISSING if required else None)
        if value is None:
            return None
        if isinstance(value, (bool, dict | list)) or not str(value).strip():
            self.problems.add(self.at(key), "code_invalid", _("Expected a code."))
            return None
        return str(value)

    def choice(self, key: str, options: tuple[str, ...], default: Any = _MISSING) -> str:
        value = self.get(key, default)
        if value is None and default is None:
            return ""
        if value not in options:
            self.problems.add(
                self.at(key),
                "choice_invalid",
                _("%(value)s is not one of: %(options)s.")
                % {"value": repr(value), "options": ", ".join(options)},
            )
            return ""
        return str(value)

    def num(self, key: str, *, nullable: bool = False, default: Any = _MISSING) -> Any:
        value = self.get(key, default)
        if value is None:
            if not nullable:
                self.problems.add(self.at(key), "number_required", _("A number is required."))
            return None
        exact = to_decimal(value)
        if exact is None:
            self.problems.add(
                self.at(key),
                "number_invalid",
                _("%(value)s is not a finite number.") % {"value": repr(value)},
            )
            return None
        return number(exact)

    def date(self, key: str) -> str | None:
        value = self.get(key, None)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return value.isoformat()
        try:
            return dt.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            self.problems.add(self.at(key), "date_invalid", _("Expected a date like 2025-11-01."))
            return None

    def mapping(self, key: str, *, nullable: bool = False) -> Any:
        value = self.get(key, None if nullable else _MISSING)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.problems.add(
                self.at(key), "not_a_mapping", _("Expected a mapping of keys to values.")
            )
            return None
        return canonical_value(value)

    def items(
        self, key: str, parse: Callable[[Any, str], Any], *, required: bool = True
    ) -> list[Any]:
        value = self.get(key, _MISSING if required else [])
        if value is None:
            return []
        if not isinstance(value, list):
            self.problems.add(self.at(key), "not_a_list", _("Expected a list."))
            return []
        return [parse(item, f"{self.at(key)}[{i}]") for i, item in enumerate(value)]

    def finish(self) -> None:
        for key in self.raw:
            if key not in self.used:
                self.problems.add(
                    self.at(str(key)), "key_unknown", _("Unknown key %(key)s.") % {"key": repr(key)}
                )


def parse_document(raw: Any, problems: Problems) -> Doc:
    """The canonical document, or a best-effort one with ``problems`` filled in."""
    r = _Reader(raw, "", problems)
    fmt = r.get("format", None)
    if fmt != FORMAT:
        problems.add(
            "format",
            "format_unknown",
            _("The file must start with format: %(format)s.") % {"format": FORMAT},
        )
    doc: Doc = {
        "format": FORMAT,
        "scheme": _scheme(r.get("scheme"), "scheme", problems),
        "framework": _framework(r.get("framework"), "framework", problems),
        "indicators": r.items("indicators", lambda v, p: _indicator(v, p, problems)),
        "lines": r.items("lines", lambda v, p: _line(v, p, problems)),
        "overrides": r.items("overrides", lambda v, p: _override(v, p, problems), required=False),
    }
    r.finish()
    return canonical_order(doc)


def _scheme(raw: Any, path: str, problems: Problems) -> Doc:
    r = _Reader(raw, path, problems)

    def applies(value: Any, at: str) -> Doc:
        a = _Reader(value, at, problems)
        out = {
            "unit": a.code("unit", required=False),
            "position": a.code("position", required=False),
        }
        a.finish()
        if a.ok and out["unit"] is None and out["position"] is None:
            problems.add(at, "applies_to_empty", _("Name a unit, a position or both."))
        return out

    out = {
        "code": r.code("code") or "",
        "name": r.text("name", required=True),
        "name_en": r.text("name_en"),
        "description": r.text("description"),
        "framework": r.code("framework") or "",
        "applies_to": r.items("applies_to", applies, required=False),
    }
    r.finish()
    return out


def _framework(raw: Any, path: str, problems: Problems) -> Doc:
    r = _Reader(raw, path, problems)
    weights = r.mapping("category_weights", nullable=True)
    if weights is not None:
        w = _Reader(weights, r.at("category_weights"), problems)
        weights = {name: w.num(name) for name in CATEGORIES}
        w.finish()
    scale = r.get("review_scale", [0, 100])
    if not (isinstance(scale, list) and len(scale) == 2):
        problems.add(
            r.at("review_scale"), "review_scale_invalid", _("Expected [from, to], e.g. [0, 5].")
        )
        scale = [0, 100]
    s = _Reader({"from": scale[0], "to": scale[1]}, r.at("review_scale"), problems)
    out = {
        "code": r.code("code") or "",
        "name": r.text("name", required=True),
        "name_en": r.text("name_en"),
        "description": r.text("description"),
        "category_weights": weights,
        "kpi_weight": r.num("kpi_weight", default=100),
        "review_weight": r.num("review_weight", default=0),
        "review_scale": [s.num("from"), s.num("to")],
        "review_group_weights": r.mapping("review_group_weights", nullable=True) or None,
        "bonus_cap": r.num("bonus_cap", nullable=True, default=None),
        "rating_bands": r.items("rating_bands", lambda v, p: _band(v, p, problems), required=False)
        or default_rating_bands(),
        "target_mix": r.items("target_mix", lambda v, p: _mix(v, p, problems), required=False),
    }
    r.finish()
    return out


def _band(raw: Any, path: str, problems: Problems) -> Doc:
    r = _Reader(raw, path, problems)
    out = {
        "code": r.code("code") or "",
        "min": r.num("min"),
        "name_zh": r.text("name_zh"),
        "name_en": r.text("name_en"),
    }
    r.finish()
    return out


def _mix(raw: Any, path: str, problems: Problems) -> Doc:
    r = _Reader(raw, path, problems)
    bands = r.get("bands")
    if not (isinstance(bands, list) and bands and all(isinstance(b, str) for b in bands)):
        problems.add(r.at("bands"), "bands_invalid", _("Expected a list of rating band codes."))
        bands = []
    out = {"label": r.text("label", required=True), "bands": list(bands), "share": r.num("share")}
    r.finish()
    return out


def _indicator(raw: Any, path: str, problems: Problems) -> Doc:
    r = _Reader(raw, path, problems)
    source = _Reader(r.get("value_source"), r.at("value_source"), problems)
    value_source = {
        "kind": source.choice("kind", VALUE_KINDS),
        "metric": source.text("metric"),
        "formula": source.text("formula"),
    }
    source.finish()
    out = {
        "code": r.code("code") or "",
        "name": r.text("name", required=True),
        "name_en": r.text("name_en"),
        "category": r.choice("category", CATEGORIES),
        "direction": r.choice("direction", DIRECTIONS),
        "unit": r.text("unit"),
        "value_source": value_source,
        "rule": r.code("rule") or "",
        "params": r.mapping("params", nullable=True) or {},
        "description": r.text("description"),
    }
    r.finish()
    return out


def _target(raw: Any, path: str, problems: Problems, *, nullable: bool) -> Doc | None:
    if raw is None and nullable:
        return None
    r = _Reader(raw, path, problems)
    out = {
        "method": r.choice("method", TARGET_METHODS),
        "value": r.num("value", nullable=True, default=None),
    }
    r.finish()
    return out


def _line(raw: Any, path: str, problems: Problems) -> Doc:
    r = _Reader(raw, path, problems)
    out = {
        "indicator": r.code("indicator") or "",
        "weight": r.num("weight"),
        "rule": r.code("rule", required=False),
        "params": r.mapping("params", nullable=True),
        # Omitted: the rule's natural target method, filled in by fill_defaults().
        "target": _target(r.get("target", None), r.at("target"), problems, nullable=True),
        "source_set": r.text("source_set", default=DEFAULT_SOURCE_SET) or DEFAULT_SOURCE_SET,
    }
    r.finish()
    return out


def _override(raw: Any, path: str, problems: Problems) -> Doc:
    r = _Reader(raw, path, problems)
    scope = _Reader(r.get("scope", {}), r.at("scope"), problems)
    period = _Reader(r.get("period", {}), r.at("period"), problems)
    out = {
        "code": r.code("code") or "",
        "name": r.text("name"),
        "scope": {
            "unit": scope.code("unit", required=False),
            "position": scope.code("position", required=False),
            "employee": scope.code("employee", required=False),
        },
        "period": {"from": period.date("from"), "to": period.date("to")},
        "note": r.text("note"),
        "changes": r.items("changes", lambda v, p: _change(v, p, problems)),
    }
    scope.finish()
    period.finish()
    r.finish()
    return out


def _change(raw: Any, path: str, problems: Problems) -> Doc:
    r = _Reader(raw, path, problems)
    out = {
        "indicator": r.code("indicator") or "",
        "action": r.choice("action", ACTIONS, default="set"),
        "weight": r.num("weight", nullable=True, default=None),
        "rule": r.code("rule", required=False),
        "params": r.mapping("params", nullable=True),
        "target": _target(r.get("target", None), r.at("target"), problems, nullable=True),
        "source_set": r.code("source_set", required=False),
    }
    r.finish()
    return out


def weight_decimal(value: Any) -> Decimal:
    exact = to_decimal(value)
    return exact if exact is not None else Decimal(0)


def default_rating_bands() -> list[Doc]:
    return [
        {"code": b.code, "min": number(b.min_score), "name_zh": b.name_zh, "name_en": b.name_en}
        for b in DEFAULT_RATING_BANDS
    ]


def fill_defaults(doc: Doc) -> Doc:
    """Give lines without a target the natural target method of their rule (a hand-written
    file may leave it out; an exported one always has it)."""
    indicators = {i["code"]: i for i in doc["indicators"]}
    for line in doc["lines"]:
        indicator = indicators.get(line["indicator"])
        if line["target"] is None and indicator is not None:
            rule, params = effective_rule(indicator, line["rule"], line["params"])
            line["target"] = {"method": default_target_method(rule, params), "value": None}
    return doc
