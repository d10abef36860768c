"""The push API: idempotent, all-or-nothing, scoped; lineage and values over the API."""

from __future__ import annotations

import json
from typing import Any

from heng.integrations.models import Batch, Fact, QuarantinedRow

URL = "/api/v1/sources/douyin/batches"
GOOD = [
    {"employee_no": "T001", "date": "2026-01-05", "plays": 100, "views": 50, "orders": 5},
    {"employee_no": "T002", "date": "2026-01-05", "plays": 20, "views": 10, "orders": 1},
]


def push(client: Any, rows: list[dict[str, Any]], key: str | None = "k-1", **extra: Any) -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        URL, data=json.dumps({"rows": rows, **extra}), content_type="application/json", **headers
    )


def login(client: Any, world: Any, name: str) -> None:
    client.force_login(world.users[name], backend="django.contrib.auth.backends.ModelBackend")


def test_push_commits_the_rows_and_answers_with_the_counts(
    client: Any, world: Any, douyin: Any
) -> None:
    login(client, world, "hr")
    answer = push(client, GOOD)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    # 2 rows x 3 metrics = 6 facts
    assert (body["received"], body["committed"], body["facts"], body["status"]) == (
        2,
        2,
        6,
        "committed",
    )
    assert Fact.objects.count() == 6


def test_resending_the_same_key_returns_the_first_answer_and_writes_nothing(
    client: Any, world: Any, douyin: Any
) -> None:
    login(client, world, "hr")
    first = push(client, GOOD)
    again = push(client, GOOD)
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Fact.objects.count() == 6
    assert Batch.objects.count() == 1


def test_the_same_key_with_other_rows_is_refused(client: Any, world: Any, douyin: Any) -> None:
    login(client, world, "hr")
    push(client, GOOD)
    other = push(client, GOOD[:1])
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert Fact.objects.count() == 6


def test_a_push_without_idempotency_key_is_refused(client: Any, world: Any, douyin: Any) -> None:
    login(client, world, "hr")
    answer = push(client, GOOD, key=None)
    assert answer.status_code == 422
    assert "header.Idempotency-Key" in answer.json()["fields"]
    assert not Batch.objects.exists()


def test_bad_rows_are_quarantined_and_the_good_ones_committed(
    client: Any, world: Any, douyin: Any
) -> None:
    login(client, world, "hr")
    rows = [
        *GOOD,
        {"employee_no": "T404", "date": "2026-01-05", "plays": 1},
        {"employee_no": "T001", "date": "2026-01-06", "plays": "lots"},
    ]
    body = push(client, rows).json()
    assert (body["received"], body["committed"], body["quarantined"]) == (4, 2, 2)
    messages = {e["row"]: e["message"] for e in body["errors"]}
    assert "T404" in messages[3]
    assert "lots" in messages[4]
    assert QuarantinedRow.objects.count() == 2


def test_a_strict_batch_with_one_bad_row_is_refused_whole_and_so_is_its_retry(
    client: Any, world: Any, douyin: Any
) -> None:
    login(client, world, "hr")
    rows = [*GOOD, {"employee_no": "T001", "date": "2026-01-06", "plays": -3}]
    answer = push(client, rows, strict=True)
    assert answer.status_code == 422
    assert answer.json()["code"] == "batch_refused"
    assert "row 3" in answer.json()["fields"]
    assert not Fact.objects.exists()
    assert not QuarantinedRow.objects.exists()
    retry = push(client, rows, strict=True)
    assert retry.json() == answer.json()
    assert not Fact.objects.exists()


def test_a_store_manager_cannot_push_and_nothing_is_written(
    client: Any, world: Any, douyin: Any
) -> None:
    login(client, world, "gz_manager")
    answer = push(client, GOOD)
    assert answer.status_code == 404  # sources are not even visible to a store manager
    assert not Batch.objects.exists()
    login(client, world, "auditor")
    assert push(client, GOOD).status_code == 403
    assert not Batch.objects.exists()


