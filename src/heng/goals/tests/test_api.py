"""Goals over the API: create and update the cascade, outside systems pushing progress,
notes, dashboards, alerts and points; refusals change nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from heng.accounts.services import token_create
from heng.goals.checks import pace_check
from heng.goals.models import Goal, ProgressNote, Recognition
from heng.goals.tests.conftest import MID_MARCH, Cascade

pytestmark = pytest.mark.django_db
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def _send(client: Client, method: str, url: str, body: Any = None, **extra: Any) -> Any:
    return client.generic(
        method, url, data=json.dumps(body or {}), content_type="application/json", **extra
    )


def test_create_a_kpi_for_a_position_over_the_api(cascade: Cascade, world: Any) -> None:
    body = {
        "kind": "kpi",
        "unit_id": world.units["BGZ"].pk,
        "title": "新客数",
        "parent_id": cascade.kr1.pk,
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "indicator_code": "monthly_orders",
        "target_value": 50,
        "position_id": world.people["gz1"].position_id,
        "alert_threshold": "0.8",
    }
    answer = _send(_client(world.users["hr"]), "POST", "/api/v1/goals", body)
    assert answer.status_code == 201, answer.content
    out = answer.json()
    assert (out["kind"], out["indicator_code"], out["alert_threshold"]) == (
        "kpi",
        "monthly_orders",
        "0.80",
    )


def test_bad_input_gets_a_clear_error_and_nothing_is_written(cascade: Cascade, world: Any) -> None:
    client = _client(world.users["hr"])
    count = Goal.objects.count()
    same = {
        "kind": "key_result",
        "unit_id": world.units["BGZ"].pk,
        "title": "x",
        "parent_id": cascade.objective.pk,
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "start_value": 5,
        "target_value": 5,
    }
    answer = _send(client, "POST", "/api/v1/goals", same)
    assert answer.status_code == 422
    assert answer.json()["code"] == "goal_invalid"
    assert "target_value" in answer.json()["fields"]
    loop = _send(
        client, "PATCH", f"/api/v1/goals/{cascade.objective.pk}", {"parent_id": cascade.kr2.pk}
    )
    assert (loop.status_code, loop.json()["code"]) == (422, "goal_cycle")
    weights = _send(
        client,
        "PUT",
        f"/api/v1/goals/{cascade.objective.pk}/weights",
        {"weights": {str(cascade.kr1.pk): 50, str(cascade.kr2.pk): 40}},
    )
    assert (weights.status_code, weights.json()["code"]) == (422, "weights_not_100")
    unknown = _send(
        client,
        "POST",
        "/api/v1/goals",
        {**same, "kind": "kpi", "indicator_code": "nope", "target_value": 3},
    )
    assert unknown.json()["code"] == "unknown_indicator"
    assert Goal.objects.count() == count
    assert set(Goal.objects.values_list("weight", flat=True)) == {None}


def test_an_outside_system_pushes_a_key_result_value_with_a_token(
    cascade: Cascade, world: Any
) -> None:
    _token, secret = token_create(user=world.users["hr"], name="crm")
    client = Client()
    answer = _send(
        client,
        "POST",
        f"/api/v1/goals/{cascade.kr1.pk}/progress",
        {"value": 26, "text": "夜间同步", "source": "crm"},
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert answer.status_code == 201, answer.content
    kr1 = Goal.objects.get(pk=cascade.kr1.pk)
    # repurchase 20 → 30 at 26: 60 %
    assert (kr1.current_value, kr1.progress) == (26, pytest.approx(0.6))
    assert ProgressNote.objects.get().source == "crm"


def test_pushing_a_value_to_a_kpi_or_someone_elses_goal_is_refused(
    cascade: Cascade, world: Any
) -> None:
    kpi = _send(
        _client(world.users["hr"]),
        "POST",
        f"/api/v1/goals/{cascade.orders.pk}/progress",
        {"value": 3},
    )
    assert (kpi.status_code, kpi.json()["code"]) == (422, "not_a_key_result")
    theirs = _send(
        _client(world.users["gz1"]),
        "POST",
        f"/api/v1/goals/{cascade.kr1.pk}/progress",
        {"value": 29},
    )
    assert theirs.status_code == 403
    assert ProgressNote.objects.count() == 0
    assert Goal.objects.get(pk=cascade.kr1.pk).current_value is None


def test_notes_dashboard_alerts_and_tree(cascade: Cascade, march: None, world: Any) -> None:
    pace_check(as_of=MID_MARCH)
    client = _client(world.users["gz1"])
    note = _send(
        client,
        "POST",
        f"/api/v1/goals/{cascade.complaints.pk}/notes",
        {"text": "回访", "numbers": {"回访客户": 20}},
    )
    assert note.status_code == 201
    alerts = client.get("/api/v1/pace-alerts").json()["items"]
    assert {a["goal_title"] for a in alerts} == {"月订单数", "投诉率"}
    tree = client.get("/api/v1/goals-tree").json()
    assert [n["title"] for n in tree] == ["年营收增长40%"]
    assert tree[0]["children"][0]["title"] == "提升用户忠诚度"
    dashboard = client.get("/api/v1/goals-dashboard/me").json()
    assert {g["title"] for g in dashboard["goals"]} == {"月订单数", "投诉率"}
    assert {g["title"] for g in dashboard["off_pace"]} == {"月订单数", "投诉率"}


def test_holders_and_unit_dashboard_for_a_manager(
    cascade: Cascade, march: None, world: Any
) -> None:
    client = _client(world.users["gz_manager"])  # sees the Guangzhou store only
    holders = client.get(f"/api/v1/goals/{cascade.orders.pk}/holders?as_of=2026-03-15").json()
    assert sorted(h["actual"] for h in holders) == [90, 150]  # gz1, gz2 (not Foshan's fs1)
    out = client.get(f"/api/v1/goals-dashboard/units/{world.units['BGZ'].pk}")
    assert out.status_code == 404  # the branch is outside his scope


def test_recognition_over_the_api(world: Any) -> None:
    ok = _send(
        _client(world.users["gz_manager"]),
        "POST",
        "/api/v1/recognitions",
        {"employee_id": world.people["gz1"].pk, "points": 5, "message": "好评"},
    )
    assert ok.status_code == 201
    out_of_scope = _send(
        _client(world.users["gz_manager"]),
        "POST",
        "/api/v1/recognitions",
        {"employee_id": world.people["bj1"].pk, "points": 5, "message": "x"},
    )
    assert out_of_scope.status_code == 404
    assert Recognition.objects.count() == 1


def test_only_hr_runs_the_pace_check(cascade: Cascade, world: Any) -> None:
    assert _send(_client(world.users["gz1"]), "POST", "/api/v1/pace-checks").status_code == 403
    answer = _send(
        _client(world.users["hr"]), "POST", "/api/v1/pace-checks", {"as_of": "2026-03-15"}
    )
    assert answer.status_code == 201
    assert answer.json()["trigger"] == "api"


def test_openapi_schema_lists_the_goal_endpoints(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/goals/{goal_id}/progress" in schema["paths"]
    assert "/api/v1/notification-channels/{channel}" in schema["paths"]
