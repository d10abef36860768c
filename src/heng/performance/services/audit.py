"""Audit rows for policy changes (K2: every change to schemes is in the audit trail).

Before/after are the canonical document forms of the item, so the trail shows exactly the
fields that changed, in the same terms as the scheme file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from heng.core.audit import ACTION_LABELS, audit_record

LABELS = {
    "indicator.create": _("Indicator created"),
    "indicator.update": _("Indicator changed"),
    "indicator.delete": _("Indicator deleted"),
    "framework.create": _("Framework created"),
    "framework.update": _("Framework changed"),
    "scheme.create": _("Scheme created"),
    "scheme.update": _("Scheme changed"),
    "scheme.line": _("Scheme line changed"),
    "scheme.override": _("Scheme override changed"),
    "scheme.publish": _("Scheme version published"),
    "scheme.import": _("Scheme file imported"),
}


def register_labels() -> None:
    """Called from the app config: the audit page names our actions."""
    ACTION_LABELS.update(LABELS)


def record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    note: str = "",
    target_label: str = "",
) -> None:
    audit_record(
        actor=actor,
        action=action,
        target=target,
        before=before,
        after=after,
        note=note,
        target_label=target_label,
    )
