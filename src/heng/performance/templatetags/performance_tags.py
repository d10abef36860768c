"""Small display filters for the performance pages."""

from __future__ import annotations

import json
from typing import Any

from django import template

from heng.performance.documents.model import decimal_text, to_decimal

register = template.Library()


@register.filter
def json_text(value: Any) -> str:
    """Rule parameters as compact JSON, as they are typed: {"cap": 120}."""
    if value in (None, {}, ""):
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


@register.filter
def num(value: Any) -> str:
    """An exact number without trailing zeros: 0.5, 39.99, 100 (never 0.5000 or 1E+2)."""
    if value is None or value == "":
        return ""
    exact = to_decimal(value)
    return decimal_text(exact) if exact is not None else str(value)
