"""The import templates: which columns each kind has, in Chinese and English.

A header cell may be the Chinese label, the English key, or both as in the downloadable
template (``员工编号 employee_no``); matching ignores case and spaces.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _

from heng.people.errors import ImportFileInvalid


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool = False
    example: str = ""


KINDS: dict[str, list[Column]] = {
    "units": [
        Column("code", "单位编码", True, "S-GZ2"),
        Column("name", "单位名称", True, "广州天河店"),
        Column("kind", "类型", True, "store"),
        Column("parent_code", "上级单位编码", False, "B-GZ"),
        Column("name_en", "英文名称", False, "Guangzhou Tianhe Store"),
        Column("partner_org", "合作方", False, ""),
    ],
    "employees": [
        Column("employee_no", "员工编号", True, "E900001"),
        Column("name", "姓名", True, "张伟"),
        Column("unit_code", "单位编码", True, "S-GZ1"),
        Column("hire_date", "入职日期", True, "2023-03-01"),
        Column("position_code", "岗位编码", False, "store_sales"),
        Column("gender", "性别", False, "男"),
        Column("birth_date", "出生日期", False, "1995-06-18"),
        Column("id_card_number", "身份证号", False, "11010519491231002X"),
        Column("phone", "手机", False, "13800000000"),
        Column("bank_account", "银行账号", False, ""),
        Column("email", "邮箱", False, ""),
        Column("leave_date", "离职日期", False, ""),
    ],
    "assignments": [
        Column("employee_no", "员工编号", True, "E900001"),
        Column("start_date", "开始日期", True, "2024-07-01"),
        Column("end_date", "结束日期", False, ""),
        Column("home_unit_code", "所属单位编码", False, "S-SZ1"),
        Column("working_unit_code", "工作单位编码", False, ""),
        Column("position_code", "岗位编码", False, ""),
        Column("reason", "变动原因", True, "transfer"),
        Column("note", "备注", False, "调岗：广州→深圳"),
    ],
    "contracts": [
        Column("employee_no", "员工编号", True, "E900001"),
        Column("contract_type", "合同类型", True, "fixed"),
        Column("start_date", "开始日期", True, "2023-03-01"),
        Column("end_date", "结束日期", False, "2026-02-28"),
        Column("position_code", "岗位编码", False, "store_sales"),
        Column("duties", "岗位职责", False, ""),
        Column("salary_items", "薪资结构", False, "base=6000;allowance=800"),
    ],
}


def _norm(value: str) -> str:
    return "".join(value.split()).lower()


def header_map(kind: str, headers: list[str]) -> dict[str, int]:
    """{column key: index in the file}; refuses files that lack a required column."""
    columns = KINDS[kind]
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        h = _norm(header)
        for column in columns:
            if h in {_norm(column.key), _norm(column.label), _norm(f"{column.label}{column.key}")}:
                found.setdefault(column.key, index)
    missing = [c for c in columns if c.required and c.key not in found]
    if missing:
        raise ImportFileInvalid(
            _("Required columns are missing: %(cols)s.")
            % {"cols": ", ".join(f"{c.label} ({c.key})" for c in missing)},
            fields={c.key: _("Missing column.") for c in missing},
        )
    return found


def template_headers(kind: str) -> list[str]:
    return [f"{c.label} {c.key}" for c in KINDS[kind]]


def template_csv(kind: str) -> bytes:
    """UTF-8 with BOM, so Excel on Chinese Windows opens it correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(template_headers(kind))
    return b"\xef\xbb\xbf" + out.getvalue().encode()


def template_xlsx(kind: str) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(kind)
    bold = book.add_format({"bold": True, "bg_color": "#EEF2F7"})
    text = book.add_format({"num_format": "@"})  # codes and ID numbers stay text
    for col, column in enumerate(KINDS[kind]):
        sheet.write_string(0, col, f"{column.label} {column.key}", bold)
        sheet.set_column(col, col, 18, text)
    # Examples live on a second sheet: only the first sheet is imported.
    notes = book.add_worksheet("说明 notes")
    for col, title in enumerate(("column", "列", "required 必填", "example 示例")):
        notes.write_string(0, col, title, bold)
    for row, column in enumerate(KINDS[kind], start=1):
        notes.write_string(row, 0, column.key)
        notes.write_string(row, 1, column.label)
        notes.write_string(row, 2, "✓" if column.required else "")
        notes.write_string(row, 3, column.example)
    book.close()
    return buffer.getvalue()
