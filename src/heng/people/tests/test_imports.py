"""A8: bulk import with a report of every bad row, all-or-nothing, idempotent."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from typing import Any

import pytest

from heng.core.models import AuditEvent
from heng.org.models import OrgUnit
from heng.people.imports import run_import, template_csv, template_xlsx
from heng.people.imports.spec import template_headers
from heng.people.models import Assignment, Contract, Employee
from heng.people.validators import id_card_with_checksum

HEAD = template_headers("employees")


def _id(i: int) -> str:
    return id_card_with_checksum(f"1101051990{i:07d}")


def _bad_checksum(i: int) -> str:
    good = _id(i)
    return good[:17] + ("0" if good[17] != "0" else "1")


def _csv(rows: list[list[Any]], header: list[str] = HEAD, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _row(i: int, unit: str = "SGZ", **over: Any) -> list[Any]:
    values = {
        "employee_no": f"M{i:05d}",
        "name": f"员工{i}",
        "unit_code": unit,
        "hire_date": "2023-03-01",
        "position_code": "sales",
        "gender": "女",
        "birth_date": "1995-06-18",
        "id_card_number": _id(i),
        "phone": "13800000000",
        "bank_account": "",
        "email": "",
        "leave_date": "",
    } | over
    return [values[h.split()[-1]] for h in HEAD]


def test_ten_thousand_rows_with_fifty_bad_ones_report_exactly_those_and_commit_nothing(
    world: Any,
) -> None:
    # Given 10,000 rows of which exactly 50 are bad, each for one reason:
    rows = [_row(i, unit=("SGZ", "SFS", "SBJ")[i % 3]) for i in range(10_000)]
    bad: dict[int, str] = {}
    for k in range(15):  # duplicate employee number (repeats an earlier row's number)
        i = 1000 + k * 7
        rows[i][0] = f"M{k:05d}"
        bad[i] = "employee_no"
    for k in range(15):  # unknown unit
        i = 3000 + k * 11
        rows[i][2] = "S-NOWHERE"
        bad[i] = "unit_code"
    for k in range(10):  # malformed ID-card number: wrong check digit
        i = 6000 + k * 13
        rows[i][7] = _bad_checksum(i)
        bad[i] = "id_card_number"
    for k in range(10):  # end before start: left before being hired
        i = 8000 + k * 17
        rows[i][11] = "2022-12-31"
        bad[i] = "leave_date"
    data = _csv(rows, encoding="gbk")
    people_before, audit_before = Employee.objects.count(), AuditEvent.objects.count()
    # When the file is imported (not a dry run)
    started = time.perf_counter()
    report = run_import(
        kind="employees", data=data, filename="员工.csv", actor=world.users["hr"], commit=True
    )
    elapsed = time.perf_counter() - started
    # Then exactly those 50 rows are reported, each with its reason, and nothing is written
    assert report.total_rows == 10_000
    assert report.encoding == "gbk"
    assert report.bad_rows == 50
    assert {(e.line - 2, e.column) for e in report.errors} == set(bad.items())
    assert not report.committed
    assert (Employee.objects.count(), AuditEvent.objects.count()) == (people_before, audit_before)
    by_line = {e.line - 2: e for e in report.errors}
    assert by_line[1000].reason == "Duplicate employee number (also on line 2)."
    assert by_line[8000].reason.startswith("End before start")
    assert "*" in by_line[6000].value  # ID numbers are masked even in the report
    assert elapsed < 60, elapsed


def test_a_clean_file_commits_all_and_a_second_run_changes_nothing(world: Any) -> None:
    data = _csv([_row(i) for i in range(300)])
    first = run_import(
        kind="employees", data=data, filename="a.csv", actor=world.users["hr"], commit=True
    )
    assert (first.committed, first.to_create, first.bad_rows) == (True, 300, 0)
    imported = Employee.objects.get(employee_no="M00007")
    assert (imported.unit.code, imported.gender, imported.id_card_number) == ("SGZ", "F", _id(7))
    assert imported.assignments.get().reason == "hire"
    counts = (
        Employee.objects.count(),
        Assignment.objects.count(),
        AuditEvent.objects.count(),
        Employee.history.count(),
    )
    again = run_import(
        kind="employees", data=data, filename="a.csv", actor=world.users["hr"], commit=True
    )
    assert (again.unchanged, again.to_create, again.to_update, again.committed) == (
        300,
        0,
        0,
        False,
    )
    assert counts == (
        Employee.objects.count(),
        Assignment.objects.count(),
        AuditEvent.objects.count(),
        Employee.history.count(),
    )


def test_a_changed_value_updates_the_efile_and_a_moved_person_is_refused(world: Any) -> None:
    run_import(
        kind="employees",
        data=_csv([_row(1), _row(2)]),
        filename="a.csv",
        actor=world.users["hr"],
        commit=True,
    )
    changed = _csv([_row(1, phone="13911112222"), _row(2, unit="SBJ")])
    report = run_import(
        kind="employees", data=changed, filename="b.csv", actor=world.users["hr"], commit=True
    )
    assert [(e.line, e.column) for e in report.errors] == [(3, "unit_code")]
    assert Employee.objects.get(employee_no="M00001").phone == "13800000000"  # all or nothing
    fixed = run_import(
        kind="employees",
        data=_csv([_row(1, phone="13911112222"), _row(2)]),
        filename="c.csv",
        actor=world.users["hr"],
        commit=True,
    )
    assert (fixed.to_update, fixed.unchanged) == (1, 1)
    assert Employee.objects.get(employee_no="M00001").phone == "13911112222"


def test_dry_run_writes_nothing(world: Any) -> None:
    report = run_import(
        kind="employees",
        data=_csv([_row(1)]),
        filename="a.csv",
        actor=world.users["hr"],
        commit=False,
    )
    assert (report.to_create, report.committed) == (1, False)
    assert not Employee.objects.filter(employee_no="M00001").exists()


def test_id_numbers_already_on_file_or_repeated_are_bad_rows(world: Any) -> None:
    from heng.people.services import employee_update

    employee_update(employee=world.people["gz2"], id_card_number=_id(5))
    report = run_import(
        kind="employees",
        data=_csv([_row(5), _row(6, id_card_number=_id(6)), _row(7, id_card_number=_id(6))]),
        filename="a.csv",
        actor=world.users["hr"],
        commit=True,
    )
    assert [(e.line, e.column) for e in report.errors] == [
        (2, "id_card_number"),
        (4, "id_card_number"),
    ]
    assert "T002" in report.errors[0].reason


def test_regional_hr_imports_only_into_the_region(world: Any) -> None:
    report = run_import(
        kind="employees",
        data=_csv([_row(1, unit="SFS"), _row(2, unit="SBJ")]),
        filename="a.csv",
        actor=world.users["hr_south"],
        commit=True,
        scope_paths=(OrgUnit.objects.get(code="RS").path,),
    )
    assert [(e.line, e.reason) for e in report.errors] == [(3, "This unit is outside your scope.")]


def test_excel_files_are_read_too(world: Any) -> None:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    for col, header in enumerate(HEAD):
        sheet.write(0, col, header)
    sheet.write_row(1, 0, _row(1)[:3])
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_datetime(1, 3, dt.datetime(2023, 3, 1), date_format)  # a real Excel date cell
    sheet.write_row(1, 4, _row(1)[4:])
    book.close()
    report = run_import(
        kind="employees",
        data=buffer.getvalue(),
        filename="x.xlsx",
        actor=world.users["hr"],
        commit=True,
    )
    assert (report.committed, report.encoding) == (True, "xlsx")
    assert Employee.objects.get(employee_no="M00001").hire_date == dt.date(2023, 3, 1)


def test_missing_required_columns_are_named(world: Any) -> None:
    from heng.people.errors import ImportFileInvalid

    with pytest.raises(ImportFileInvalid) as err:
        run_import(
            kind="employees",
            data="姓名,员工编号\n张三,1\n".encode(),
            filename="a.csv",
            actor=world.users["hr"],
            commit=False,
        )
    assert set(err.value.fields) == {"unit_code", "hire_date"}


def test_units_parents_may_come_later_in_the_file(world: Any) -> None:
    header = template_headers("units")
    data = _csv(
        [
            ["S-NEW", "新店", "store", "B-NEW", "", ""],
            ["B-NEW", "新分公司", "branch", "RS", "", ""],
            ["X-BAD", "坏店", "store", "B-NONE", "", ""],
        ],
        header=header,
    )
    report = run_import(
        kind="units", data=data, filename="u.csv", actor=world.users["hr"], commit=True
    )
    assert [(e.line, e.column) for e in report.errors] == [(4, "parent_code")]
    fixed = run_import(
        kind="units",
        data=data.rsplit(b"\n", 2)[0] + b"\n",
        filename="u.csv",
        actor=world.users["hr"],
        commit=True,
    )
    assert fixed.committed
    new = OrgUnit.objects.get(code="S-NEW")
    assert OrgUnit.objects.get_parent(new).code == "B-NEW"
    assert OrgUnit.objects.get_parent(OrgUnit.objects.get(code="B-NEW")).code == "RS"


def test_assignment_history_and_contracts_import(world: Any) -> None:
    assignments = _csv(
        [
            ["T003", "2024-07-01", "", "SGZ", "", "", "transfer", "佛山→广州"],
            ["T003", "2024-03-01", "", "", "", "", "promotion", ""],
            ["T004", "2024-05-01", "2024-04-01", "", "", "", "transfer", ""],
        ],
        header=template_headers("assignments"),
    )
    bad = run_import(
        kind="assignments", data=assignments, filename="a.csv", actor=world.users["hr"], commit=True
    )
    assert [(e.line, e.column) for e in bad.errors] == [(4, "end_date")]
    good = run_import(
        kind="assignments",
        data=assignments.rsplit(b"\n", 2)[0] + b"\n",
        filename="a.csv",
        actor=world.users["hr"],
        commit=True,
    )
    assert good.committed
    history = list(
        Assignment.objects.filter(employee=world.people["fs1"]).values_list(
            "start_date", "end_date", "reason"
        )
    )
    assert history == [
        (dt.date(2024, 1, 1), dt.date(2024, 2, 29), "hire"),
        (dt.date(2024, 3, 1), dt.date(2024, 6, 30), "promotion"),
        (dt.date(2024, 7, 1), None, "transfer"),
    ]
    contracts = _csv(
        [
            ["T003", "fixed", "2024-01-01", "2026-12-31", "sales", "", "base=6000;餐补=300"],
            ["T004", "fixed", "2024-01-01", "", "", "", ""],
        ],
        header=template_headers("contracts"),
    )
    report = run_import(
        kind="contracts", data=contracts, filename="c.csv", actor=world.users["hr"], commit=True
    )
    assert [(e.line, e.column) for e in report.errors] == [(3, "end_date")]
    ok = run_import(
        kind="contracts",
        data=contracts.rsplit(b"\n", 2)[0] + b"\n",
        filename="c.csv",
        actor=world.users["hr"],
        commit=True,
    )
    assert ok.committed
    assert Contract.objects.get(employee=world.people["fs1"]).salary_items == [
        {"item": "base", "amount": "6000.00"},
        {"item": "餐补", "amount": "300.00"},
    ]
    again = run_import(
        kind="contracts",
        data=contracts.rsplit(b"\n", 2)[0] + b"\n",
        filename="c.csv",
        actor=world.users["hr"],
        commit=True,
    )
    assert (again.unchanged, again.committed) == (1, False)


def test_templates_download_with_both_languages_in_the_header() -> None:
    assert template_csv("employees").startswith(b"\xef\xbb\xbf")
    assert "员工编号 employee_no" in template_csv("employees").decode("utf-8-sig")
    assert template_xlsx("contracts")[:2] == b"PK"


def test_upload_check_then_commit_in_the_browser(world: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.users["hr_south"], backend="django.contrib.auth.backends.ModelBackend")
    upload = SimpleUploadedFile(
        "people.csv", _csv([_row(1, unit="SFS"), _row(2, unit="SBJ")], encoding="gbk")
    )
    checked = client.post("/people/import/", {"kind": "employees", "file": upload})
    assert checked.context["report"].bad_rows == 1
    assert "outside your scope" in checked.content.decode()
    assert "token" not in checked.context  # nothing to commit while a row is bad
    good = SimpleUploadedFile("people.csv", _csv([_row(1, unit="SFS")]))
    checked = client.post("/people/import/", {"kind": "employees", "file": good})
    token = checked.context["token"]
    assert not Employee.objects.filter(employee_no="M00001").exists()  # checked, not imported
    done = client.post("/people/import/", {"kind": "employees", "token": token})
    assert done.context["report"].committed
    assert Employee.objects.get(employee_no="M00001").unit.code == "SFS"
    replay = client.post("/people/import/", {"kind": "employees", "token": token})
    assert replay.status_code == 404  # the checked file is used once


def test_command_line_import_with_dry_run(world: Any, tmp_path: Any) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    path = tmp_path / "people.csv"
    path.write_bytes(_csv([_row(1), _row(2, unit="S-NOWHERE")]))
    out = StringIO()
    with pytest.raises(CommandError, match="1 bad rows"):
        call_command("import", "employees", str(path), "--dry-run", stdout=out, verbosity=0)
    assert "line      3  unit_code" in out.getvalue()
    path.write_bytes(_csv([_row(1)]))
    call_command("import", "employees", str(path), "--dry-run", stdout=StringIO(), verbosity=0)
    assert not Employee.objects.filter(employee_no="M00001").exists()
    call_command("import", "employees", str(path), stdout=StringIO(), verbosity=0)
    assert Employee.objects.filter(employee_no="M00001").exists()
    template = tmp_path / "t.xlsx"
    call_command("import", "contracts", str(template), "--template", stdout=StringIO())
    assert template.read_bytes()[:2] == b"PK"
