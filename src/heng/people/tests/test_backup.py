"""Backup → restore round trips lose nothing (same engine, and SQLite → PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from heng.core.backup import BackupError, _rows, backup_models, read_manifest, restore
from heng.core.models import AuditEvent
from heng.people.models import Contract, Employee
from heng.people.services import contract_create, employee_create, employee_update

ID = "11010519491231002X"


def _everything() -> dict[str, list[bytes]]:
    return {m._meta.label_lower: list(_rows(m, "default")) for m in backup_models()}


@pytest.fixture
def filled(world: Any) -> Any:
    employee_update(
        employee=world.people["gz1"],
        id_card_number=ID,
        phone="13812345678",
        actor=world.users["hr"],
    )
    contract_create(
        employee=world.people["gz1"],
        contract_type="fixed",
        start_date=dt.date(2024, 1, 1),
        end_date=dt.date(2026, 12, 31),
        salary_items=[{"item": "base", "amount": 6000}],
    )
    return world


def test_backup_then_restore_gives_back_every_row(filled: Any, tmp_path: Path) -> None:
    # Given a database with people, encrypted values, history and audit rows
    before = _everything()
    assert sum(len(v) for v in before.values()) > 100
    path = tmp_path / "heng.zip"
    out = StringIO()
    call_command("backup", str(path), stdout=out, verbosity=0)
    assert "checksums verified" in out.getvalue()
    # The backup holds ciphertext only
    import zipfile

    with zipfile.ZipFile(path) as archive:
        people = archive.read("data/people.employee.jsonl").decode()
    assert ID not in people
    assert '"id_card_number":"enc1:k1:' in people
    # When everything is wiped and restored from the file
    Employee.objects.filter(employee_no="T001").update(name="篡改")
    result = restore(path, force=True)
    # Then every table has the same rows and checksums as at backup time
    assert all(c.same for c in result), [c for c in result if not c.same]
    assert _everything() == before
    gz1 = Employee.objects.get(employee_no="T001")
    assert (gz1.name, gz1.id_card_number, gz1.phone) == ("广州甲", ID, "13812345678")
    assert Contract.objects.get(employee=gz1).salary_items == [
        {"item": "base", "amount": "6000.00"}
    ]
    # ...and the database keeps working: new rows get fresh ids
    new = employee_create(
        employee_no="N1", name="新人", unit=filled.units["SBJ"], hire_date=dt.date(2025, 1, 1)
    )
    assert new.pk > max(e.pk for e in Employee.objects.exclude(pk=new.pk))


def test_restore_refuses_a_database_that_is_not_empty(filled: Any, tmp_path: Path) -> None:
    path = tmp_path / "heng.zip"
    call_command("backup", str(path), stdout=StringIO(), verbosity=0)
    events = AuditEvent.objects.count()
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(path), stdout=StringIO(), verbosity=0)
    assert AuditEvent.objects.count() == events


def test_a_damaged_backup_is_refused_before_anything_is_touched(
    filled: Any, tmp_path: Path
) -> None:
    import zipfile

    path = tmp_path / "heng.zip"
    call_command("backup", str(path), stdout=StringIO(), verbosity=0)
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "data/people.employee.jsonl":
                data = data.replace("广州甲".encode(), "广州丙".encode())
            target.writestr(item, data)
    with pytest.raises(BackupError, match=r"people\.employee"):
        restore(damaged, force=True)
    assert Employee.objects.filter(name="广州甲").exists()


def test_verify_only_reports_a_difference(filled: Any, tmp_path: Path) -> None:
    path = tmp_path / "heng.zip"
    call_command("backup", str(path), stdout=StringIO(), verbosity=0)
    call_command("restore", str(path), "--verify-only", stdout=StringIO(), verbosity=0)
    Employee.objects.filter(employee_no="T002").update(name="改名")
    out = StringIO()
    with pytest.raises(CommandError, match="differ"):
        call_command("restore", str(path), "--verify-only", stdout=out, verbosity=0)
    assert "people.employee" in out.getvalue()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_sqlite_backup_restores_into_postgresql(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL as the target (run the suite with DATABASE_URL=postgres…)")
    # Given the demo company built in a fresh SQLite database and backed up from there
    sqlite = tmp_path / "source.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{sqlite}", "HENG_VAR_DIR": str(tmp_path)}
    heng = [sys.executable, "-m", "heng"]
    for command in (
        ["migrate", "-v0"],
        ["demo", "--employees", "60"],
        ["backup", str(tmp_path / "demo.zip"), "-v0"],
    ):
        subprocess.run([*heng, *command], env=env, check=True, capture_output=True, timeout=600)
    manifest = read_manifest(tmp_path / "demo.zip")
    assert manifest["engine"] == "sqlite"
    # When it is restored into PostgreSQL
    result = restore(tmp_path / "demo.zip", force=True)
    # Then every table matches and the encrypted values decrypt here
    assert all(c.same for c in result), [c for c in result if not c.same]
    assert Employee.objects.count() == manifest["tables"]["people.employee"]["rows"] > 50
    assert all(len(e.id_card_number) == 18 for e in Employee.objects.all())
