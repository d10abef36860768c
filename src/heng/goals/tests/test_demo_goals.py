"""The demo of seed 001: the cascade with live progress, one alert for the lagging operator,
a DingTalk message for his manager; running the demo again adds nothing."""

from __future__ import annotations

from typing import Any

import pytest

from heng.accounts.models import User
from heng.core.models import Notification
from heng.demo.build import build_demo
from heng.goals.models import Goal, PaceAlert
from heng.goals.selectors import tree_for_person
from heng.notifications.models import Delivery
from heng.notifications.services import deliveries_run_due

pytestmark = pytest.mark.django_db


def test_demo_cascade_alert_and_dingtalk(robot: Any, monkeypatch: Any, settings: Any) -> None:
    monkeypatch.setenv("HENG_DEMO_DINGTALK_URL", robot.url("/dingtalk/robot/send?access_token=d"))
    monkeypatch.setenv("HENG_DEMO_DINGTALK_SECRET", robot.secret)
    build_demo(employees=120, progress=lambda _m: None)

    # the tree: strategy → objective → key results → KPIs, every node with a progress
    titles = dict(Goal.objects.values_list("title", "kind"))
    assert titles["年营收增长40%"] == "strategy"
    assert titles["提升用户忠诚度"] == "objective"
    assert {"老用户复购率（用户运营）", "活动复购率（活动运营）", "用户投诉率"} <= set(titles)
    # KR1 (repurchase 20 % → 30 %) is carried by repurchase-rate KPIs
    kr1 = Goal.objects.get(title="KR1 复购率从20%提升至30%")
    kpis = Goal.objects.filter(parent=kr1, kind="kpi", status="active")
    assert kpis.count() == 2
    assert {k.indicator.code for k in kpis} == {"repurchase_rate"}
    assert Goal.objects.filter(progress__isnull=True).count() == 0
    operator = User.objects.get(username="ops_user")
    nodes, figures = tree_for_person(operator.employee)
    assert nodes[0].goal.title == "年营收增长40%"
    assert [f["breached"] for f in figures.values()] == [True]

    # exactly one alert, in the operator's inbox and the manager's, with the numbers
    alert = PaceAlert.objects.get()
    assert alert.employee_id == operator.employee_id
    assert alert.attainment < 0.7
    inbox = Notification.objects.filter(recipient=operator, key__startswith="pace:")
    assert inbox.count() == 1
    ops_head = User.objects.get(username="ops_head")
    assert Notification.objects.filter(recipient=ops_head, key__startswith="pace:").count() == 1

    # the manager's DingTalk robot (a local stub verifying the signature) gets the message
    assert deliveries_run_due() == 1
    assert Delivery.objects.get().status == "sent"
    [message] = robot.received
    assert message.body["msgtype"] == "markdown"
    assert "复购率" in message.body["markdown"]["title"]
    assert "25%" in message.body["markdown"]["text"]  # the monthly target, with the numbers

    # again: nothing new
    build_demo(employees=120, progress=lambda _m: None)
    assert PaceAlert.objects.count() == 1
    assert Notification.objects.filter(key__startswith="pace:").count() == 2
    assert Goal.objects.filter(title="年营收增长40%").count() == 1
    assert Goal.objects.filter(parent=kr1).count() == 2
