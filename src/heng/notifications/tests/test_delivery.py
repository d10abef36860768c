"""Channels: who gets what where, the robots' formats and signatures, retries and the log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail as django_mail
from django.utils import timezone

from heng.core.models import Notification
from heng.notifications.models import Delivery, DeliveryAttempt, DeliveryStatus
from heng.notifications.services import (
    BACKOFF,
    channel_setting_save,
    deliveries_run_due,
    delivery_attempt,
    send,
)
from heng.notifications.tests.stub import Robot

pytestmark = pytest.mark.django_db


def _alert(user: Any, key: str = "a1", kind: str = "pace_alert") -> int:
    return send(
        recipients=[user],
        title="投诉率偏离目标",
        body="实际 %(actual)s，应达 %(expected)s",
        params={"actual": "3.2%", "expected": "2.0%"},
        url="/goals/me/",
        key=key,
        kind=kind,
    )


def test_inbox_always_and_one_delivery_per_enabled_channel(world: Any, mail: None) -> None:
    # given gz1 with e-mail on, DingTalk on, WeCom switched off
    user = world.users["gz1"]
    user.email = "gz1@example.com"
    user.save()
    channel_setting_save(user=user, channel="email", enabled=True)
    channel_setting_save(user=user, channel="dingtalk", enabled=True, webhook_url="http://x.test/")
    channel_setting_save(user=user, channel="wecom", enabled=False, webhook_url="http://y.test/")
    # when one alert is sent
    assert _alert(user) == 1
    # then one inbox row (numbers filled in) and two waiting deliveries
    note = Notification.objects.get(recipient=user)
    assert note.body == "实际 3.2%，应达 2.0%"
    assert sorted(Delivery.objects.values_list("channel", "status")) == [
        ("dingtalk", "pending"),
        ("email", "pending"),
    ]


def test_the_same_key_twice_sends_once(world: Any) -> None:
    user = world.users["gz1"]
    channel_setting_save(user=user, channel="dingtalk", enabled=True, webhook_url="http://x.test/")
    assert _alert(user) == 1
    assert _alert(user) == 0
    assert (Notification.objects.count(), Delivery.objects.count()) == (1, 1)


def test_kinds_filter_what_a_channel_forwards(world: Any) -> None:
    user = world.users["gz1"]
    channel_setting_save(
        user=user,
        channel="dingtalk",
        enabled=True,
        webhook_url="http://x.test/",
        kinds=["recognition"],
    )
    _alert(user, key="a", kind="pace_alert")
    _alert(user, key="b", kind="recognition")
    assert list(Delivery.objects.values_list("kind", flat=True)) == ["recognition"]


def test_email_goes_through_djangos_mail_backend(world: Any, mail: None) -> None:
    user = world.users["gz1"]
    channel_setting_save(user=user, channel="email", enabled=True, address="me@example.com")
    _alert(user)
    assert deliveries_run_due() == 1
    assert len(django_mail.outbox) == 1
    sent = django_mail.outbox[0]
    assert (sent.subject, sent.to) == ("投诉率偏离目标", ["me@example.com"])
    assert "实际 3.2%，应达 2.0%" in sent.body
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.SENT
    assert list(delivery.log.values_list("ok", flat=True)) == [True]


def test_a_channel_without_an_address_is_skipped_with_the_reason(world: Any) -> None:
    user = world.users["gz1"]  # no e-mail on the account
    channel_setting_save(user=user, channel="email", enabled=True)
    channel_setting_save(user=user, channel="feishu", enabled=True)
    _alert(user)
    assert dict(Delivery.objects.values_list("channel", "last_error")) == {
        "email": "no e-mail address on the account or in the setting",
        "feishu": "no webhook URL configured",
    }
    assert set(Delivery.objects.values_list("status", flat=True)) == {"skipped"}
    assert deliveries_run_due() == 0
    assert Notification.objects.filter(recipient=user).count() == 1  # the inbox still has it


def test_dingtalk_markdown_signed_and_accepted_by_the_robot(world: Any, robot: Robot) -> None:
    user = world.users["gz1"]
    channel_setting_save(
        user=user,
        channel="dingtalk",
        enabled=True,
        webhook_url=robot.url("/dingtalk/robot/send?access_token=abc"),
        secret=robot.secret,
    )
    _alert(user)
    deliveries_run_due()
    assert Delivery.objects.get().status == DeliveryStatus.SENT
    [got] = robot.received
    assert got.query["access_token"] == "abc"
    assert {"timestamp", "sign"} <= set(got.query)  # verified by the stub, else errcode 310000
    assert got.body["msgtype"] == "markdown"
    assert got.body["markdown"]["title"] == "投诉率偏离目标"
    assert "实际 3.2%，应达 2.0%" in got.body["markdown"]["text"]


def test_a_wrong_dingtalk_secret_fails_without_retrying(world: Any, robot: Robot) -> None:
    user = world.users["gz1"]
    channel_setting_save(
        user=user,
        channel="dingtalk",
        enabled=True,
        webhook_url=robot.url("/dingtalk/send"),
        secret="not-the-secret",
    )
    _alert(user)
    deliveries_run_due()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error == "dingtalk answered error 310000: sign not match"
    assert delivery.attempts == 1


def test_wecom_markdown_with_the_key_in_the_url(world: Any, robot: Robot) -> None:
    user = world.users["gz1"]
    channel_setting_save(
        user=user,
        channel="wecom",
        enabled=True,
        webhook_url=robot.url("/cgi-bin/webhook/send?key=K1"),
    )
    _alert(user)
    deliveries_run_due()
    [got] = robot.received
    assert got.query == {"key": "K1"}
    assert got.body["msgtype"] == "markdown"
    assert got.body["markdown"]["content"].startswith("**投诉率偏离目标**\n实际 3.2%，应达 2.0%")


def test_feishu_post_signed_in_the_body(world: Any, robot: Robot) -> None:
    user = world.users["gz1"]
    channel_setting_save(
        user=user,
        channel="feishu",
        enabled=True,
        webhook_url=robot.url("/feishu/open-apis/bot/v2/hook/T"),
        secret=robot.secret,
    )
    _alert(user)
    deliveries_run_due()
    assert Delivery.objects.get().status == DeliveryStatus.SENT
    [got] = robot.received
    assert got.body["msg_type"] == "post"
    post = got.body["content"]["post"]["zh_cn"]
    assert post["title"] == "投诉率偏离目标"
    assert post["content"][0] == [{"tag": "text", "text": "实际 3.2%，应达 2.0%"}]


def test_a_timeout_is_retried_after_the_backoff_and_then_delivered(
    world: Any, robot: Robot, fast_timeout: None
) -> None:
    user = world.users["gz1"]
    channel_setting_save(user=user, channel="wecom", enabled=True, webhook_url=robot.url("/w"))
    _alert(user)
    robot.stall = 1.0  # longer than the 0.3 s timeout
    t0 = timezone.now()
    deliveries_run_due(now=t0)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.last_error == "timed out after 0.3 s"
    wait = (delivery.next_attempt_at - t0).total_seconds()
    assert BACKOFF[0] <= wait < BACKOFF[0] + 5
    # not yet due: nothing happens
    assert deliveries_run_due(now=t0 + dt.timedelta(seconds=5)) == 0
    # due, and the robot answers again
    robot.stall = 0
    assert deliveries_run_due(now=t0 + dt.timedelta(seconds=BACKOFF[0] + 5)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    assert list(delivery.log.values_list("ok", flat=True)) == [False, True]


def test_a_500_is_retried_until_the_limit_then_failed_and_kept(world: Any, robot: Robot) -> None:
    user = world.users["gz1"]
    channel_setting_save(user=user, channel="wecom", enabled=True, webhook_url=robot.url("/w"))
    _alert(user)
    robot.fail_with = 500
    now = timezone.now()
    for _ in range(5):
        deliveries_run_due(now=now)
        now += dt.timedelta(hours=3)  # past every back-off step
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 5
    assert delivery.last_error.startswith("HTTP 500")
    assert delivery.last_error.endswith("(gave up after 5 attempts)")
    assert DeliveryAttempt.objects.filter(delivery=delivery, ok=False).count() == 5
    assert deliveries_run_due(now=now) == 0
    assert Notification.objects.filter(recipient=user).count() == 1


def test_a_4xx_is_not_retried(world: Any, robot: Robot) -> None:
    user = world.users["gz1"]
    channel_setting_save(user=user, channel="wecom", enabled=True, webhook_url=robot.url("/w"))
    _alert(user)
    robot.fail_with = 404
    deliveries_run_due()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)


def test_two_workers_never_send_the_same_delivery_twice(world: Any, robot: Robot) -> None:
    user = world.users["gz1"]
    channel_setting_save(user=user, channel="wecom", enabled=True, webhook_url=robot.url("/w"))
    _alert(user)
    delivery_id = Delivery.objects.get().pk
    now = timezone.now()
    # the first claims it (and sends); the second finds it claimed / sent
    delivery_attempt(delivery_id=delivery_id, now=now)
    delivery_attempt(delivery_id=delivery_id, now=now)
    assert len(robot.received) == 1
    assert Delivery.objects.get().attempts == 1


def test_deliveries_go_out_after_commit_through_the_task_queue(
    world: Any, robot: Robot, django_capture_on_commit_callbacks: Any
) -> None:
    from huey.contrib.djhuey import HUEY

    user = world.users["gz1"]
    channel_setting_save(user=user, channel="wecom", enabled=True, webhook_url=robot.url("/w"))
    was, HUEY.immediate = HUEY.immediate, True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            _alert(user)
            assert robot.received == []  # nothing leaves before the commit
    finally:
        HUEY.immediate = was
    assert len(robot.received) == 1
    assert Delivery.objects.get().status == DeliveryStatus.SENT
