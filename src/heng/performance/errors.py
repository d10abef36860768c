"""Error codes of the performance domain, and engine refusals in the user's language."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from heng.core.errors import Conflict, ValidationFailed
from heng.engine import EngineError

if TYPE_CHECKING:
    from heng.performance.documents.model import Problem


class SchemeInvalid(ValidationFailed):
    """A scheme (or scheme file) that cannot be saved or published; ``fields`` maps each
    document path (or ``line N``) to its reason."""

    default_code = "scheme_invalid"


class IndicatorInvalid(ValidationFailed):
    default_code = "indicator_invalid"


class SchemeConflict(Conflict):
    default_code = "scheme_conflict"


class NoSchemeApplies(ValidationFailed):
    default_code = "no_scheme"


class ScenarioInvalid(ValidationFailed):
    default_code = "scenario_invalid"


def engine_message(exc: EngineError) -> str:
    """A translated message for the engine refusals a person can cause while editing."""
    d = exc.details
    rule, param = d.get("rule", ""), d.get("param", "")
    if exc.code == "rule_unknown":
        from heng.engine import RULES

        return _("Unknown rule %(rule)s; the rules are: %(known)s.") % {
            "rule": repr(rule),
            "known": ", ".join(sorted(RULES)),
        }
    if exc.code == "rule_param_missing":
        return _("Rule %(rule)s needs the parameter %(param)s.") % {"rule": rule, "param": param}
    if exc.code == "rule_param_unknown":
        return _("Rule %(rule)s has no parameter %(param)s.") % {"rule": rule, "param": param}
    if exc.code == "rule_param_invalid":
        return _("Rule %(rule)s, parameter %(param)s: %(reason)s") % {
            "rule": rule,
            "param": param,
            "reason": exc.message.split(": ", 1)[-1],
        }
    if exc.code == "rule_direction_mismatch":
        return _("Rule %(rule)s does not suit the indicator's direction.") % {"rule": rule}
    if exc.code == "weights_not_100":
        return _("Weights must sum to exactly 100 (got %(total)s).") % {
            "total": d.get("total", "?")
        }
    if exc.code == "weight_negative":
        return _("A weight must not be negative.")
    return exc.message


def problems_error(
    problems: Sequence[Problem], *, line_of: Callable[[str], int] | None = None, limit: int = 50
) -> SchemeInvalid:
    """One error carrying every problem; with ``lines`` the keys become "line N: path"."""
    fields: dict[str, str] = {}
    for problem in problems[:limit]:
        key = problem.path
        if line_of is not None:
            key = f"line {line_of(problem.path)}: {problem.path}"
        fields.setdefault(key, problem.message)
    first = problems[0]
    where = ""
    if line_of is not None:
        where = _("line %(line)s: ") % {"line": line_of(first.path)}
    message = _("%(where)s%(message)s (%(count)s problem(s) in all)") % {
        "where": where,
        "message": first.message,
        "count": len(problems),
    }
    return SchemeInvalid(message, code=first.code, fields=fields)
