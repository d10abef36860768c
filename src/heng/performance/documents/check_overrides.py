"""Checks of overrides: scope, period, line changes, and that every combination of overrides
that can apply to one person on one day still sums to exactly 100."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _

from heng.performance.documents.items import check_line_like, check_target, check_weight
from heng.performance.documents.model import HUNDRED, Directory, Doc, Problems, decimal_text
from heng.performance.documents.resolve import merge, ordered, total

# Beyond this many override combinations only singles and pairs are checked (the resolver
# still refuses a bad total at resolution time, naming the overrides).
MAX_COMBINATIONS = 4096


def check_overrides(
    doc: Doc, indicators: Mapping[str, Mapping[str, Any]], directory: Directory, problems: Problems
) -> list[Mapping[str, Any]]:
    base = {line["indicator"]: line for line in doc["lines"]}
    seen: set[str] = set()
    clean = []
    for i, override in enumerate(doc["overrides"]):
        path, code, before = f"overrides[{i}]", override["code"], len(problems)
        if code in seen:
            problems.add(
                f"{path}.code",
                "duplicate",
                _("Override %(code)s is listed twice.") % {"code": code},
            )
        seen.add(code)
        _check_scope(override, path, directory, problems)
        period = override["period"]
        if period["from"] and period["to"] and period["from"] > period["to"]:
            problems.add(
                f"{path}.period",
                "period_invalid",
                _("Override %(code)s: the period ends before it starts.") % {"code": code},
            )
        if not override["changes"]:
            problems.add(
                f"{path}.changes",
                "changes_empty",
                _("Override %(code)s changes nothing.") % {"code": code},
            )
        touched: set[str] = set()
        for j, change in enumerate(override["changes"]):
            check_change(change, f"{path}.changes[{j}]", code, touched, base, indicators, problems)
        if len(problems) == before:
            clean.append(override)
    return clean


def _check_scope(
    override: Mapping[str, Any], path: str, directory: Directory, problems: Problems
) -> None:
    scope = override["scope"]
    if scope["employee"] is not None:
        if scope["unit"] is not None or scope["position"] is not None:
            problems.add(
                f"{path}.scope",
                "scope_invalid",
                _("An override for one employee names no unit or position."),
            )
        if directory.employee_unit_path(scope["employee"]) is None:
            problems.add(
                f"{path}.scope.employee",
                "employee_unknown",
                _("Employee %(code)s does not exist.") % {"code": scope["employee"]},
            )
    if scope["unit"] is not None and directory.unit_path(scope["unit"]) is None:
        problems.add(
            f"{path}.scope.unit",
            "unit_unknown",
            _("Unit %(code)s does not exist.") % {"code": scope["unit"]},
        )
    if scope["position"] is not None and not directory.has_position(scope["position"]):
        problems.add(
            f"{path}.scope.position",
            "position_unknown",
            _("Position %(code)s does not exist.") % {"code": scope["position"]},
        )


def check_change(
    change: Mapping[str, Any],
    path: str,
    override: str,
    touched: set[str],
    base: Mapping[str, Mapping[str, Any]],
    indicators: Mapping[str, Mapping[str, Any]],
    problems: Problems,
) -> None:
    code = change["indicator"]
    label = _("Override %(override)s, indicator %(code)s") % {"override": override, "code": code}
    if code in touched:
        problems.add(
            f"{path}.indicator", "duplicate", _("%(item)s is changed twice.") % {"item": label}
        )
        return
    touched.add(code)
    indicator = indicators.get(code)
    if indicator is None:
        problems.add(
            f"{path}.indicator",
            "indicator_unknown",
            _("%(item)s: the indicator is not in the library.") % {"item": label},
        )
        return
    if change["action"] == "remove":
        if code not in base:
            problems.add(
                f"{path}.indicator",
                "remove_unknown_line",
                _("%(item)s: the scheme has no such line to remove.") % {"item": label},
            )
        extra = [
            k for k in ("weight", "rule", "params", "target", "source_set") if change[k] is not None
        ]
        if extra:
            problems.add(
                f"{path}.{extra[0]}",
                "remove_with_values",
                _("%(item)s: a removal takes no other values.") % {"item": label},
            )
        return
    check_weight(change["weight"], f"{path}.weight", problems, label=label)
    line = base.get(code)
    if line is None and change["weight"] is None:
        problems.add(
            f"{path}.weight",
            "weight_missing",
            _("%(item)s: a line the override adds needs a weight.") % {"item": label},
        )
    if line is not None and all(
        change[k] is None for k in ("weight", "rule", "params", "target", "source_set")
    ):
        problems.add(path, "change_empty", _("%(item)s: nothing is changed.") % {"item": label})
    rule_base = line["rule"] if line is not None and change["params"] is not None else None
    check_line_like(change, indicator, rule_base, path, problems, label)


def _compatible(a: Mapping[str, Any], b: Mapping[str, Any], directory: Directory) -> bool:
    """Can both overrides apply to one person on one day?"""
    pa, pb = a["period"], b["period"]
    starts = [p for p in (pa["from"], pb["from"]) if p]
    ends = [p for p in (pa["to"], pb["to"]) if p]
    if starts and ends and max(starts) > min(ends):
        return False
    sa, sb = a["scope"], b["scope"]
    if sa["position"] and sb["position"] and sa["position"] != sb["position"]:
        return False
    if sa["employee"] and sb["employee"]:
        return bool(sa["employee"] == sb["employee"])
    paths = []
    for scope in (sa, sb):
        if scope["employee"]:
            paths.append(directory.employee_unit_path(scope["employee"]) or "")
        elif scope["unit"]:
            paths.append((directory.unit_path(scope["unit"]) or "") + "*")
    if len(paths) == 2:
        # Two units co-apply only on one branch of the tree; an employee where he works now.
        p, q = (x.rstrip("*") for x in paths)
        unit_p, unit_q = paths[0].endswith("*"), paths[1].endswith("*")
        if unit_p and unit_q:
            return p.startswith(q) or q.startswith(p)
        if unit_p:
            return q.startswith(p)
        if unit_q:
            return p.startswith(q)
    return True


def check_combinations(
    doc: Doc, overrides: Sequence[Mapping[str, Any]], directory: Directory, problems: Problems
) -> None:
    def depth(code: str) -> int:
        return len(directory.unit_path(code) or "")

    n = len(overrides)
    if n == 0:
        return
    ok = [[_compatible(a, b, directory) for b in overrides] for a in overrides]
    index = {o["code"]: i for i, o in enumerate(overrides)}
    sizes = range(1, n + 1)
    if sum(_n_choose(n, k) for k in sizes) > MAX_COMBINATIONS:
        sizes = range(1, 3)
    for size in sizes:
        for combo in itertools.combinations(range(n), size):
            if not all(ok[x][y] for x, y in itertools.combinations(combo, 2)):
                continue
            chosen = ordered([overrides[k] for k in combo], depth)
            merged = merge(doc, chosen)
            weights = total(merged.lines)
            names = " + ".join(o["code"] for o in chosen)
            first = min(index[o["code"]] for o in chosen)
            for line in merged.lines:
                target = {
                    "method": line.target_method,
                    "value": None if line.target_value is None else line.target_value,
                }
                before = len(problems)
                check_target(
                    line.rule,
                    line.params,
                    target,
                    f"overrides[{first}]",
                    problems,
                    label=_("With override(s) %(names)s, line %(code)s")
                    % {"names": names, "code": line.indicator},
                )
                if len(problems) > before:
                    return
            if weights != HUNDRED:
                problems.add(
                    f"overrides[{first}]",
                    "override_weights_not_100",
                    _("With override(s) %(names)s applied, the weights sum to %(total)s, not 100.")
                    % {"names": names, "total": decimal_text(weights)},
                )
                return


def _n_choose(n: int, k: int) -> int:
    return math.comb(n, k)
