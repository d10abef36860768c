"""Reading files: encodings from Chinese Excel, separators, broken CSV, merged Excel headers,
size limits. Every refusal names what to fix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from heng.core.errors import ValidationFailed
from heng.integrations.files import cell_name, read_table, table_from_records

TEXT = "工号,日期,播放量\nE001,2026-01-05,100\nE002,2026/1/6,\n"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_from_chinese_excel_reads_in_every_usual_encoding(
    tmp_path: Path, encoding: str
) -> None:
    table = read_table(write(tmp_path, "a.csv", TEXT.encode(encoding)))
    assert table.columns == ["工号", "日期", "播放量"]
    assert table.frame.select("_row", "工号", "日期", "播放量").rows() == [
        (2, "E001", "2026-01-05", "100"),
        (3, "E002", "2026/1/6", None),
    ]


def test_gbk_is_reported_as_the_encoding_read(tmp_path: Path) -> None:
    assert read_table(write(tmp_path, "a.csv", TEXT.encode("gbk"))).encoding == "gb18030"


def test_semicolon_and_tab_separated_files_are_recognised(tmp_path: Path) -> None:
    for sep in (";", "\t"):
        table = read_table(write(tmp_path, "a.csv", TEXT.replace(",", sep).encode()))
        assert table.columns == ["工号", "日期", "播放量"]


def test_blank_lines_do_not_become_rows_but_row_numbers_stay_true(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "a.csv", b"a,b\n1,2\n,\n3,4\n"))
    assert table.frame.select("_row", "a").rows() == [(2, "1"), (4, "3")]


def test_an_unclosed_quote_is_refused_naming_the_row(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", b'a,b\n1,2\n3,"4\n5,6\n')
    with pytest.raises(ValidationFailed) as caught:
        read_table(path)
    assert caught.value.code == "bad_csv"
    assert "row" in caught.value.message


def test_a_row_with_too_many_fields_is_refused_naming_the_row(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", b"a,b\n1,2\n3,4,5\n")
    with pytest.raises(ValidationFailed) as caught:
        read_table(path)
    # the third line of the file holds 3 fields for a 2-column header
    assert "row 3 has 3 fields but the header has 2" in caught.value.message


def test_a_file_that_is_not_text_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", bytes(range(128, 256)) * 20)
    with pytest.raises(ValidationFailed) as caught:
        read_table(path)
    assert caught.value.code in {"bad_encoding", "bad_csv"}


def test_an_empty_file_and_twice_named_columns_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as caught:
        read_table(write(tmp_path, "a.csv", b""))
    assert caught.value.code == "empty_file"
    with pytest.raises(ValidationFailed) as caught:
        read_table(write(tmp_path, "b.csv", "日期,播放量,日期\n1,2,3\n".encode()))
    assert caught.value.code == "bad_header"
    assert "日期" in caught.value.message


def test_a_2_gb_file_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as fh:  # sparse: 2 GiB on paper, nothing on disk
        fh.truncate(2 * 1024**3)
    with pytest.raises(ValidationFailed) as caught:
        read_table(path)
    assert caught.value.code == "file_too_large"
    assert "2.0 GB" in caught.value.message
    assert "512.0 MB" in caught.value.message


def test_the_size_limit_is_a_setting(tmp_path: Path, settings: Any) -> None:
    settings.HENG_INGEST_MAX_BYTES = 10
    with pytest.raises(ValidationFailed):
        read_table(write(tmp_path, "a.csv", TEXT.encode()))


def _xlsx(tmp_path: Path, build: Any) -> Path:
    path = tmp_path / "a.xlsx"
    book = xlsxwriter.Workbook(str(path))
    build(book, book.add_worksheet())
    book.close()
    return path


def test_excel_cells_become_text_dates_and_whole_numbers(tmp_path: Path) -> None:
    def build(book: Any, ws: Any) -> None:
        ws.write_row(0, 0, ["工号", "日期", "播放量", "完播率"])
        ws.write_number(1, 0, 1001)
        ws.write_datetime(
            1, 1, dt.datetime(2026, 1, 5), book.add_format({"num_format": "yyyy-mm-dd"})
        )
        ws.write_number(1, 2, 1200.0)
        ws.write_number(1, 3, 12.5)

    table = read_table(_xlsx(tmp_path, build))
    assert table.frame.select("_row", "工号", "日期", "播放量", "完播率").rows() == [
        (2, "1001", "2026-01-05", "1200", "12.5")
    ]


def test_excel_two_row_header_with_merged_group_titles_is_flattened(tmp_path: Path) -> None:
    def build(book: Any, ws: Any) -> None:
        ws.merge_range("A1:A2", "工号")
        ws.merge_range("B1:B2", "日期")
        ws.merge_range("C1:D1", "抖音数据")
        ws.write_row(1, 2, ["播放", "订单"])
        ws.write_row(2, 0, ["E001", "2026-01-05", 100, 3])

    table = read_table(_xlsx(tmp_path, build))
    assert table.columns == ["工号", "日期", "抖音数据/播放", "抖音数据/订单"]
    assert table.frame.select("_row", "抖音数据/订单").rows() == [(3, "3")]


def test_excel_merged_header_cells_without_names_below_are_refused_naming_them(
    tmp_path: Path,
) -> None:
    def build(book: Any, ws: Any) -> None:
        ws.write(0, 0, "工号")
        ws.merge_range("B1:C1", "播放")
        ws.write_row(1, 0, ["E001", 1, 2])

    with pytest.raises(ValidationFailed) as caught:
        read_table(_xlsx(tmp_path, build))
    assert caught.value.code == "bad_header"
    assert "B1:C1" in caught.value.message


def test_merged_cells_in_the_body_repeat_their_value(tmp_path: Path) -> None:
    def build(book: Any, ws: Any) -> None:
        ws.write_row(0, 0, ["日期", "工号", "播放"])
        ws.merge_range("A2:A3", "2026-01-05")
        ws.write_row(1, 1, ["E001", 1])
        ws.write_row(2, 1, ["E002", 2])

    table = read_table(_xlsx(tmp_path, build))
    assert table.frame.select("日期", "工号").rows() == [
        ("2026-01-05", "E001"),
        ("2026-01-05", "E002"),
    ]
    assert table.warnings


def test_a_damaged_excel_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "a.xlsx", b"PK\x03\x04 not really a workbook")
    with pytest.raises(ValidationFailed) as caught:
        read_table(path)
    assert caught.value.code == "bad_excel"


def test_cell_names_are_spreadsheet_names() -> None:
    assert [cell_name(0, 0), cell_name(2, 25), cell_name(9, 26)] == ["A1", "Z3", "AA10"]


def test_pushed_records_keep_their_position_as_row_number() -> None:
    table = table_from_records([{"a": 1.0, "b": True}, {"a": None, "c": " x "}])
    assert table.columns == ["a", "b", "c"]
    assert table.frame.rows() == [("1", "1", None, 1), (None, None, "x", 2)]
