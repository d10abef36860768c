"""The performance API: library CRUD, scheme editing and publishing, resolution, rights."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.test import Client

from heng.accounts.services import token_create
from heng.performance import services
from heng.performance.models import Indicator, Scheme, SchemeLine, SchemeVersion

API = "/api/v1/performance"


def _client(user: Any) -> Client:
    _token, secret = token_create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def _json(client: Client, method: str, url: str, body: Any = None) -> Any:
    return getattr(client, method)(url, body, content_type="application/json")


INDICATOR = {
    "code": "ORDERS",
    "name": "订单量",
    "category": "result",
    "direction": "higher",
    "value_kind": "formula",
    "formula": "sum(orders) / sum(days)",
    "rule": "linear",
    "params": {"cap": 110},
}


def test_hr_admin_creates_reads_and_updates_an_indicator(world: Any) -> None:
    api = _client(world.users["hr"])
    created = _json(api, "post", f"{API}/indicators", INDICATOR)
    assert created.status_code == 201, created.content
    assert created.json()["params"] == {"cap": 110}
    changed = _json(api, "patch", f"{API}/indicators/ORDERS", {"params": {"cap": 120}})
    assert changed.status_code == 200
    assert Indicator.objects.get(code="ORDERS").params == {"cap": 120}
    listed = api.get(f"{API}/indicators?q=订单").json()
    assert [i["code"] for i in listed["items"]] == ["ORDERS"]


def test_unknown_rule_is_refused_naming_the_rule_and_nothing_is_saved(world: Any) -> None:
    response = _json(
        _client(world.users["hr"]), "post", f"{API}/indicators", {**INDICATOR, "rule": "magic"}
    )
    assert response.status_code == 422
    body = response.json()
    assert "magic" in body["message"]
    assert "rule" in body["fields"]
    assert not Indicator.objects.exists()


def test_missing_rule_parameter_is_refused_naming_it(world: Any) -> None:
    response = _json(
        _client(world.users["hr"]),
        "post",
        f"{API}/indicators",
        {**INDICATOR, "rule": "frequency", "params": {}},
    )
    assert response.status_code == 422
    assert "minimum" in response.json()["message"]
    assert "params" in response.json()["fields"]
    assert not Indicator.objects.exists()


def test_a_bad_formula_is_refused(world: Any) -> None:
    response = _json(
        _client(world.users["hr"]),
        "post",
        f"{API}/indicators",
        {**INDICATOR, "formula": "__import__('os').system('x')"},
    )
    assert response.status_code == 422
    assert "formula" in response.json()["fields"]
    assert not Indicator.objects.exists()


def test_store_manager_reads_the_library_but_cannot_change_it(world: Any, library: Any) -> None:
    api = _client(world.users["gz_manager"])
    assert api.get(f"{API}/indicators/SALES").status_code == 200
    refused = _json(api, "patch", f"{API}/indicators/SALES", {"name": "改名"})
    assert refused.status_code == 403
    assert Indicator.objects.get(code="SALES").name == "销售额"


def test_an_employee_sees_no_library(world: Any, library: Any) -> None:
    api = _client(world.users["gz1"])
    assert api.get(f"{API}/indicators").json()["count"] == 0
    assert api.get(f"{API}/indicators/SALES").status_code == 404
    assert api.get(f"{API}/schemes/SALES-REP").status_code == 404


def test_scheme_editing_and_publishing_over_the_api(
    world: Any, library: Any, frameworks: Any
) -> None:
    api = _client(world.users["hr"])
    created = _json(
        api,
        "post",
        f"{API}/schemes",
        {
            "code": "S1",
            "name": "方案一",
            "framework": "DIRECT",
            "applies_to": [{"position": "sales"}],
        },
    )
    assert created.status_code == 201, created.content
    for code, weight in (("SALES", 30), ("NEWCUST", 69.99)):
        added = _json(api, "post", f"{API}/schemes/S1/lines", {"indicator": code, "weight": weight})
        assert added.status_code == 201, added.content
    detail = api.get(f"{API}/schemes/S1").json()
    assert [p["code"] for p in detail["problems"]] == ["weights_not_100"]
    refused = _json(api, "post", f"{API}/schemes/S1/publish", {})
    assert refused.status_code == 422
    assert "99.99" in refused.json()["message"]
    assert not SchemeVersion.objects.exists()
    fixed = _json(api, "put", f"{API}/schemes/S1/weights", {"weights": {"NEWCUST": 70}})
    assert fixed.json()["problems"] == []
    published = _json(api, "post", f"{API}/schemes/S1/publish", {"effective_from": "2025-01-01"})
    assert published.status_code == 201
    assert published.json()["number"] == 1
    assert [v["number"] for v in api.get(f"{API}/schemes/S1/versions").json()] == [1]


def test_negative_weight_is_refused_and_nothing_is_saved(world: Any, sales_scheme: Scheme) -> None:
    api = _client(world.users["hr"])
    response = _json(
        api, "post", f"{API}/schemes/SALES-REP/lines", {"indicator": "TRAINING", "weight": -5}
    )
    assert response.status_code == 422
    assert "TRAINING" in response.json()["message"]
    assert not SchemeLine.objects.filter(indicator__code="TRAINING").exists()


def test_target_zero_for_a_linear_rule_is_refused(world: Any, sales_scheme: Scheme) -> None:
    api = _client(world.users["hr"])
    response = _json(
        api,
        "patch",
        f"{API}/schemes/SALES-REP/lines/SALES",
        {"target_method": "fixed", "target_value": 0},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "target_not_positive"
    assert "target_value" in response.json()["fields"]
    line = SchemeLine.objects.get(indicator__code="SALES")
    assert (line.target_method, line.target_value) == ("assigned", None)


def test_override_naming_an_indicator_outside_the_library_is_refused(
    world: Any, sales_scheme: Scheme
) -> None:
    api = _client(world.users["hr"])
    response = _json(
        api,
        "post",
        f"{API}/schemes/SALES-REP/overrides",
        {
            "code": "south",
            "unit": "RS",
            "changes": [{"indicator": "SALES", "weight": 50}, {"indicator": "GHOST", "weight": 20}],
        },
    )
    assert response.status_code == 422
    assert "GHOST" in response.json()["message"]
    assert not sales_scheme.overrides.exists()


def test_regional_hr_edits_only_schemes_inside_the_region(
    world: Any, sales_scheme: Scheme, frameworks: Any
) -> None:
    api = _client(world.users["hr_south"])
    # the position-wide SALES-REP scheme is company policy
    refused = _json(api, "put", f"{API}/schemes/SALES-REP/weights", {"weights": {"SALES": 41}})
    assert refused.status_code == 403
    assert SchemeLine.objects.get(indicator__code="SALES").weight == Decimal(40)
    # a scheme for the Guangzhou branch is theirs; one for Beijing is not
    mine = _json(
        api,
        "post",
        f"{API}/schemes",
        {"code": "GZ", "name": "广州方案", "framework": "DIRECT", "applies_to": [{"unit": "BGZ"}]},
    )
    assert mine.status_code == 201
    other = _json(
        api,
        "post",
        f"{API}/schemes",
        {"code": "BJ", "name": "北京方案", "framework": "DIRECT", "applies_to": [{"unit": "BBJ"}]},
    )
    assert other.status_code == 403
    assert not Scheme.objects.filter(code="BJ").exists()


def test_resolved_scheme_of_an_employee_with_the_why(world: Any, sales_scheme: Scheme) -> None:
    services.override_save(
        actor=None,
        scheme=sales_scheme,
        code="south",
        unit=world.units["RS"],
        changes=[
            services.ChangeIn("SALES", weight=Decimal(50)),
            services.ChangeIn("NEWCUST", weight=Decimal(20)),
        ],
    )
    services.scheme_publish(actor=None, scheme=sales_scheme, effective_from=dt.date(2024, 1, 1))
    gz1 = world.people["gz1"]
    # the employee reads their own resolved scheme
    body = _client(world.users["gz1"]).get(f"{API}/employees/{gz1.pk}/scheme?on=2025-03-01").json()
    assert body["scheme_code"] == "SALES-REP"
    assert body["version"] == 1
    assert [(line["indicator"], line["weight"], line["origin"]) for line in body["lines"]] == [
        ("SALES", 50, "south"),
        ("NEWCUST", 20, "south"),
        ("COMPLAINT", 30, None),
    ]
    assert body["total_weight"] == 100
    # someone else's is not found, like a missing one
    other = _client(world.users["gz1"]).get(f"{API}/employees/{world.people['bj1'].pk}/scheme")
    assert other.status_code == 404


def test_anonymous_calls_are_refused(world: Any) -> None:
    assert Client().get(f"{API}/indicators").status_code == 401


def test_scheme_file_download_and_upload_over_the_api(world: Any, sales_scheme: Scheme) -> None:
    api = _client(world.users["hr"])
    download = api.get(f"{API}/schemes/SALES-REP/file")
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/yaml")
    text = download.content.decode()
    # a dry run reports and writes nothing; the real upload creates a new draft
    bad = text.replace("weight: 40", "weight: 39.99", 1)
    refused = api.post(f"{API}/scheme-files", bad, content_type="application/yaml")
    assert refused.status_code == 422
    assert refused.json()["message"].startswith("第 ")  # "第 N 行：…" (the default language)
    changed = text.replace("weight: 40", "weight: 45", 1).replace("weight: 30", "weight: 25", 1)
    dry = api.post(f"{API}/scheme-files?dry_run=true", changed, content_type="application/yaml")
    assert dry.status_code == 200
    assert {"kind": "scheme", "code": "SALES-REP", "result": "updated (new draft)"} in dry.json()[
        "actions"
    ]
    assert SchemeLine.objects.get(indicator__code="SALES").weight == Decimal(40)
    real = api.post(f"{API}/scheme-files?publish=true", changed, content_type="application/yaml")
    assert real.status_code == 201
    assert real.json()["version"] == 1
    assert SchemeLine.objects.get(indicator__code="SALES").weight == Decimal(45)


def test_only_hr_admins_upload_scheme_files(world: Any, sales_scheme: Scheme) -> None:
    text = _client(world.users["hr"]).get(f"{API}/schemes/SALES-REP/file").content.decode()
    response = _client(world.users["hr_south"]).post(
        f"{API}/scheme-files",
        text.replace("name: 销售代表方案", "name: 改名", 1),
        content_type="application/yaml",
    )
    assert response.status_code == 403
    assert Scheme.objects.get(code="SALES-REP").name == "销售代表方案"


WHAT_IF = """
scenario: 试算
schemes:
  s:
    lines:
      - {indicator: sales, category: result, rule: linear, weight: 100, target: 0}
