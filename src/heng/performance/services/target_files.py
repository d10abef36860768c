"""Reading target files (CSV or XLSX) into rows for :func:`targets_bulk_set`: one row per
participant × indicator, and per unreadable line the reason, so a dry run reports them all."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from heng.performance.cycle_errors import TargetInvalid


@dataclass(frozen=True)
class TargetRow:
    employee_no: str
    indicator: str
    method: str
    numbers: dict[str, Decimal | None]
    line: int = 0  # line of the file (header = 1); 0 when not read from a file


COLUMNS = (
    "employee_no",
    "indicator",
    "method",
    "value",
    "unit_target",
    "share",
    "growth",
    "benchmark",
    "factor",
)
NUMBER_COLUMNS = COLUMNS[3:]


@dataclass
class TargetFile:
    """A read file: the rows that could be read and, per line, why the others could not."""

    rows: list[TargetRow]
    problems: dict[int, str] = field(default_factory=dict)


def _cell(value: Any) -> str:
    """A spreadsheet cell as text: whole numbers without ".0" (employee numbers, counts)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _number(text: str) -> Decimal | None:
    text = text.replace(",", "").replace("，", "").replace(" ", "").removesuffix("%")
    if not text:
        return None
    number = Decimal(text)  # InvalidOperation for text
    if not number.is_finite():
        raise InvalidOperation(text)
    return number


def read_target_file(data: bytes, filename: str) -> TargetFile:
    """CSV or XLSX with the columns of :data:`COLUMNS` (header row first, extra columns are
    ignored). Unreadable lines are reported by line number instead of stopping the read."""
    if filename.lower().endswith((".xlsx", ".xls")):
        from python_calamine import CalamineWorkbook

        try:
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
            table = [[_cell(c) for c in row] for row in sheet.to_python()]
        except Exception:  # calamine raises its own types for broken files
            raise TargetInvalid(
                _("The file is not a readable spreadsheet."), code="file_unreadable"
            ) from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise TargetInvalid(_("The file is not UTF-8 text."), code="file_unreadable") from None
        table = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    while table and not any(table[0]):
        table.pop(0)
    if not table:
        raise TargetInvalid(_("The file is empty."), code="empty_file")
    header = [h.strip().lower() for h in table[0]]
    missing = [c for c in COLUMNS[:3] if c not in header]
    if missing:
        raise TargetInvalid(
            _("Missing columns: %(c)s") % {"c": ", ".join(missing)}, code="columns_missing"
        )
    out = TargetFile(rows=[])
    for n, raw in enumerate(table[1:], start=2):
        rec = dict(zip(header, raw, strict=False))
        if not any(rec.values()):
            continue
        numbers: dict[str, Decimal | None] = {}
        bad = []
        for col in NUMBER_COLUMNS:
            try:
                numbers[col] = _number(rec.get(col, ""))
            except InvalidOperation:
                bad.append(col)
        no, indicator = rec.get("employee_no", ""), rec.get("indicator", "")
        method = rec.get("method", "").lower()
        if not (no and indicator and method):
            out.problems[n] = _("employee_no, indicator and method are required")
        elif bad:
            out.problems[n] = _("%(col)s is not a number") % {"col": ", ".join(bad)}
        else:
            out.rows.append(TargetRow(no, indicator, method, numbers, line=n))
    return out


def parse_target_file(data: bytes, filename: str) -> list[TargetRow]:
    """The rows of a target file; refused as a whole when any line cannot be read."""
    read = read_target_file(data, filename)
    if read.problems:
        fields = {f"line {n}": reason for n, reason in sorted(read.problems.items())}
        raise TargetInvalid(next(iter(fields.values())), code="file_invalid", fields=fields)
    return read.rows
