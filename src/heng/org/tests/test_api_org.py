from __future__ import annotations

from typing import Any

from django.test import Client

from heng.org.models import OrgUnit

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _as(user: Any) -> Client:
    client = Client(enforce_csrf_checks=False)
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def test_units_list_is_scoped_with_head_counts(world: Any) -> None:
    body = _as(world.users["hr_south"]).get("/api/v1/org/units").json()
    by_code = {u["code"]: u for u in body["items"]}
    assert set(by_code) == {"RS", "BGZ", "SGZ", "SFS"}
    assert by_code["SGZ"]["headcount"] == 2
    assert by_code["SGZ"]["parent_id"] == world.units["BGZ"].pk


def test_moving_into_own_subtree_is_422_with_the_field(world: Any) -> None:
    response = _as(world.users["hr"]).patch(
        f"/api/v1/org/units/{world.units['RS'].pk}",
        {"parent_id": world.units["SGZ"].pk},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "unit_cycle"
    assert "parent" in response.json()["fields"]


def test_deleting_a_unit_with_people_is_409(world: Any) -> None:
    response = _as(world.users["hr"]).delete(f"/api/v1/org/units/{world.units['SGZ'].pk}")
    assert response.status_code == 409
    assert OrgUnit.objects.filter(code="SGZ").exists()


def test_regional_hr_creates_inside_but_not_outside_the_region(world: Any) -> None:
    api = _as(world.users["hr_south"])
    inside = api.post(
        "/api/v1/org/units",
        {"code": "SNEW", "name": "新店", "kind": "store", "parent_id": world.units["BGZ"].pk},
        content_type="application/json",
    )
    outside = api.post(
        "/api/v1/org/units",
        {"code": "SX", "name": "越界", "kind": "store", "parent_id": world.units["BBJ"].pk},
        content_type="application/json",
    )
    assert inside.status_code == 201
    assert outside.status_code == 404
    assert not OrgUnit.objects.filter(code="SX").exists()


def test_openapi_schema_and_offline_docs(world: Any) -> None:
    schema = Client().get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/employees" in schema.json()["paths"]
    docs = _as(world.users["hr"]).get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