def test_regional_hr_rows_about_people_outside_the_region_are_quarantined(
    client: Any, world: Any, douyin: Any
) -> None:
    login(client, world, "hr_south")
    rows = [GOOD[0], {"employee_no": "T004", "date": "2026-01-05", "plays": 5}]  # T004 = Beijing
    body = push(client, rows).json()
    assert (body["committed"], body["quarantined"]) == (1, 1)
    assert "T004" in body["errors"][0]["message"]


def test_lineage_lists_the_facts_and_batches_behind_a_value(
    client: Any, world: Any, douyin: Any
) -> None:
    login(client, world, "hr")
    batch_id = push(client, GOOD).json()["id"]
    gz1 = world.people["gz1"].pk
    answer = client.get(
        "/api/v1/lineage",
        {
            "formula": "sum(orders)/sum(views)",
            "employee_id": gz1,
            "start": "2026-01-01",
            "end": "2026-01-31",
        },
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["value"] == 0.1  # 5 / 50
    assert [(r["metric"], r["value"], r["row_no"]) for r in body["rows"]] == [
        ("douyin.views", 50.0, 1),
        ("douyin.orders", 5.0, 1),
    ]
    assert [b["id"] for b in body["batches"]] == [batch_id]


def test_lineage_of_someone_outside_my_scope_is_not_found(
    client: Any, world: Any, douyin: Any
) -> None:
    login(client, world, "hr")
    push(client, GOOD)
    login(client, world, "gz_manager")
    fs1 = world.people["bj1"].pk
    answer = client.get(
        "/api/v1/lineage",
        {"formula": "plays", "employee_id": fs1, "start": "2026-01-01", "end": "2026-01-31"},
    )
    assert answer.status_code == 404


def test_metric_values_are_limited_to_my_scope(client: Any, world: Any, douyin: Any) -> None:
    login(client, world, "hr")
    push(client, GOOD)
    login(client, world, "gz1")  # an employee sees only his own numbers
    answer = client.post(
        "/api/v1/metric-values",
        data=json.dumps(
            {
                "formulas": {"plays": "sum(plays)"},
                "period_start": "2026-01-01",
                "period_end": "2026-01-31",
            }
        ),
        content_type="application/json",
    )
    assert answer.status_code == 200
    assert answer.json() == [
        {
            "subject_type": "employee",
            "subject_id": world.people["gz1"].pk,
            "key": "plays",
            "value": 100.0,
        }
    ]


def test_the_openapi_schema_documents_the_push_endpoint(client: Any, world: Any) -> None:
    login(client, world, "hr")
    schema = client.get("/api/v1/openapi.json").json()
    push_op = schema["paths"]["/api/v1/sources/{code}/batches"]["post"]
    assert {p["name"] for p in push_op["parameters"]} >= {"code", "Idempotency-Key"}
    assert {"200", "201", "422"} <= set(push_op["responses"])
    assert "/api/v1/lineage" in schema["paths"]


def test_a_push_over_the_row_limit_is_refused_and_writes_nothing(
    client: Any, world: Any, douyin: Any, settings: Any
) -> None:
    settings.HENG_INGEST_MAX_PUSH_ROWS = 1
    login(client, world, "hr")
    answer = push(client, GOOD)
    assert answer.status_code == 422
    assert "rows" in answer.json()["fields"]
    assert not Batch.objects.exists()


def test_a_push_body_too_large_for_the_server_is_a_clear_error(
    client: Any, world: Any, douyin: Any, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200
    login(client, world, "hr")
    answer = push(client, GOOD * 5)
    assert answer.status_code == 413
    assert answer.json()["code"] == "payload_too_large"
    assert not Batch.objects.exists()


def test_a_malformed_push_body_is_refused_with_the_field(
    client: Any, world: Any, douyin: Any
) -> None:
    login(client, world, "hr")
    answer = client.post(
        URL,
        data=json.dumps({"rows": "nope"}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert answer.status_code == 422
    assert "rows" in answer.json()["fields"]
    answer = client.post(
        URL,
        data=json.dumps({"rows": []}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert answer.status_code == 422
    assert not Batch.objects.exists()
