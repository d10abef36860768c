"""The data migration encrypts values that were stored in plain text before A7."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from heng.core.crypto import blind_index

ID = "11010519491231002X"


@pytest.mark.django_db(transaction=True)
def test_plain_rows_on_file_are_encrypted_by_the_migration() -> None:
    # Given a database at the schema before encryption, with plain values in it
    executor = MigrationExecutor(connection)
    target = [("people", "0002_encrypted_fields")]
    executor.migrate(target)
    old = executor.loader.project_state(target).apps
    unit = old.get_model("org", "OrgUnit").objects.create(
        path="0001", depth=1, numchild=0, code="MIG", name="迁移公司", kind="company"
    )
    employee = old.get_model("people", "Employee").objects.create(
        employee_no="M1",
        name="迁移",
        hire_date=dt.date(2020, 1, 1),
        unit=unit,
        id_card_number_plain=ID,
        phone_plain="13812345678",
        bank_account_plain="6222000011112222",
    )
    old.get_model("people", "Contract").objects.create(
        employee=employee,
        contract_type="open",
        start_date=dt.date(2020, 1, 1),
        salary_items=[{"item": "base", "amount": 5000}],
    )
    # When the remaining migrations run
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    # Then the columns hold ciphertext, the model reads the values, the index finds the person
    from heng.people.models import Contract, Employee

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_card_number, phone, bank_account FROM people_employee")
        stored: Any = cursor.fetchone()
        cursor.execute("SELECT salary_items FROM people_contract")
        salary: Any = cursor.fetchone()
    assert all(v.startswith("enc1:") for v in stored)
    assert salary[0].startswith("enc1:")
    migrated = Employee.objects.get(employee_no="M1")
    assert (migrated.id_card_number, migrated.phone, migrated.bank_account) == (
        ID,
        "13812345678",
        "6222000011112222",
    )
    assert migrated.id_card_hash == blind_index(ID)
    assert Contract.objects.get().salary_items == [{"item": "base", "amount": 5000}]
