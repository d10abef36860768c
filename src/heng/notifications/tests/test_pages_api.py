"""Inbox and channel pages and API: only one's own messages, secrets never shown back."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from heng.core.models import Notification
from heng.notifications.models import ChannelSetting, Delivery
from heng.notifications.services import channel_setting_save, send
from heng.notifications.tests.stub import Robot

pytestmark = pytest.mark.django_db
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def _notes(world: Any) -> None:
    send(recipients=[world.users["gz1"]], title="一", key="n1")
    send(recipients=[world.users["gz1"]], title="二", key="n2")
    send(recipients=[world.users["hr"]], title="人事的", key="n3")


def test_header_shows_the_unread_count(world: Any) -> None:
    _notes(world)
    page = _client(world.users["gz1"]).get("/")
    assert page.status_code == 200
    assert b'data-testid="unread-count" style="background:#c0392b;color:#fff">2<' in page.content


def test_inbox_lists_only_my_messages_and_marks_them_read(world: Any) -> None:
    _notes(world)
    client = _client(world.users["gz1"])
    page = client.get("/notifications/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "一" in text
    assert "二" in text
    assert "人事的" not in text
    mine = Notification.objects.get(title="一")
    client.post("/notifications/read/", {"id": mine.pk})
    assert list(
        Notification.objects.filter(read_at__isnull=True).values_list("title", flat=True)
    ) == ["人事的", "二"]


def test_marking_someone_elses_message_is_not_found_and_changes_nothing(world: Any) -> None:
    _notes(world)
    theirs = Notification.objects.get(title="人事的")
    response = _client(world.users["gz1"]).post("/notifications/read/", {"id": theirs.pk})
    assert response.status_code == 404
    assert Notification.objects.filter(read_at__isnull=False).count() == 0
    api = _client(world.users["gz1"]).post(f"/api/v1/inbox/{theirs.pk}/read")
    assert api.status_code == 404
    assert Notification.objects.filter(read_at__isnull=False).count() == 0


def test_inbox_api_with_unread_count(world: Any) -> None:
    _notes(world)
    client = _client(world.users["gz1"])
    assert client.get("/api/v1/inbox/unread-count").json() == {"unread": 2}
    listing = client.get("/api/v1/inbox?unread=true").json()
    assert [i["title"] for i in listing["items"]] == ["二", "一"]
    assert client.post("/api/v1/inbox/read").json() == {"unread": 0}


def test_channel_api_keeps_secrets_write_only(world: Any) -> None:
    client = _client(world.users["gz1"])
    body = {
        "enabled": True,
        "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=SECRET-TOKEN",
        "secret": "SEC123",
    }
    answer = client.put(
        "/api/v1/notification-channels/dingtalk", json.dumps(body), content_type="application/json"
    )
    assert answer.status_code == 200
    out = answer.json()
    assert out["has_secret"] is True
    assert "SECRET-TOKEN" not in json.dumps(out)
    assert "SEC123" not in json.dumps(out)
    assert out["webhook_url_hint"] == "https://oapi.dingtalk.com/robot/send…"
    # omitted URL and secret are kept
    client.put(
        "/api/v1/notification-channels/dingtalk",
        json.dumps({"enabled": False}),
        content_type="application/json",
    )
    setting = ChannelSetting.objects.get(user=world.users["gz1"], channel="dingtalk")
    assert (setting.enabled, setting.secret) == (False, "SEC123")
    assert setting.webhook_url.endswith("SECRET-TOKEN")


def test_a_bad_webhook_url_is_refused_and_nothing_is_stored(world: Any) -> None:
    client = _client(world.users["gz1"])
    answer = client.put(
        "/api/v1/notification-channels/feishu",
        json.dumps({"enabled": True, "webhook_url": "ftp://robot"}),
        content_type="application/json",
    )
    assert answer.status_code == 422
    assert answer.json()["fields"] == {"webhook_url": answer.json()["fields"]["webhook_url"]}
    assert ChannelSetting.objects.count() == 0
    assert (
        client.put(
            "/api/v1/notification-channels/pager",
            json.dumps({"enabled": True}),
            content_type="application/json",
        ).status_code
        == 404
    )


def test_channel_test_reports_the_outcome(world: Any, robot: Robot) -> None:
    user = world.users["gz1"]
    channel_setting_save(
        user=user,
        channel="dingtalk",
        enabled=True,
        webhook_url=robot.url("/dingtalk/send"),
        secret=robot.secret,
    )
    client = _client(user)
    out = client.post("/api/v1/notification-channels/dingtalk/test").json()
    assert out["status"] == "sent"
    assert out["log"][0]["ok"] is True
    assert len(robot.received) == 1
    # the page does the same and says so
    page = client.post("/notifications/channels/", {"channel": "dingtalk", "action": "test"})
    assert page.status_code == 302
    assert len(robot.received) == 2


def test_channels_page_saves_and_shows_errors(world: Any) -> None:
    client = _client(world.users["gz1"])
    assert client.get("/notifications/channels/").status_code == 200
    bad = client.post(
        "/notifications/channels/",
        {"channel": "wecom", "enabled": "on", "webhook_url": "not a url", "action": "save"},
    )
    assert bad.status_code == 422
    assert ChannelSetting.objects.count() == 0
    ok = client.post(
        "/notifications/channels/",
        {"channel": "email", "enabled": "on", "address": "a@example.com", "action": "save"},
    )
    assert ok.status_code == 302
    assert ChannelSetting.objects.get().address == "a@example.com"


def test_delivery_log_is_mine_only(world: Any) -> None:
    for name in ("gz1", "hr"):
        channel_setting_save(user=world.users[name], channel="feishu", enabled=True)
    _notes(world)
    rows = _client(world.users["gz1"]).get("/api/v1/deliveries").json()["items"]
    assert sorted(r["title"] for r in rows) == ["一", "二"]
    assert Delivery.objects.count() == 3


def test_anonymous_callers_are_turned_away(client: Client) -> None:
    assert client.get("/api/v1/inbox").status_code == 401
    assert client.get("/notifications/").status_code == 302
