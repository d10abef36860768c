"""Read an uploaded CSV or Excel file into a frame of text columns, or refuse it clearly.

Everything is read as text (``_row`` holds the spreadsheet row number the user sees) and typed
later by the cleaning step, so that "abc" in a number column becomes a quarantined row with a
reason instead of a failed file. Encodings: UTF-8 (with or without BOM), UTF-16 with BOM, and
GBK/GB18030 as saved by Chinese Excel. Size is bounded before anything is parsed.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from django.utils.translation import gettext as _

from heng.core.errors import ValidationFailed
from heng.integrations.conf import max_upload_bytes

ROW = "_row"
CHUNK = 4 * 1024 * 1024
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}


@dataclass
class Table:
    frame: pl.DataFrame  # text columns named by header + ROW (Int64)
    columns: list[str]
    encoding: str = ""
    warnings: list[str] = field(default_factory=list)


def _refuse(code: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, fields={"file": message})


def human_size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def check_size(size: int) -> None:
    limit = max_upload_bytes()
    if size > limit:
        raise _refuse(
            "file_too_large",
            _(
                "The file is %(size)s; the limit is %(limit)s. Split it into smaller files "
                "(for example one per month) or send it through the push API in batches."
            )
            % {"size": human_size(size), "limit": human_size(limit)},
        )


def read_table(path: Path, *, filename: str = "") -> Table:
    """The file's rows; raises ValidationFailed (file_too_large, bad_encoding, bad_csv,
    bad_excel, bad_header, empty_file) with a message that says what to fix."""
    path = Path(path)
    check_size(path.stat().st_size)
    suffix = Path(filename or path.name).suffix.lower()
    if suffix in EXCEL_SUFFIXES or zipfile.is_zipfile(path):
        return _read_excel(path)
    return _read_csv(path)


# --- CSV --------------------------------------------------------------------------------------
def _detect_encoding(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(CHUNK):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise _refuse(
        "bad_encoding",
        _(
            'The file is neither UTF-8 nor GBK text. Save it from Excel as "CSV UTF-8" and '
            "upload it again."
        ),
    )


def _to_utf8(path: Path, encoding: str) -> Path:
    """Polars reads UTF-8 only: transcode other encodings chunk by chunk to a temp file."""
    fd, name = tempfile.mkstemp(suffix=".csv", prefix="heng-ingest-")
    with (
        open(path, encoding=encoding, newline="") as src,
        os.fdopen(fd, "w", encoding="utf-8", newline="") as dst,
    ):
        while text := src.read(CHUNK):
            dst.write(text)
    return Path(name)


def _sniff_separator(first_line: str) -> str:
    counts = {sep: first_line.count(sep) for sep in (",", "\t", ";", "|")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


def _header(path: Path, separator: str) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        try:
            row = next(csv.reader(fh, delimiter=separator, strict=True), None)
        except csv.Error as exc:
            raise _refuse(
                "bad_csv", _("The header row is not valid CSV: %(error)s") % {"error": exc}
            ) from None
    if not row or not any(cell.strip() for cell in row):
        raise _refuse(
            "empty_file", _("The file is empty: the first row must hold the column names.")
        )
    return _clean_headers([cell.strip() for cell in row], [f"{i + 1}" for i in range(len(row))])


def _clean_headers(names: list[str], where: list[str]) -> list[str]:
    """Unnamed columns get a name; a name used twice is refused (which one would count?)."""
    out: list[str] = []
    for i, name in enumerate(names):
        if not name:
            name = f"column_{i + 1}"
        if name == ROW:  # reserved for the row number
            name = f"{ROW}_in_file"
        if name in out:
            raise _refuse(
                "bad_header",
                _('Two columns are both named "%(name)s" (%(first)s and %(second)s). Rename one.')
                % {"name": name, "first": where[out.index(name)], "second": where[i]},
            )
        out.append(name)
    return out


def _first_bad_row(path: Path, separator: str, width: int) -> str:
    """Polars says *that* a file is broken; find *where*, in the user's row numbers."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=separator, strict=True)
        try:
            for row in reader:
                if len(row) > width:
                    return _("row %(row)s has %(n)s fields but the header has %(width)s") % {
                        "row": reader.line_num,
                        "n": len(row),
                        "width": width,
                    }
        except csv.Error as exc:
            return _("row %(row)s: %(error)s") % {"row": reader.line_num, "error": exc}
    return ""


def _read_csv(path: Path) -> Table:
    encoding = _detect_encoding(path)
    utf8 = path if encoding in ("utf-8", "utf-8-sig") else _to_utf8(path, encoding)
    try:
        with open(utf8, encoding="utf-8-sig", newline="") as fh:
            separator = _sniff_separator(fh.readline())
        headers = _header(utf8, separator)
        try:
            frame = pl.read_csv(
                utf8,
                separator=separator,
                has_header=True,
                infer_schema=False,
                empty_string_is_null=True,
                raise_if_empty=False,
                truncate_ragged_lines=False,
                quote_char='"',
            )
        except (pl.exceptions.PolarsError, OSError) as exc:
            where = _first_bad_row(utf8, separator, len(headers))
            raise _refuse(
                "bad_csv",
                _(
                    "The file is not valid CSV (%(where)s). Check quotes and separators, or save "
                    "it again from Excel."
                )
                % {"where": where or str(exc).splitlines()[0]},
            ) from None
    finally:
        if utf8 != path:
            utf8.unlink(missing_ok=True)
    frame.columns = headers
    frame = frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
    frame = _drop_empty_rows(frame, headers)
    return Table(frame=frame, columns=headers, encoding=encoding)


