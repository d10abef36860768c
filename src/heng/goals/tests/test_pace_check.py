"""The pace check: who is off pace, exactly one alert per breach, to whom, with which numbers.

Numbers (see conftest): 1–15 March of 31 days, share 15/31. Monthly orders target 300:
expected to date 300 × 15/31 = 145.16. gz1 90 → 90/145.16 = 62 % < 70 % (breach);
gz2 150 → 103 %; fs1 135 → 93 %. Complaint rate (level, lower is better) target 2 %: gz1 at
3 % → 2/3 = 67 % < 70 % (breach).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from heng.accounts.models import User
from heng.core.models import Notification
from heng.goals.alerts import announce_alerts
from heng.goals.checks import pace_check
from heng.goals.evaluation import evaluate
from heng.goals.models import Goal, PaceAlert, PaceState, Recognition
from heng.goals.tests.conftest import MID_MARCH, Cascade, daily, ingest
from heng.notifications.models import Delivery
from heng.notifications.services import channel_setting_save

pytestmark = pytest.mark.django_db


def _by_person(frame: Any, goal: Goal) -> dict[int, dict[str, Any]]:
    return {r["employee_id"]: r for r in frame.filter(frame["goal_id"] == goal.pk).to_dicts()}


def test_expected_to_date_and_attainment_per_holder(
    cascade: Cascade, march: None, world: Any
) -> None:
    frame = evaluate(as_of=MID_MARCH)
    orders = _by_person(frame, cascade.orders)
    people = world.people
    # holders: the sales position in the Guangzhou branch subtree (bj1 is in Beijing)
    assert set(orders) == {people["gz1"].pk, people["gz2"].pk, people["fs1"].pk}
    gz1 = orders[people["gz1"].pk]
    assert gz1["actual"] == 90
    assert gz1["expected"] == pytest.approx(300 * 15 / 31)
    assert gz1["attainment"] == pytest.approx(90 / (300 * 15 / 31))
    assert gz1["progress"] == pytest.approx(0.3)
    assert gz1["breached"] is True
    assert orders[people["gz2"].pk]["breached"] is False
    complaints = _by_person(frame, cascade.complaints)
    assert set(complaints) == {people["gz1"].pk}
    assert complaints[people["gz1"].pk]["attainment"] == pytest.approx(2 / 3)


def test_one_alert_per_breach_to_the_person_and_his_manager(
    cascade: Cascade, march: None, world: Any
) -> None:
    run = pace_check(as_of=MID_MARCH)
    assert announce_alerts() == 2
    assert (run.rows, run.fired, run.recovered) == (4, 2, 0)
    gz1 = world.people["gz1"]
    alerts = PaceAlert.objects.filter(employee=gz1).order_by("goal_id")
    assert [a.goal_id for a in alerts] == [cascade.orders.pk, cascade.complaints.pk]
    orders_alert = alerts[0]
    assert (orders_alert.actual, orders_alert.target, orders_alert.threshold) == (90, 300, 0.7)
    assert orders_alert.expected == pytest.approx(145.16, abs=0.01)
    # recipients: gz1 himself and the Guangzhou store's head (closest unit head above SGZ)
    users = world.users
    assert sorted(orders_alert.recipients) == sorted([users["gz1"].pk, users["gz_manager"].pk])
    note = Notification.objects.get(
        recipient=users["gz_manager"], key=f"pace:{orders_alert.pk}:{users['gz_manager'].pk}"
    )
    assert "90 单" in note.body
    assert "145.16 单" in note.body
    assert "62%" in note.body
    assert "70%" in note.body
    assert "300 单" in note.body
    # the same check again (and again) alerts nobody
    again = pace_check(as_of=MID_MARCH)
    assert again.fired == 0
    assert announce_alerts() == 0
    assert PaceAlert.objects.count() == 2
    assert Notification.objects.filter(key__startswith="pace:").count() == 4


def test_the_check_records_the_alerts_and_the_announcement_tells_everyone_once(
    cascade: Cascade, march: None, world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    users = world.users
    User.objects.filter(pk=users["gz1"].pk).update(preferred_language="en")
    # when the check runs, it records the alerts and queues their announcement on commit
    with django_capture_on_commit_callbacks() as queued:
        run = pace_check(as_of=MID_MARCH)
    assert run.fired == 2
    assert len(queued) == 1
    assert PaceAlert.objects.filter(announced_at__isnull=True).count() == 2
    assert not Notification.objects.filter(key__startswith="pace:").exists()
    # then the announcement writes one message per alert and recipient, each in his language
    assert announce_alerts() == 2
    assert not PaceAlert.objects.filter(announced_at__isnull=True).exists()
    orders = PaceAlert.objects.get(goal=cascade.orders)
    own = Notification.objects.get(key=f"pace:{orders.pk}:{users['gz1'].pk}")
    assert own.title.startswith("Off pace: ")
    assert "90 单 by 2026-03-15, 145.16 单 expected to date (62% of the pace" in own.body
    boss = Notification.objects.get(key=f"pace:{orders.pk}:{users['gz_manager'].pk}")
    assert "截至 2026-03-15 实际为 90 单，至今应达 145.16 单" in boss.body  # his language
    assert boss.url == own.url == f"/goals/people/{world.people['gz1'].pk}/"
    # and announcing again (a second worker, the every-minute job) tells nobody twice
    assert announce_alerts() == 0
    assert Notification.objects.filter(key__startswith="pace:").count() == 4


def test_recovery_then_a_new_breach_alerts_again(cascade: Cascade, march: None, world: Any) -> None:
    pace_check(as_of=MID_MARCH)
    gz1 = world.people["gz1"]
    # 16–17 March: gz1 sells 60 a day → 210 of 300 × 17/31 = 164.5 → back on pace
    ingest(cascade.source, daily("T001", dt.date(2026, 3, 16), 2, orders=60))
    run = pace_check(as_of=dt.date(2026, 3, 17))
    assert run.recovered == 1
    state = PaceState.objects.get(employee=gz1, goal=cascade.orders)
    assert state.breached is False
    assert state.recovered_at is not None

    # 27 March: 210 of 300 × 27/31 = 261.3 → 80 %; 31 March: 210/300 = 70 %, exactly on the
    # line: gz1 stays on pace (gz2 and fs1, with no data since the 15th, fall behind)
    def gz1_alerts() -> int:
        return PaceAlert.objects.filter(employee=gz1, goal=cascade.orders).count()

    pace_check(as_of=dt.date(2026, 3, 27))
    pace_check(as_of=dt.date(2026, 3, 31))
    assert gz1_alerts() == 1
    # raise the KPI's threshold to 0.8: gz1 breaks again → exactly one more alert for him
    Goal.objects.filter(pk=cascade.orders.pk).update(alert_threshold="0.8")
    pace_check(as_of=dt.date(2026, 3, 31))
    pace_check(as_of=dt.date(2026, 3, 31))
    assert gz1_alerts() == 2


def test_a_new_period_starts_with_a_clean_state(cascade: Cascade, march: None, world: Any) -> None:
    pace_check(as_of=MID_MARCH)
    # April: nobody has data yet → nothing judged, nothing fired, March's states stay
    run = pace_check(as_of=dt.date(2026, 4, 3))
    assert run.fired == 0
    assert PaceState.objects.filter(period_start=dt.date(2026, 3, 1), breached=True).count() == 2
    ingest(cascade.source, daily("T001", dt.date(2026, 4, 1), 3, orders=1))
    assert pace_check(as_of=dt.date(2026, 4, 3)).fired == 1


def test_the_manager_gets_a_dingtalk_message_with_the_numbers(
    cascade: Cascade, march: None, world: Any, robot: Any
) -> None:
    manager = world.users["gz_manager"]
    channel_setting_save(
        user=manager,
        channel="dingtalk",
        enabled=True,
        webhook_url=robot.url("/dingtalk/send?access_token=t"),
        secret=robot.secret,
    )
    pace_check(as_of=MID_MARCH)
    announce_alerts()
    from heng.notifications.services import deliveries_run_due

    assert deliveries_run_due() == 2
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    texts = sorted(r.body["markdown"]["text"] for r in robot.received)
    assert any("90 单" in t and "145.16 单" in t for t in texts)
    assert all(r.body["msgtype"] == "markdown" for r in robot.received)


def test_working_day_calendar_changes_the_pace(cascade: Cascade, march: None, world: Any) -> None:
    from heng.goals.models import WorkCalendar

    # Working days only: March 2026 has 22 weekdays; 1–15 March hold 10 (2–6, 9–13).
    # Expected = 300 × 10/22 = 136.4; gz1's 90 → 66 % (still a breach); fs1's 135 → 99 %.
    WorkCalendar.objects.create(code="cn", name="中国工作日", is_default=True)
    frame = evaluate(as_of=MID_MARCH)
    gz1 = _by_person(frame, cascade.orders)[world.people["gz1"].pk]
    assert gz1["share"] == pytest.approx(10 / 22)
    assert gz1["expected"] == pytest.approx(300 * 10 / 22)


def test_newcomers_on_the_position_hold_the_kpi(cascade: Cascade, march: None, world: Any) -> None:
    from heng.people.services import employee_create

    newcomer = employee_create(
        employee_no="T100",
        name="新人",
        unit=world.units["SFS"],
        hire_date=dt.date(2026, 3, 10),
        position=world.people["gz1"].position,
    )
    frame = evaluate(as_of=MID_MARCH)
    assert newcomer.pk in _by_person(frame, cascade.orders)
    # no data for him yet: judged as nothing (no alert)
    assert _by_person(frame, cascade.orders)[newcomer.pk]["breached"] is None


def test_progress_rolls_up_the_tree(cascade: Cascade, march: None) -> None:
    pace_check(as_of=MID_MARCH)
    progress = dict(Goal.objects.values_list("pk", "progress"))
    # KPI orders: mean of 90/300, 150/300, 135/300 = 0.41667; complaints: 2/3
    assert progress[cascade.orders.pk] == pytest.approx((0.3 + 0.5 + 0.45) / 3)
    assert progress[cascade.complaints.pk] == pytest.approx(2 / 3)
    # KRs without a value yet take their KPIs'; objective and strategy: equal mean
    assert progress[cascade.kr1.pk] == pytest.approx(0.416667, abs=1e-6)
    assert progress[cascade.objective.pk] == pytest.approx((0.416667 + 0.666667) / 2, abs=1e-6)
    assert progress[cascade.strategy.pk] == progress[cascade.objective.pk]


def test_completing_a_rewarded_kpi_grants_points_once(
    cascade: Cascade, march: None, world: Any
) -> None:
    Goal.objects.filter(pk=cascade.orders.pk).update(reward_points=5)
    ingest(cascade.source, daily("T002", dt.date(2026, 3, 16), 1, orders=150))  # gz2: 300
    pace_check(as_of=dt.date(2026, 3, 16))
    pace_check(as_of=dt.date(2026, 3, 17))
    grants = Recognition.objects.all()
    assert [(g.employee_id, g.points) for g in grants] == [(world.people["gz2"].pk, 5)]


def test_an_unmeasurable_indicator_is_skipped_not_fatal(cascade: Cascade, march: None) -> None:
    from heng.performance.models import Indicator

    Indicator.objects.filter(code="complaint_rate").update(source_metric="crm.nonexistent")
    run = pace_check(as_of=MID_MARCH)
    assert (run.rows, run.fired) == (3, 1)  # the orders KPI is still checked
