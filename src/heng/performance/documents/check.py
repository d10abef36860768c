"""Meaning of a scheme document: rules, references, targets and exact weight totals.

Everything the engine would refuse later is refused here, before anything is saved or
published, with the item named: the rule registry of :mod:`heng.engine` validates rules and
parameters, :class:`heng.engine.ScoringConfig` the framework, and every combination of
overrides that can apply together must still sum to exactly 100.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from heng.performance.documents.check_overrides import (
    check_change,
    check_combinations,
    check_overrides,
)
from heng.performance.documents.items import (
    check_framework,
    check_line_like,
    check_rule,
    check_target,
    check_weight,
    framework_config,
)
from heng.performance.documents.model import HUNDRED, Directory, Doc, Problems


def check_document(doc: Doc, directory: Directory, problems: Problems) -> None:
    """Add every semantic problem of ``doc`` to ``problems`` (nothing is raised)."""
    check_framework(doc["framework"], problems)
    if doc["scheme"]["framework"] != doc["framework"]["code"]:
        problems.add(
            "scheme.framework",
            "framework_mismatch",
            _("The scheme names framework %(named)s but the file defines %(given)s.")
            % {"named": doc["scheme"]["framework"], "given": doc["framework"]["code"]},
        )
    indicators = _check_indicators(doc, problems)
    _check_applies_to(doc, directory, problems)
    base_total = _check_lines(doc, indicators, problems)
    if base_total is not None and base_total != HUNDRED:
        problems.add(
            "lines",
            "weights_not_100",
            _("Line weights must sum to exactly 100; they sum to %(total)s.")
            % {"total": _text(base_total)},
        )
    clean = check_overrides(doc, indicators, directory, problems)
    if not problems:
        check_combinations(doc, clean, directory, problems)


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _check_indicators(doc: Doc, problems: Problems) -> dict[str, Mapping[str, Any]]:
    from heng.performance.services.indicators import indicator_formula_validate

    seen: dict[str, Mapping[str, Any]] = {}
    for i, indicator in enumerate(doc["indicators"]):
        path, code = f"indicators[{i}]", indicator["code"]
        if code in seen:
            problems.add(
                f"{path}.code",
                "duplicate",
                _("Indicator %(code)s is listed twice.") % {"code": code},
            )
            continue
        seen[code] = indicator
        source = indicator["value_source"]
        if source["kind"] == "metric" and not source["metric"].strip():
            problems.add(
                f"{path}.value_source.metric",
                "metric_missing",
                _("Indicator %(code)s: name the source metric.") % {"code": code},
            )
        if source["kind"] == "formula":
            for message in indicator_formula_validate(source["formula"]):
                problems.add(
                    f"{path}.value_source.formula",
                    "formula_invalid",
                    _("Indicator %(code)s: %(reason)s") % {"code": code, "reason": message},
                )
        if indicator["rule"] and indicator["direction"]:
            check_rule(
                indicator["rule"], indicator["params"], indicator["direction"], path, problems
            )
    return seen


def _check_applies_to(doc: Doc, directory: Directory, problems: Problems) -> None:
    seen = set()
    for i, entry in enumerate(doc["scheme"]["applies_to"]):
        path = f"scheme.applies_to[{i}]"
        if entry["unit"] is not None and directory.unit_path(entry["unit"]) is None:
            problems.add(
                f"{path}.unit",
                "unit_unknown",
                _("Unit %(code)s does not exist.") % {"code": entry["unit"]},
            )
        if entry["position"] is not None and not directory.has_position(entry["position"]):
            problems.add(
                f"{path}.position",
                "position_unknown",
                _("Position %(code)s does not exist.") % {"code": entry["position"]},
            )
        key = (entry["unit"], entry["position"])
        if key in seen:
            problems.add(path, "duplicate", _("This assignment is listed twice."))
        seen.add(key)


def _check_lines(
    doc: Doc, indicators: Mapping[str, Mapping[str, Any]], problems: Problems
) -> Decimal | None:
    if not doc["lines"]:
        problems.add("lines", "lines_empty", _("A scheme needs at least one line."))
        return None
    seen: set[str] = set()
    weights_ok = True
    summed = Decimal(0)
    for i, line in enumerate(doc["lines"]):
        path, code = f"lines[{i}]", line["indicator"]
        label = _("Line %(code)s") % {"code": code}
        weight = check_weight(line["weight"], f"{path}.weight", problems, label=label)
        weights_ok = weights_ok and weight is not None
        summed += weight or Decimal(0)
        if code in seen:
            problems.add(
                f"{path}.indicator",
                "duplicate",
                _("Indicator %(code)s has two lines.") % {"code": code},
            )
            continue
        seen.add(code)
        indicator = indicators.get(code)
        if indicator is None:
            problems.add(
                f"{path}.indicator",
                "indicator_unknown",
                _("Indicator %(code)s is not in the library.") % {"code": code},
            )
            continue
        check_line_like(line, indicator, None, path, problems, label)
    return summed if weights_ok else None


__all__ = [
    "Directory",
    "check_change",
    "check_document",
    "check_framework",
    "check_line_like",
    "check_rule",
    "check_target",
    "check_weight",
    "framework_config",
]