def _drop_empty_rows(frame: pl.DataFrame, headers: list[str]) -> pl.DataFrame:
    if not headers or frame.is_empty():
        return frame
    frame = frame.with_columns(
        [pl.col(h).str.strip_chars().replace("", None).alias(h) for h in headers]
    )
    return frame.filter(~pl.all_horizontal([pl.col(h).is_null() for h in headers]))


# --- Excel ------------------------------------------------------------------------------------
def cell_name(row: int, col: int) -> str:
    """0-based (row, col) → "B3"."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def _cell_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.15g}"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip() or None


def _read_excel(path: Path) -> Table:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        sheet = book.get_sheet_by_index(0)
        rows = [list(r) for r in sheet.to_python(skip_empty_area=False)]
        merged = list(sheet.merged_cell_ranges or [])
    except Exception as exc:  # calamine raises its own error types for every kind of damage
        raise _refuse(
            "bad_excel",
            _(
                "The Excel file cannot be read (%(error)s). Open it in "
                "Excel and save it again as .xlsx."
            )
            % {"error": exc},
        ) from None
    while rows and not any(_cell_text(v) for v in rows[-1]):
        rows.pop()
    if not rows:
        raise _refuse(
            "empty_file", _("The sheet is empty: the first row must hold the column names.")
        )
    width = max(len(r) for r in rows)
    grid: list[list[str | None]] = [
        [_cell_text(v) for v in r] + [None] * (width - len(r)) for r in rows
    ]
    warnings: list[str] = []
    header_rows = _header_rows(merged, grid)
    # A merged cell holds its value in the top-left corner only: copy it over the range.
    filled = 0
    for (r0, c0), (r1, c1) in merged:
        value = grid[r0][c0] if r0 < len(grid) and c0 < width else None
        for r in range(r0, min(r1, len(grid) - 1) + 1):
            for c in range(c0, min(c1, width - 1) + 1):
                if (r, c) != (r0, c0):
                    grid[r][c] = value
                    filled += r >= header_rows
    if filled:
        warnings.append(
            _(
                "%(n)s merged cells below the header were filled with the value of "
                "their merged range."
            )
            % {"n": filled}
        )
    names = []
    for c in range(width):
        parts: list[str] = []
        for r in range(header_rows):
            text = grid[r][c]
            if text and text not in parts:
                parts.append(text)
        names.append("/".join(parts))
    _check_merged_header_names(names, merged, header_rows)
    headers = _clean_headers(names, [cell_name(0, c) for c in range(width)])
    body = grid[header_rows:]
    frame = pl.DataFrame(
        {h: [r[c] for r in body] for c, h in enumerate(headers)},
        schema=dict.fromkeys(headers, pl.Utf8),
    ).with_columns(
        pl.Series(ROW, range(header_rows + 1, header_rows + 1 + len(body)), dtype=pl.Int64)
    )
    frame = _drop_empty_rows(frame, headers)
    return Table(frame=frame, columns=headers, encoding="xlsx", warnings=warnings)


def _header_rows(merged: list[Any], grid: list[list[str | None]]) -> int:
    """One header row, or two when the first row groups columns under merged titles
    (工号 merged A1:A2, 抖音数据 merged C1:E1 over 播放 / 订单 / 浏览 in row 2). A second row
    counts as sub-titles only if its cells sit under merged titles (or their first-row cell is
    merged downwards); otherwise it is data and the merged titles are refused by name."""
    rows = 1
    groups = [(c0, c1) for (r0, c0), (_r1, c1) in merged if r0 == 0 and c1 > c0]
    for (r0, _c0), (r1, _c1) in merged:
        if r0 == 0:
            rows = max(rows, r1 + 1)
    if groups and rows == 1 and len(grid) > 1:
        under = all(
            any(c0 <= c <= c1 for c0, c1 in groups)
            for c, value in enumerate(grid[1])
            if value is not None
        )
        rows = 2 if under else 1
    return min(rows, 3, len(grid))


def _check_merged_header_names(names: list[str], merged: list[Any], header_rows: int) -> None:
    seen: dict[str, int] = {}
    for c, name in enumerate(names):
        if name in seen or not name:
            for (r0, c0), (r1, c1) in merged:
                if r0 < header_rows and c0 <= c <= c1:
                    cells = f"{cell_name(r0, c0)}:{cell_name(r1, c1)}"
                    raise _refuse(
                        "bad_header",
                        _(
                            "The header cells %(cells)s are merged, so their columns have no names "
                            "of their own. Unmerge them, or put a name for each column in the row "
                            "below."
                        )
                        % {"cells": cells},
                    )
        seen[name] = c


# --- pushed records ---------------------------------------------------------------------------
def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = str(value).strip()
    return text or None


def table_from_records(records: list[dict[str, Any]]) -> Table:
    """Pushed JSON rows as a table; ``_row`` is the 1-based position in the list."""
    columns: list[str] = []
    for record in records:
        for key in record:
            if key not in columns and key != ROW:
                columns.append(str(key))
    data = {c: [_text(r.get(c)) for r in records] for c in columns}
    frame = pl.DataFrame(data, schema=dict.fromkeys(columns, pl.Utf8)).with_columns(
        pl.Series(ROW, range(1, len(records) + 1), dtype=pl.Int64)
    )
    return Table(frame=frame, columns=columns, encoding="json")


def frame_to_csv_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()
