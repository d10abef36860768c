"""A7: sensitive values are ciphertext in the database, masked on screen, revealed with audit."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from heng.conftest import TEST_FIELD_KEYS
from heng.core import crypto
from heng.core.crypto import DecryptionError
from heng.core.models import AuditEvent
from heng.people.errors import EmployeeInvalid
from heng.people.models import Employee
from heng.people.services import contract_create, employee_create, employee_update

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
ID = "11010519491231002X"


def _as(user: Any) -> Client:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def _raw(sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


@pytest.fixture
def gz1(world: Any) -> Employee:
    return employee_update(
        employee=world.people["gz1"],
        id_card_number=ID,
        phone="13812345678",
        bank_account="6222020200112233445",
    )


def test_sensitive_columns_hold_ciphertext_not_the_value(gz1: Employee) -> None:
    ((id_card, phone, bank, digest),) = _raw(
        "SELECT id_card_number, phone, bank_account, id_card_hash FROM people_employee "
        "WHERE id = %s",
        gz1.pk,
    )
    for stored, plain in ((id_card, ID), (phone, "13812345678"), (bank, "6222020200112233445")):
        assert stored.startswith("enc1:k1:")
        assert plain not in stored
    assert len(digest) == 64
    assert ID not in digest
    # The history table (simple-history) is encrypted too.
    history = _raw(
        "SELECT id_card_number FROM people_historicalemployee WHERE id = %s AND id_card_number "
        "<> ''",
        gz1.pk,
    )
    assert history
    assert all(v.startswith("enc1:k1:") for (v,) in history)
    # ...and the model reads the value back.
    assert Employee.objects.get(pk=gz1.pk).id_card_number == ID


def test_two_encryptions_of_one_value_differ(gz1: Employee) -> None:
    # A fresh nonce every time: equal ID numbers are not visible as equal ciphertexts.
    assert crypto.encrypt(ID, "people.employee.id_card_number") != crypto.encrypt(
        ID, "people.employee.id_card_number"
    )


def test_ciphertext_moved_to_another_column_does_not_decrypt(gz1: Employee) -> None:
    (stored,) = _raw("SELECT id_card_number FROM people_employee WHERE id = %s", gz1.pk)[0]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE people_employee SET phone = %s WHERE id = %s", [stored, gz1.pk])
    with pytest.raises(DecryptionError):
        Employee.objects.get(pk=gz1.pk)


def test_a_wrong_key_fails_loudly(gz1: Employee, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HENG_FIELD_KEYS", json.dumps({"k1": TEST_FIELD_KEYS["k2"]}))
    crypto.reset_keyring()
    try:
        with pytest.raises(DecryptionError):
            Employee.objects.get(pk=gz1.pk)
    finally:
        monkeypatch.undo()
        crypto.reset_keyring()


def test_encrypted_fields_refuse_comparisons_that_would_silently_miss(gz1: Employee) -> None:
    with pytest.raises(TypeError):
        list(Employee.objects.filter(id_card_number=ID))
    assert Employee.objects.filter(id_card_number="").count() == 6  # the others have none


def test_find_by_id_card_number_through_the_keyed_hash(gz1: Employee, world: Any) -> None:
    api = _as(world.users["hr"])
    body = api.get("/api/v1/employees", {"id_card": ID.lower()}).json()
    assert [e["employee_no"] for e in body["items"]] == ["T001"]
    # Store managers may not probe ID numbers.
    refused = _as(world.users["gz_manager"]).get("/api/v1/employees", {"id_card": ID})
    assert refused.status_code == 403


def test_an_id_card_number_belongs_to_one_person(gz1: Employee, world: Any) -> None:
    with pytest.raises(EmployeeInvalid) as err:
        employee_create(
            employee_no="N9",
            name="重号",
            unit=world.units["SGZ"],
            hire_date=dt.date(2025, 1, 1),
            id_card_number=ID,
        )
    assert set(err.value.fields) == {"id_card_number"}
    assert ID not in err.value.fields["id_card_number"]  # never echoed back
    assert not Employee.objects.filter(employee_no="N9").exists()


def test_api_shows_masked_values_only(gz1: Employee, world: Any) -> None:
    body = _as(world.users["hr"]).get(f"/api/v1/employees/{gz1.pk}").json()
    assert body["id_card_number_masked"] == "110***********002X"
    assert body["phone_masked"] == "138****5678"
    assert body["bank_account_masked"] == "***************3445"
    assert ID not in json.dumps(body)


def test_hr_reveals_a_value_and_the_reveal_is_audited(gz1: Employee, world: Any) -> None:
    response = _as(world.users["hr"]).post(
        f"/api/v1/employees/{gz1.pk}/reveal",
        {"field": "id_card_number"},
        content_type="application/json",
    )
    assert response.json() == {"field": "id_card_number", "value": ID}
    event = AuditEvent.objects.get(action="employee.reveal")
    assert (event.actor_label, event.employee_id, event.note) == ("hr", gz1.pk, "id_card_number")
    assert ID not in json.dumps([event.before, event.after, event.note])


@pytest.mark.parametrize("username", ["gz_manager", "auditor"])
def test_managers_and_auditors_cannot_reveal(gz1: Employee, world: Any, username: str) -> None:
    response = _as(world.users[username]).post(
        f"/api/v1/employees/{gz1.pk}/reveal",
        {"field": "id_card_number"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="employee.reveal").exists()


def test_regional_hr_reveals_only_inside_the_region(gz1: Employee, world: Any) -> None:
    employee_update(employee=world.people["bj1"], phone="13900000000")
    api = _as(world.users["hr_south"])
    inside = api.post(
        f"/api/v1/employees/{gz1.pk}/reveal", {"field": "phone"}, content_type="application/json"
    )
    outside = api.post(
        f"/api/v1/employees/{world.people['bj1'].pk}/reveal",
        {"field": "phone"},
        content_type="application/json",
    )
    assert inside.json()["value"] == "13812345678"
    assert outside.status_code == 404  # not even visible
    assert AuditEvent.objects.filter(action="employee.reveal").count() == 1


def test_efile_reveal_button_swaps_in_the_value(gz1: Employee, world: Any) -> None:
    page = _as(world.users["hr"]).get(f"/people/{gz1.pk}/").content.decode()
    assert "110***********002X" in page
    assert ID not in page
    partial = _as(world.users["hr"]).post(
        f"/people/{gz1.pk}/reveal/id_card_number/", HTTP_HX_REQUEST="true"
    )
    assert partial.status_code == 200
    assert ID in partial.content.decode()
    assert AuditEvent.objects.filter(action="employee.reveal", employee_id=gz1.pk).count() == 1


def test_store_manager_reveal_on_the_page_is_refused(gz1: Employee, world: Any) -> None:
    response = _as(world.users["gz_manager"]).post(f"/people/{gz1.pk}/reveal/phone/")
    assert response.status_code == 403
    assert "13812345678" not in response.content.decode()


def test_salary_items_are_encrypted_and_masked(world: Any) -> None:
    contract = contract_create(
        employee=world.people["gz2"],
        contract_type="fixed",
        start_date=dt.date(2024, 1, 1),
        end_date=dt.date(2026, 12, 31),
        salary_items=[{"item": "base", "amount": 6000}, {"item": "allowance", "amount": "800.5"}],
    )
    ((stored,),) = _raw("SELECT salary_items FROM people_contract WHERE id = %s", contract.pk)
    assert stored.startswith("enc1:k1:")
    assert "6000" not in stored
    api = _as(world.users["gz_manager"])
    listed = api.get(f"/api/v1/employees/{world.people['gz2'].pk}/contracts").json()
    assert listed[0]["salary_items_masked"] == [
        {"item": "base", "amount": "****"},
        {"item": "allowance", "amount": "****"},
    ]
    assert api.post(f"/api/v1/contracts/{contract.pk}/reveal").status_code == 403
    revealed = _as(world.users["hr"]).post(f"/api/v1/contracts/{contract.pk}/reveal").json()
    # Amounts normalised to two decimals, in the order given.
    assert revealed == [
        {"item": "base", "amount": "6000.00"},
        {"item": "allowance", "amount": "800.50"},
    ]
    assert AuditEvent.objects.filter(action="contract.reveal").count() == 1


def test_audit_rows_never_hold_sensitive_values(gz1: Employee) -> None:
    event = AuditEvent.objects.filter(action="employee.update", employee_id=gz1.pk).get()
    assert event.after == {
        "id_card_number": "[redacted]",
        "phone": "[redacted]",
        "bank_account": "[redacted]",
    }
    assert event.before == {"id_card_number": "", "phone": "", "bank_account": ""}
