"""Plain-text tables that line up in a terminal with Chinese text (stdlib only).

East Asian wide and full-width characters take two columns (``unicodedata``), so
width is counted per character rather than with ``len``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

__all__ = ["display_width", "format_number", "render_table"]


def display_width(text: str) -> int:
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


def format_number(value: object, decimals: int = 2) -> str:
    """Numbers shown with fixed decimals (the display rounding of ADR 0002); None as '—'."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{decimals}f}"
    return str(value)


def render_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    numeric: Sequence[bool] | None = None,
    decimals: int = 2,
) -> str:
    """Columns padded to display width; numbers right-aligned, text left-aligned."""
    cells = [[format_number(v, decimals) for v in row] for row in rows]
    right = (
        list(numeric)
        if numeric is not None
        else [
            all(isinstance(row[i], int | float) or row[i] is None for row in rows) and bool(rows)
            for i in range(len(headers))
        ]
    )
    widths = [
        max([display_width(h), *(display_width(r[i]) for r in cells)])
        for i, h in enumerate(headers)
    ]

    def line(values: Sequence[str]) -> str:
        out = []
        for i, text in enumerate(values):
            pad = " " * (widths[i] - display_width(text))
            out.append(pad + text if right[i] else text + pad)
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(list(headers)), rule, *(line(r) for r in cells)])
