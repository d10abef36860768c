"""Reading CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) and Excel files into rows of cells."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from heng.people.errors import ImportFileInvalid

EXCEL = (".xlsx", ".xlsm", ".xls", ".ods")


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]]  # data rows only; row i is line i + 2 in the file
    encoding: str


def decode_csv(data: bytes) -> tuple[str, str]:
    """Text and the encoding that read it. GB18030 is a superset of GBK (what Excel writes
    on Chinese Windows), so GBK files decode with it."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-bom"
        except UnicodeDecodeError:
            raise ImportFileInvalid(_("The file says UTF-8 but is not.")) from None
    for encoding, label in (("utf-8", "utf-8"), ("gb18030", "gbk")):
        try:
            return data.decode(encoding), label
        except UnicodeDecodeError:
            continue
    raise ImportFileInvalid(_("The file is neither UTF-8 nor GBK text."))


def read_table(data: bytes, filename: str) -> Table:
    name = filename.lower()
    if name.endswith(EXCEL):
        from python_calamine import CalamineWorkbook

        try:
            book = CalamineWorkbook.from_filelike(io.BytesIO(data))
            cells = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
        except Exception as exc:  # calamine raises its own error types for broken files
            raise ImportFileInvalid(_("The Excel file cannot be read: %(e)s") % {"e": exc}) from exc
        encoding = "xlsx"
    elif name.endswith((".csv", ".txt")):
        text, encoding = decode_csv(data)
        cells = [list(row) for row in csv.reader(io.StringIO(text))]
    else:
        raise ImportFileInvalid(_("Upload a .csv or .xlsx file."))
    cells = [row for row in cells if any(str(c).strip() for c in row if c is not None)]
    if not cells:
        raise ImportFileInvalid(_("The file is empty."))
    headers = [str(h).strip() for h in cells[0]]
    width = len(headers)
    rows = [(list(r) + [""] * width)[:width] for r in cells[1:]]
    return Table(headers=headers, rows=rows, encoding=encoding)


def text(value: Any) -> str:
    """A cell as text; Excel's 1001.0 for a number-typed code becomes "1001"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value).strip()


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


def date(value: Any) -> dt.date | None:
    """A cell as a date; None for empty. Raises ValueError for anything unreadable."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and 20_000 <= value <= 80_000:
        # An Excel serial day number (a date cell without a date format): 1899-12-30 + n.
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
    raw = text(value)
    if not raw:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValueError(raw)
