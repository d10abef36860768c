"""Exact decimal handling for configuration numbers (weights, thresholds, shares).

Weights are compared exactly (30 + 69.99 ≠ 100), so configuration numbers are held as
``Decimal`` built from their *decimal text* (``Decimal(str(0.1))`` is 0.1, not the binary
0.1000000000000000055…).
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

from heng.engine.errors import EngineError

__all__ = ["Number", "dec", "dec_text", "json_number"]

Number = int | float | str | Decimal


def dec(value: Any, *, code: str = "number_invalid", where: str = "value") -> Decimal:
    """Turn an int/float/str/Decimal into a finite Decimal, or refuse naming ``where``."""
    if isinstance(value, bool) or value is None:
        raise EngineError(code, f"{where}: expected a number, got {value!r}", {"path": where})
    if isinstance(value, float):
        if not math.isfinite(value):
            raise EngineError(code, f"{where}: number must be finite", {"path": where})
        value = repr(value)
    if isinstance(value, int | str | Decimal):
        try:
            result = Decimal(value)
        except (InvalidOperation, ValueError):
            raise EngineError(
                code, f"{where}: expected a number, got {value!r}", {"path": where}
            ) from None
        if not result.is_finite():
            raise EngineError(code, f"{where}: number must be finite", {"path": where})
        return result
    raise EngineError(code, f"{where}: expected a number, got {value!r}", {"path": where})


def dec_text(value: Decimal) -> str:
    """Canonical text of a Decimal: 100, 0.5, 12.25 (no exponent, no trailing zeros)."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def json_number(value: Decimal) -> int | float:
    """A Decimal as the JSON number a person would write (int when integral)."""
    if value == value.to_integral_value():
        return int(value)
    return float(dec_text(value))
