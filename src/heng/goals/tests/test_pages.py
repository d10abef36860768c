"""Goal pages: my dashboard, the tree from a person to the company goal, the team view."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from heng.goals.checks import pace_check
from heng.goals.models import Goal, ProgressNote, Recognition
from heng.goals.tests.conftest import MID_MARCH, Cascade

pytestmark = pytest.mark.django_db
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture(autouse=True)
def _mid_march(settings: Any, monkeypatch: Any) -> None:
    # Pages judge "up to yesterday": pin yesterday to 15 March 2026.
    monkeypatch.setattr("heng.goals.evaluation.default_as_of", lambda: MID_MARCH)
    monkeypatch.setattr("heng.goals.selectors.default_as_of", lambda: MID_MARCH)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def test_my_dashboard_shows_progress_pace_alerts_and_points(
    cascade: Cascade, march: None, world: Any
) -> None:
    pace_check(as_of=MID_MARCH)
    Recognition.objects.create(employee=world.people["gz1"], points=3, message="好评如潮")
    page = _client(world.users["gz1"]).get("/goals/me/")
    assert page.status_code == 200
    text = page.content.decode()
    # 90 of 300 orders: 30 %; off pace at 62 % of the pace; complaint rate 67 %
    assert "本月" in text or "This month" in text
    assert "30%" in text
    assert 'data-testid="off-pace-count">2<' in text
    assert 'data-testid="points-total">3<' in text
    assert "好评如潮" in text
    assert "62%" in text


def test_the_tree_runs_from_the_person_up_to_the_company_goal(
    cascade: Cascade, march: None, world: Any
) -> None:
    pace_check(as_of=MID_MARCH)
    page = _client(world.users["gz1"]).get(f"/goals/tree/?employee={world.people['gz1'].pk}")
    text = page.content.decode()
    for title in ("年营收增长40%", "提升用户忠诚度", "复购率", "满意度", "月订单数", "投诉率"):
        assert title in text
    assert text.index("年营收增长40%") < text.index("提升用户忠诚度") < text.index("月订单数")


def test_someone_else_out_of_scope_is_not_found(cascade: Cascade, world: Any) -> None:
    client = _client(world.users["gz1"])
    assert client.get(f"/goals/people/{world.people['bj1'].pk}/").status_code == 404
    assert client.get(f"/goals/tree/?employee={world.people['bj1'].pk}").status_code == 404


def test_manager_sees_who_is_off_pace_and_drills_down(
    cascade: Cascade, march: None, world: Any
) -> None:
    client = _client(world.users["hr"])
    page = client.get(f"/goals/team/?unit={world.units['BGZ'].pk}")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="team-off-pace">1<' in text  # gz1 only
    assert 'id="gauge-data"' in text
    assert "广州甲" in text
    drill = client.get(f"/goals/people/{world.people['gz1'].pk}/")
    assert drill.status_code == 200


def test_manager_sees_notes_beside_the_numbers(cascade: Cascade, march: None, world: Any) -> None:
    _client(world.users["gz1"]).post(
        f"/goals/{cascade.complaints.pk}/notes/", {"text": "回访了20位投诉客户"}
    )
    assert ProgressNote.objects.get().text == "回访了20位投诉客户"
    page = _client(world.users["hr"]).get(f"/goals/{cascade.complaints.pk}/")
    text = page.content.decode()
    assert "回访了20位投诉客户" in text
    assert 'data-testid="holders"' in text


def test_posting_on_someone_elses_goal_is_forbidden_and_writes_nothing(
    cascade: Cascade, world: Any
) -> None:
    response = _client(world.users["gz1"]).post(f"/goals/{cascade.kr1.pk}/notes/", {"text": "x"})
    assert response.status_code == 403
    assert ProgressNote.objects.count() == 0


def test_a_manager_grants_points_on_the_persons_page(world: Any) -> None:
    client = _client(world.users["gz_manager"])
    url = f"/goals/people/{world.people['gz1'].pk}/"
    assert client.post(url, {"points": 8, "message": "月度之星"}).status_code == 302
    assert Recognition.objects.get().points == 8
    assert _client(world.users["gz1"]).post(
        f"/goals/people/{world.people['gz2'].pk}/", {"points": 8, "message": "x"}
    ).status_code in (403, 404)
    assert Recognition.objects.count() == 1


def test_create_a_goal_through_the_form_and_weights(cascade: Cascade, world: Any) -> None:
    client = _client(world.users["hr"])
    assert client.get("/goals/new/").status_code == 200
    response = client.post(
        "/goals/new/",
        {
            "kind": "key_result",
            "title": "好评率",
            "unit": world.units["BGZ"].pk,
            "parent": cascade.objective.pk,
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "start_value": 80,
            "target_value": 80,
            "cadence": "month",
            "pace_mode": "level",
        },
    )
    assert response.status_code == 422  # target equals start
    assert not Goal.objects.filter(title="好评率").exists()
    weights = {f"w-{cascade.kr1.pk}": "70", f"w-{cascade.kr2.pk}": "20"}
    client.post(f"/goals/{cascade.objective.pk}/weights/", weights)
    assert Goal.objects.get(pk=cascade.kr1.pk).weight is None  # 90 ≠ 100: refused
    weights[f"w-{cascade.kr2.pk}"] = "30"
    client.post(f"/goals/{cascade.objective.pk}/weights/", weights)
    assert Goal.objects.get(pk=cascade.kr1.pk).weight == 70


def test_an_employee_cannot_open_the_goal_form(world: Any) -> None:
    assert _client(world.users["gz1"]).get("/goals/new/").status_code == 403


def test_pages_answer_for_every_role(cascade: Cascade, march: None, world: Any) -> None:
    for name in ("hr", "hr_south", "gz_manager", "gz1", "auditor"):
        client = _client(world.users[name])
        for url in ("/goals/", "/goals/tree/", "/goals/alerts/", "/goals/team/"):
            response = client.get(url, follow=True)
            assert response.status_code == 200, (name, url)
    assert dt.date(2026, 3, 15) == MID_MARCH