employees:
  - {id: A}
values:
  A: {sales: 10}
"""


def test_what_if_over_the_api_refuses_a_zero_target(world: Any) -> None:
    api = _client(world.users["hr"])
    refused = api.post(f"{API}/what-if", WHAT_IF, content_type="application/yaml")
    assert refused.status_code == 422
    assert "sales" in refused.json()["message"]
    fine = api.post(
        f"{API}/what-if?explain=A",
        WHAT_IF.replace("target: 0", "target: 20"),
        content_type="application/yaml",
    )
    assert fine.status_code == 200
    body = fine.json()
    # 10 / 20 → 50.00
    assert [(r["employee_id"], r["total"]) for r in body["rows"]] == [("A", 50.0)]
    assert body["explanation"]["indicators"][0]["attainment"] == 50.0


def test_an_indicator_in_use_cannot_be_deleted(world: Any, sales_scheme: Scheme) -> None:
    api = _client(world.users["hr"])
    refused = api.delete(f"{API}/indicators/SALES")
    assert refused.status_code == 409
    assert "SALES-REP" in refused.json()["message"]
    assert Indicator.objects.filter(code="SALES").exists()
    assert api.delete(f"{API}/indicators/TRAINING").status_code == 204
    assert not Indicator.objects.filter(code="TRAINING").exists()


def test_the_openapi_schema_documents_the_performance_endpoints(world: Any) -> None:
    schema = _client(world.users["hr"]).get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert "/api/v1/performance/employees/{employee_id}/scheme" in paths
    assert (
        "application/yaml"
        in paths["/api/v1/performance/scheme-files"]["post"]["requestBody"]["content"]
    )
