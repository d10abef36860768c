"""Key rotation: every row stays readable under old and new keys; the job moves all to the new."""

from __future__ import annotations

import base64
import datetime as dt
import json
from io import StringIO
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.management import call_command
from django.db import connection

from heng.conftest import TEST_FIELD_KEYS
from heng.core import crypto
from heng.core.models import AuditEvent
from heng.people.models import Contract, Employee
from heng.people.services import contract_create, employee_update

ID = "11010519491231002X"


def _raw(sql: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())


@pytest.fixture
def two_keys(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Switch the ring to {k1, k2} with k2 active, as an operator would before rotating."""

    def activate(keys: dict[str, str], active: str) -> None:
        monkeypatch.setenv("HENG_FIELD_KEYS", json.dumps(keys))
        monkeypatch.setenv("HENG_FIELD_ACTIVE_KEY", active)
        crypto.reset_keyring()

    yield activate
    monkeypatch.undo()
    crypto.reset_keyring()


def test_rotation_moves_every_value_to_the_new_key(world: Any, two_keys: Any) -> None:
    # Given values under k1 in the live and history tables
    gz1 = employee_update(employee=world.people["gz1"], id_card_number=ID, phone="13812345678")
    contract_create(
        employee=gz1,
        contract_type="open",
        start_date=dt.date(2024, 1, 1),
        salary_items=[{"item": "base", "amount": 7000}],
    )
    # When k2 becomes active: old rows still read, new writes use k2
    two_keys({"k1": TEST_FIELD_KEYS["k1"], "k2": TEST_FIELD_KEYS["k2"]}, "k2")
    assert Employee.objects.get(pk=gz1.pk).id_card_number == ID
    employee_update(employee=world.people["gz2"], phone="13700000000")
    mixed = {
        v.split(":")[1] for (v,) in _raw("SELECT phone FROM people_employee WHERE phone <> ''")
    }
    assert mixed == {"k1", "k2"}
    # ...and the rotation job runs
    out = StringIO()
    call_command("rotate-keys", "--batch-size", "2", stdout=out, verbosity=0)
    # Then nothing is under k1 any more, in any encrypted column (history included)
    columns = [
        ("people_employee", "id_card_number"),
        ("people_employee", "phone"),
        ("people_historicalemployee", "id_card_number"),
        ("people_historicalemployee", "phone"),
        ("people_contract", "salary_items"),
        ("people_historicalcontract", "salary_items"),
    ]
    for table, column in columns:
        keys = {
            v.split(":")[1] for (v,) in _raw(f"SELECT {column} FROM {table} WHERE {column} <> ''")
        }
        assert keys == {"k2"}, (table, column)
    assert "keys no longer used by any row: k1" in out.getvalue()
    # ...the blind index did not change (it has its own key), so lookups still work
    assert Employee.objects.get(id_card_hash=crypto.blind_index(ID)).pk == gz1.pk
    # ...and with k1 removed from the ring every value still decrypts
    two_keys({"k2": TEST_FIELD_KEYS["k2"]}, "k2")
    assert Employee.objects.get(pk=gz1.pk).phone == "13812345678"
    assert Contract.objects.get(employee=gz1).salary_items == [
        {"amount": "7000.00", "item": "base"}
    ]
    assert AuditEvent.objects.filter(action="keys.rotate", target_id="k2").count() == 1


def test_rotation_is_a_no_op_when_everything_is_current(world: Any) -> None:
    employee_update(employee=world.people["gz1"], phone="13812345678")
    before = _raw("SELECT id, phone FROM people_employee ORDER BY id")
    out = StringIO()
    call_command("rotate-keys", stdout=out, verbosity=0)
    assert _raw("SELECT id, phone FROM people_employee ORDER BY id") == before
    assert "people.employee: 0 rows re-encrypted" in out.getvalue()


def test_key_ring_accepts_the_compact_environment_format(
    two_keys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HENG_FIELD_KEYS", f"k1:{TEST_FIELD_KEYS['k1']},k2:{TEST_FIELD_KEYS['k2']}")
    monkeypatch.delenv("HENG_FIELD_ACTIVE_KEY")
    crypto.reset_keyring()
    ring = crypto.keyring()
    assert (sorted(ring.keys), ring.active) == (["k1", "k2"], "k2")  # last listed is active


def test_a_key_file_is_read_and_new_keys_are_picked_up(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "keys.json"
    crypto.write_key_file(
        path,
        {"active": "k1", "keys": {"k1": TEST_FIELD_KEYS["k1"]}, "index_key": TEST_FIELD_KEYS["k2"]},
    )
    monkeypatch.delenv("HENG_FIELD_KEYS")
    monkeypatch.delenv("HENG_FIELD_ACTIVE_KEY")
    monkeypatch.setenv("HENG_FIELD_KEY_FILE", str(path))
    crypto.reset_keyring()
    try:
        token = crypto.encrypt("秘密", "x.y.z")
        assert crypto.key_id_of(token) == "k1"
        # Another process adds k2 (rotate-keys --add-key): an unknown key id triggers a reload.
        crypto.write_key_file(
            path,
            {
                "active": "k2",
                "keys": {"k1": TEST_FIELD_KEYS["k1"], "k2": TEST_FIELD_KEYS["k2"]},
                "index_key": TEST_FIELD_KEYS["k2"],
            },
        )
        nonce = b"\0" * 12
        sealed = AESGCM(base64.b64decode(TEST_FIELD_KEYS["k2"])).encrypt(nonce, b"hi", b"x.y.z")
        foreign = "enc1:k2:" + base64.b64encode(nonce + sealed).decode()
        assert crypto.decrypt(foreign, "x.y.z") == "hi"
        assert crypto.decrypt(token, "x.y.z") == "秘密"
    finally:
        monkeypatch.undo()
        crypto.reset_keyring()


def test_missing_key_file_named_explicitly_is_an_error(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.delenv("HENG_FIELD_KEYS")
    monkeypatch.setenv("HENG_FIELD_KEY_FILE", str(tmp_path / "absent.json"))
    crypto.reset_keyring()
    try:
        with pytest.raises(ImproperlyConfigured):
            crypto.encrypt("x", "a.b.c")
    finally:
        monkeypatch.undo()
        crypto.reset_keyring()
