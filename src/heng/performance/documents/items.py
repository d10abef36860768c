"""Checks of single items — a framework, a rule with its parameters, a weight, a target,
a line — shared by the whole-document checker and by the services that edit one item."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from heng.engine import EngineError, ScoringConfig, compile_rule
from heng.performance.documents.model import (
    TARGET_RULES,
    WEIGHT_PLACES,
    Problems,
    decimal_places,
    effective_rule,
    to_decimal,
)
from heng.performance.errors import engine_message


def framework_config(framework: Mapping[str, Any]) -> ScoringConfig:
    """The engine configuration of a document framework (raises EngineError)."""
    return ScoringConfig.create(
        category_weights=framework["category_weights"],
        kpi_weight=framework["kpi_weight"],
        review_weight=framework["review_weight"],
        review_scale=(framework["review_scale"][0], framework["review_scale"][1]),
        review_group_weights=framework["review_group_weights"],
        bonus_cap=framework["bonus_cap"],
        rating_bands=framework["rating_bands"],
        target_mix=framework["target_mix"] or None,
    )


def check_framework(
    framework: Mapping[str, Any], problems: Problems, path: str = "framework"
) -> None:
    if any(
        v is None
        for v in (framework["kpi_weight"], framework["review_weight"], *framework["review_scale"])
    ):
        return  # already reported by the parser
    try:
        framework_config(framework)
    except EngineError as exc:
        where = exc.details.get("path") or ""
        problems.add(f"{path}.{where}" if where else path, exc.code, engine_message(exc))


def check_rule(
    rule: str, params: Mapping[str, Any], direction: str, path: str, problems: Problems
) -> bool:
    try:
        compile_rule(rule, dict(params), direction)
    except EngineError as exc:
        param = exc.details.get("param")
        where = f"{path}.params.{param}" if param else path
        if exc.code in ("rule_unknown", "rule_direction_mismatch"):
            where = f"{path}.rule"
        problems.add(where, exc.code, engine_message(exc))
        return False
    return True


def check_weight(value: Any, path: str, problems: Problems, *, label: str) -> Decimal | None:
    weight = to_decimal(value)
    if weight is None:
        return None
    if weight < 0:
        problems.add(
            path,
            "weight_negative",
            _("%(item)s: a weight must not be negative (got %(weight)s).")
            % {"item": label, "weight": weight},
        )
    elif decimal_places(weight) > WEIGHT_PLACES:
        problems.add(
            path,
            "weight_precision",
            _("%(item)s: a weight may have at most 4 decimals.") % {"item": label},
        )
    return weight


def check_target(
    rule: str,
    params: Mapping[str, Any],
    target: Mapping[str, Any],
    path: str,
    problems: Problems,
    *,
    label: str,
) -> None:
    method, value = target["method"], to_decimal(target["value"])
    if rule in TARGET_RULES:
        allowed: tuple[str, ...] = ("assigned", "fixed")
    elif rule == "relative" and params.get("against") == "benchmark":
        allowed = ("benchmark",)
    else:
        allowed = ("none",)
    if method and method not in allowed:
        problems.add(
            f"{path}.method",
            "target_method_invalid",
            _("%(item)s: rule %(rule)s needs target method %(allowed)s, not %(method)s.")
            % {"item": label, "rule": rule, "allowed": " / ".join(allowed), "method": method},
        )
        return
    if method == "fixed":
        if value is None:
            problems.add(
                f"{path}.value",
                "target_missing",
                _("%(item)s: a fixed target needs a value.") % {"item": label},
            )
        elif value <= 0:
            problems.add(
                f"{path}.value",
                "target_not_positive",
                _("%(item)s: the target of rule %(rule)s must be greater than 0 (got %(value)s).")
                % {"item": label, "rule": rule, "value": value},
            )
    elif value is not None:
        problems.add(
            f"{path}.value",
            "target_value_unused",
            _("%(item)s: only a fixed target takes a value.") % {"item": label},
        )


def check_line_like(
    item: Mapping[str, Any],
    indicator: Mapping[str, Any],
    rule_base: str | None,
    path: str,
    problems: Problems,
    label: str,
) -> None:
    """Rule, parameters and target of a base line or a 'set' change, as they would score."""
    rule, params = effective_rule(indicator, item["rule"] or rule_base, item["params"])
    if not check_rule(rule, params, indicator["direction"], path, problems):
        return
    if item["target"] is not None:
        check_target(rule, params, item["target"], f"{path}.target", problems, label=label)
