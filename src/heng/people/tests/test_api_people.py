from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from heng.accounts.services import token_create, token_revoke
from heng.people.models import Employee

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _client_for(user: Any) -> Client:
    _token, secret = token_create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_anonymous_gets_401_in_the_error_format(world: Any) -> None:
    response = Client().get("/api/v1/employees")
    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "fields"}


def test_list_is_scoped_and_paginated(world: Any) -> None:
    response = _client_for(world.users["gz_manager"]).get("/api/v1/employees?page_size=1")
    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 2
    assert [e["employee_no"] for e in body["items"]] == ["T001"]


def test_out_of_scope_detail_is_404_like_a_missing_one(world: Any) -> None:
    api = _client_for(world.users["gz_manager"])
    outside = api.get(f"/api/v1/employees/{world.people['bj1'].pk}")
    missing = api.get("/api/v1/employees/999999")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()


def test_partner_manager_sees_the_dispatched_chef_file(world: Any) -> None:
    api = _client_for(world.users["partner_manager"])
    body = api.get(f"/api/v1/employees/{world.people['chef'].pk}").json()
    assert body["working_unit_name"] == "合作餐厅"
    assert [a["reason"] for a in body["assignments"]] == ["hire", "dispatch"]


def test_oversized_page_number_is_a_422_not_a_500(world: Any) -> None:
    response = _client_for(world.users["hr"]).get("/api/v1/employees?page=967948149254725828608")
    assert response.status_code == 422
    assert "page" in response.json()["fields"]


def test_hr_creates_an_employee(world: Any) -> None:
    payload = {
        "employee_no": "A100",
        "name": "接口新人",
        "unit_id": world.units["SBJ"].pk,
        "hire_date": "2025-06-01",
        "position_code": "sales",
    }
    response = _client_for(world.users["hr"]).post(
        "/api/v1/employees", payload, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["unit_name"] == "北京店"


@pytest.mark.parametrize(
    ("language", "message"),
    [("zh-hans", "员工编号 T001 已存在。"), ("en", "Employee number T001 already exists.")],
)
def test_duplicate_number_error_names_the_field_in_the_users_language(
    world: Any, language: str, message: str
) -> None:
    payload = {
        "employee_no": "T001",
        "name": "重号",
        "unit_id": world.units["SBJ"].pk,
        "hire_date": "2025-06-01",
    }
    before = Employee.objects.count()
    response = _client_for(world.users["hr"]).post(
        "/api/v1/employees", payload, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 422
    assert response.json()["code"] == "employee_invalid"
    assert response.json()["fields"] == {"employee_no": message}
    assert Employee.objects.count() == before


def test_store_manager_cannot_create_employees(world: Any) -> None:
    payload = {
        "employee_no": "A101",
        "name": "越权",
        "unit_id": world.units["SGZ"].pk,
        "hire_date": "2025-06-01",
    }
    response = _client_for(world.users["gz_manager"]).post(
        "/api/v1/employees", payload, content_type="application/json"
    )
    assert response.status_code == 403
    assert not Employee.objects.filter(employee_no="A101").exists()


def test_unknown_unit_is_refused_and_nothing_written(world: Any) -> None:
    payload = {
        "employee_no": "A102",
        "name": "无门店",
        "unit_id": 999999,
        "hire_date": "2025-06-01",
    }
    response = _client_for(world.users["hr"]).post(
        "/api/v1/employees", payload, content_type="application/json"
    )
    assert response.status_code == 404
    assert not Employee.objects.filter(employee_no="A102").exists()


def test_revoked_token_no_longer_authenticates(world: Any) -> None:
    token, secret = token_create(user=world.users["hr"], name="ci")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/me").status_code == 200
    token_revoke(user=world.users["hr"], token_id=token.pk)
    assert api.get("/api/v1/me").status_code == 401


def test_session_auth_works_for_the_browser(world: Any, client: Client) -> None:
    client.force_login(world.users["gz1"], backend=MODEL_BACKEND)
    body = client.get("/api/v1/me").json()
    assert body["roles"] == ["employee"]
    assert body["employee_id"] == world.people["gz1"].pk
