"""Number formatting for goal pages: 1,234.5 / 62% / — for nothing."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def num(value: Any) -> str:
    if value is None or value == "":
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:,.2f}".rstrip("0").rstrip(".")


@register.filter
def pct(value: Any) -> str:
    """0.62 → 62% (a share, not a percentage)."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.0f}%"


@register.filter
def pct_int(value: Any) -> int | None:
    """0.62 → 62, for bar widths."""
    if value is None or value == "":
        return None
    return round(float(value) * 100)
