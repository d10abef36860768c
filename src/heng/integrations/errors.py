"""This domain's error codes, and the words for quarantine reasons.

Reasons are stored as codes (``{"code", "field", "detail"}``) and worded when shown, so the
same quarantined row reads in Chinese or English depending on who looks at it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from heng.core.errors import Conflict, ValidationFailed

REASONS = {
    "missing": _("%(field)s is empty"),
    "unknown_employee": _('no employee with number "%(detail)s" (or not in your scope)'),
    "unknown_unit": _('no org unit with code "%(detail)s" (or not in your scope)'),
    "bad_date": _('"%(detail)s" is not a date (use 2026-01-31)'),
    "future_date": _("the date %(detail)s is in the future"),
    "date_out_of_range": _("the date %(detail)s is before 2000"),
    "unknown_metric": _('"%(detail)s" is not a metric of this source'),
    "not_a_number": _('%(field)s: "%(detail)s" is not a number'),
    "not_integer": _('%(field)s: "%(detail)s" is not a whole number'),
    "below_min": _("%(field)s: %(detail)s is below the allowed minimum"),
    "above_max": _("%(field)s: %(detail)s is above the allowed maximum"),
    "no_values": _("the row has no metric values"),
}


def reason_text(reason: Mapping[str, Any]) -> str:
    template = REASONS.get(str(reason.get("code")))
    if template is None:
        return str(reason.get("code"))
    return str(template) % {
        "field": reason.get("field") or "",
        "detail": reason.get("detail") or "",
    }


def reasons_text(reasons: Iterable[Mapping[str, Any]]) -> str:
    return "; ".join(reason_text(r) for r in reasons)


class BatchRefused(ValidationFailed):
    """The whole batch is refused: nothing of it was written."""

    default_code = "batch_refused"


class IdempotencyKeyReused(ValidationFailed):
    default_code = "idempotency_key_reused"


class AlreadyCommitted(Conflict):
    default_code = "already_committed"
