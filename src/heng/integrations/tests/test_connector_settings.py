"""Configuring pull connectors (D2): one set of checks behind the page, the API and the admin
form (cron, URL, field map), next_run_at computed on save, the secret never shown in full,
"run now", and an every-minute scheduler that survives a broken connector."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import pytest
from django.utils import timezone, translation

from heng.core.errors import ValidationFailed
from heng.integrations.models import Connector, ConnectorRun, Fact
from heng.integrations.services import (
    connector_clean,
    connector_create,
    connector_update,
    connectors_run_due,
)
from heng.integrations.services import connectors as connectors_module
from heng.integrations.tests.stub_server import stub

SECRET = "Bearer s3cret-token-0123456789"
GOOD = {
    "source": "douyin",
    "name": "抖音日报",
    "url": "http://127.0.0.1:9/douyin/daily?day={end}",
    "schedule": "0 2 * * *",
    "auth_header": "Authorization",
    "auth_value": SECRET,
    "records_path": "data.list",
    "field_map": {"employee_no": "author.no", "date": "day", "plays": "stat.play"},
    "pagination": "page",
    "page_size": 2,
}


def login(client: Any, world: Any, name: str) -> None:
    client.force_login(world.users[name], backend="django.contrib.auth.backends.ModelBackend")


def api_post(client: Any, body: dict[str, Any], **headers: Any) -> Any:
    return client.post(
        "/api/v1/connectors", data=json.dumps(body), content_type="application/json", **headers
    )


def api_patch(client: Any, pk: int, body: dict[str, Any], **headers: Any) -> Any:
    return client.patch(
        f"/api/v1/connectors/{pk}",
        data=json.dumps(body),
        content_type="application/json",
        **headers,
    )


def page_data(**changes: Any) -> dict[str, Any]:
    """The connector form as a browser posts it (JSON fields as text)."""
    data: dict[str, Any] = {
        **{k: v for k, v in GOOD.items() if k != "source"},
        "enabled": "on",
        "field_map": json.dumps(GOOD["field_map"]),
        "params": "{}",
        "page_param": "page",
        "page_size_param": "",
        "cursor_path": "",
        "cursor_param": "cursor",
        "max_pages": 1000,
        "window_days": 1,
        "timeout_seconds": 30,
        "max_attempts": 4,
        "backoff_seconds": 2,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def connector(douyin: Any) -> Connector:
    values = {k: v for k, v in GOOD.items() if k != "source"}
    return connector_create(source=douyin, **values)


# --- one set of checks ---------------------------------------------------------------------------
def test_the_checks_name_every_field_at_fault(douyin: Any) -> None:
    with translation.override("en"), pytest.raises(ValidationFailed) as bad:
        connector_clean(
            source=douyin,
            values={
                "name": "",
                "url": "ftp://example.com/x",
                "schedule": "0 25 * * *",
                "field_map": {"salary": "s"},
                "params": {"day": "{tomorrow}"},
                "pagination": "cursor",
                "cursor_path": "",
                "page_size": 0,
            },
        )
    assert set(bad.value.fields) == {
        "name",
        "url",
        "schedule",
        "field_map",
        "params",
        "cursor_path",
        "page_size",
    }
    assert "hour" in bad.value.fields["schedule"]
    # required fields must be mapped once a field map is given; paths must be paths
    for field_map in ({"plays": "stat.play"}, {"employee_no": "a b", "date": "d"}):
        with pytest.raises(ValidationFailed) as fields:
            connector_clean(
                source=douyin,
                values={
                    "name": "x",
                    "url": "http://h/",
                    "schedule": "0 2 * * *",
                    "field_map": field_map,
                },
            )
        assert set(fields.value.fields) == {"field_map"}
    # too long for its column
    with pytest.raises(ValidationFailed) as long:
        connector_clean(
            source=douyin,
            values={"name": "x" * 121, "url": "http://h/", "schedule": "0 2 * * *"},
        )
    assert set(long.value.fields) == {"name"}
    # a schedule that never fires (31 February) is refused too
    with pytest.raises(ValidationFailed) as never:
        connector_clean(
            source=douyin, values={"name": "x", "url": "http://h/", "schedule": "0 0 31 2 *"}
        )
    assert set(never.value.fields) == {"schedule"}


def test_saving_computes_the_next_run_and_keeps_it_unless_the_schedule_changes(
    douyin: Any, connector: Connector
) -> None:
    now = timezone.now()
    first = connector.next_run_at
    assert first is not None
    assert now < first <= now + dt.timedelta(days=1, minutes=1)
    assert timezone.localtime(first).time() == dt.time(2, 0)
    # renaming keeps the slot
    renamed = connector_update(connector=connector, name="抖音日报 v2")
    assert renamed.next_run_at == first
    # a weekly schedule moves it to the next Monday 03:00
    weekly = connector_update(connector=connector, schedule="0 3 * * 1")
    local = timezone.localtime(weekly.next_run_at)
    assert (local.weekday(), local.time()) == (0, dt.time(3, 0))
    # switched off: no next run; on again: computed
    off = connector_update(connector=connector, enabled=False)
    assert off.next_run_at is None
    on = connector_update(connector=connector, enabled=True)
    assert on.next_run_at == weekly.next_run_at


def test_the_secret_is_kept_unless_replaced_or_removed(connector: Connector) -> None:
    kept = connector_update(connector=connector, auth_value=None, name="x")
    assert kept.auth_value == SECRET
    assert kept.auth_value_masked == "••••••6789"
    removed = connector_update(connector=connector, auth_value="")
    assert (removed.auth_value, removed.auth_value_masked) == ("", "")
    short = connector_update(connector=connector, auth_value="tok")
    assert short.auth_value_masked == "••••••"


# --- API -----------------------------------------------------------------------------------------
def test_api_creates_a_connector_with_its_next_run_and_never_returns_the_secret(
    client: Any, world: Any, douyin: Any
) -> None:
    login(client, world, "hr")
    answer = api_post(client, GOOD)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["next_run_at"] is not None
    assert body["auth_value_masked"] == "••••••6789"
    assert "auth_value" not in body
    assert SECRET not in answer.content.decode()
    detail = client.get(f"/api/v1/connectors/{body['id']}")
    assert SECRET not in detail.content.decode()
    listing = client.get("/api/v1/connectors")
    assert SECRET not in listing.content.decode()
    assert Connector.objects.get().auth_value == SECRET


def test_api_refuses_a_bad_cron_naming_the_field_in_the_readers_language_and_saves_nothing(
    client: Any, world: Any, douyin: Any
) -> None:
    login(client, world, "hr")
    answer = api_post(client, {**GOOD, "schedule": "0 2 * *"}, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "connector_invalid"
    assert list(body["fields"]) == ["schedule"]
    message = 'A schedule has five fields (minute hour day month weekday), e.g. "0 2 * * *".'
    assert body["fields"]["schedule"] == message
    # the same refusal in Chinese for a Chinese reader
    chinese = api_post(client, {**GOOD, "schedule": "0 2 * *"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.status_code == 422
    with translation.override("zh-hans"):
        assert chinese.json()["fields"]["schedule"] == translation.gettext(message) != message
    assert not Connector.objects.exists()


def test_api_patch_checks_the_same_rules_and_changes_nothing_when_refused(
    client: Any, world: Any, connector: Connector
) -> None:
    login(client, world, "hr")
    before = Connector.objects.get().next_run_at
    refused = api_patch(client, connector.pk, {"schedule": "every day", "name": "new name"})
    assert refused.status_code == 422
    assert "schedule" in refused.json()["fields"]
    stored = Connector.objects.get()
    assert (stored.schedule, stored.name, stored.next_run_at) == ("0 2 * * *", "抖音日报", before)
    # switch off, then on with a new schedule
    off = api_patch(client, connector.pk, {"enabled": False})
    assert (off.status_code, off.json()["next_run_at"]) == (200, None)
    on = api_patch(client, connector.pk, {"enabled": True, "schedule": "30 6 * * *"})
    assert on.status_code == 200
    assert timezone.localtime(Connector.objects.get().next_run_at).time() == dt.time(6, 30)
    assert Connector.objects.get().auth_value == SECRET  # left out: kept
    bad_map = api_patch(client, connector.pk, {"field_map": {"salary": "x"}})
    assert (bad_map.status_code, list(bad_map.json()["fields"])) == (422, ["field_map"])


def test_only_company_wide_hr_admins_configure_connectors(
    client: Any, world: Any, connector: Connector
) -> None:
    login(client, world, "hr_south")  # regional HR: may feed data, not configure pulls
    assert api_post(client, GOOD).status_code == 403
    assert api_patch(client, connector.pk, {"enabled": False}).status_code == 403
    assert client.get("/integrations/connectors/new/").status_code == 403
    login(client, world, "gz1")  # may not even see connectors
    assert api_post(client, GOOD).status_code == 404
    assert client.get("/integrations/connectors/new/").status_code == 404
    assert client.get(f"/api/v1/connectors/{connector.pk}").status_code == 404
    assert api_patch(client, connector.pk, {"enabled": False}).status_code == 404
    assert client.get(f"/integrations/connectors/{connector.pk}/edit/").status_code == 404
    assert Connector.objects.get().enabled


# --- pages ---------------------------------------------------------------------------------------
def test_the_page_creates_a_connector_and_refuses_a_bad_cron_next_to_the_field(
    client: Any, world: Any, douyin: Any
) -> None:
    login(client, world, "hr")
    blank = client.get("/integrations/connectors/new/?source=douyin")
    assert blank.status_code == 200
    # a bad schedule: the error sits next to the schedule field, nothing is saved
    refused = client.post(
        "/integrations/connectors/new/",
        {**page_data(schedule="61 2 * * *"), "source": douyin.pk},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 422
    html = refused.content.decode()
    assert 'data-testid="error-schedule"' in html
    assert "minute" in html
    assert not Connector.objects.exists()
    # a good one is saved with its next run and the page goes to the connector
    saved = client.post("/integrations/connectors/new/", {**page_data(), "source": douyin.pk})
    assert saved.status_code == 302, saved.content.decode()[:3000]
    connector = Connector.objects.get()
    assert connector.next_run_at is not None
    assert connector.auth_value == SECRET
    detail = client.get(saved["Location"]).content.decode()
    assert 'data-testid="auth-masked">••••••6789<' in detail
    assert SECRET not in detail


def test_the_edit_page_never_shows_the_secret_and_keeps_it_when_left_empty(
    client: Any, world: Any, connector: Connector
) -> None:
    login(client, world, "hr")
    url = f"/integrations/connectors/{connector.pk}/edit/"
    page = client.get(url).content.decode()
    assert SECRET not in page
    assert "••••••6789" in page
    answer = client.post(url, page_data(auth_value="", schedule="0 3 * * 1"))
    assert answer.status_code == 302, answer.content.decode()[:3000]
    connector.refresh_from_db()
    assert connector.auth_value == SECRET
    assert timezone.localtime(connector.next_run_at).weekday() == 0
    # a bad field map is refused next to its field; nothing changes
    refused = client.post(url, page_data(field_map='{"salary": "x"}'))
    assert refused.status_code == 422
    assert 'data-testid="error-field_map"' in refused.content.decode()
    connector.refresh_from_db()
    assert "salary" not in connector.field_map
    # "remove" clears the secret
    client.post(url, page_data(auth_value="", clear_auth_value="on"))
    connector.refresh_from_db()
    assert connector.auth_value == ""


def test_the_page_switches_a_connector_off_and_on(
    client: Any, world: Any, connector: Connector
) -> None:
    login(client, world, "hr")
    url = f"/integrations/connectors/{connector.pk}/enable/"
    client.post(url, {"enabled": "0"})
    connector.refresh_from_db()
    assert (connector.enabled, connector.next_run_at) == (False, None)
    client.post(url, {"enabled": "1"})
    connector.refresh_from_db()
    assert connector.enabled
    assert connector.next_run_at is not None


def test_an_auditor_sees_the_connector_masked_without_edit_buttons(
    client: Any, world: Any, connector: Connector
) -> None:
    login(client, world, "auditor")
    html = client.get(f"/integrations/connectors/{connector.pk}/").content.decode()
    assert SECRET not in html
    assert "••••••6789" in html
    assert 'data-testid="connector-edit"' not in html
    assert 'data-testid="run-now"' not in html


def test_run_now_from_the_page_pulls_through_the_worker(
    client: Any, world: Any, douyin: Any, settings: Any, monkeypatch: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    monkeypatch.setattr(connectors_module, "sleep", lambda _s: None)

    def answer(path: str, query: dict[str, str], headers: dict[str, str]) -> Any:
        assert headers.get("authorization") == SECRET
        rows = [{"author": {"no": "T001"}, "day": query["day"], "stat": {"play": 9}}]
        return 200, {"data": {"list": rows if query.get("page") == "1" else []}}, {}

    with stub(answer) as (base, _seen):
        values = {k: v for k, v in GOOD.items() if k != "source"}
        connector = connector_create(
            source=douyin, **{**values, "url": f"{base}/d", "params": {"day": "{end}"}}
        )
        login(client, world, "hr")
        page = client.get(f"/integrations/connectors/{connector.pk}/").content.decode()
        assert 'data-testid="run-now"' in page
        done = client.post(f"/integrations/connectors/{connector.pk}/run/")
    assert done.status_code == 302
    run = ConnectorRun.objects.get()
    assert (run.status, run.records) == ("succeeded", 1)
    assert Fact.objects.get().value == 9


# --- admin ---------------------------------------------------------------------------------------
@pytest.fixture
def admin_client(client: Any, world: Any) -> Any:
    from heng.accounts.models import User

    root = User.objects.create_superuser(username="root", password="pw-root-123456")
    client.force_login(root, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_the_admin_form_uses_the_same_checks_and_sets_the_next_run(
    admin_client: Any, douyin: Any
) -> None:
    url = "/admin/integrations/connector/add/"
    assert admin_client.get(url).status_code == 200
    refused = admin_client.post(url, {**page_data(schedule="0 2 * *"), "source": douyin.pk})
    assert refused.status_code == 200
    assert "A schedule has five fields" in refused.content.decode() or (
        "schedule" in refused.context["adminform"].form.errors
    )
    assert not Connector.objects.exists()
    saved = admin_client.post(url, {**page_data(), "source": douyin.pk})
    assert saved.status_code == 302, saved.content.decode()[:3000]
    connector = Connector.objects.get()
    assert connector.next_run_at is not None
    assert connector.auth_value == SECRET
    change = admin_client.get(f"/admin/integrations/connector/{connector.pk}/change/")
    assert SECRET not in change.content.decode()
    listing = admin_client.get("/admin/integrations/connector/")
    assert SECRET not in listing.content.decode()
    # left empty on change: the secret stays; the schedule change moves the next run
    admin_client.post(
        f"/admin/integrations/connector/{connector.pk}/change/",
        page_data(auth_value="", schedule="15 4 * * *"),
    )
    connector.refresh_from_db()
    assert connector.auth_value == SECRET
    assert timezone.localtime(connector.next_run_at).time() == dt.time(4, 15)


# --- the every-minute scheduler ------------------------------------------------------------------
def test_a_broken_connector_is_logged_and_skipped_and_the_others_still_run(
    douyin: Any, monkeypatch: Any, caplog: Any
) -> None:
    monkeypatch.setattr(connectors_module, "sleep", lambda _s: None)

    def answer(path: str, query: dict[str, str], headers: dict[str, str]) -> Any:
        rows = [{"author": {"no": "T002"}, "day": query["day"], "stat": {"play": 4}}]
        return 200, {"data": {"list": rows if query.get("page") == "1" else []}}, {}

    with stub(answer) as (base, _seen):
        values = {k: v for k, v in GOOD.items() if k != "source"}
        bad_schedule = connector_create(source=douyin, **{**values, "name": "bad cron"})
        exploding = connector_create(source=douyin, **{**values, "name": "explodes"})
        good = connector_create(
            source=douyin, **{**values, "name": "good", "url": f"{base}/d?day={{end}}"}
        )
        now = timezone.now()
        due = now - dt.timedelta(minutes=1)
        Connector.objects.update(next_run_at=due)
        # a schedule saved behind the checks' back, and a connector whose run blows up
        Connector.objects.filter(pk=bad_schedule.pk).update(schedule="not a cron")
        real_run = connectors_module.connector_run

        def run(*, connector: Connector, scheduled_for: Any = None) -> Any:
            if connector.pk == exploding.pk:
                raise RuntimeError("boom")
            return real_run(connector=connector, scheduled_for=scheduled_for)

        monkeypatch.setattr(connectors_module, "connector_run", run)
        with caplog.at_level(logging.ERROR, logger=connectors_module.__name__):
            runs = connectors_run_due(now=now)
    assert [r.connector_id for r in runs] == [good.pk]
    assert runs[0].status == "succeeded"
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "invalid schedule" in messages
    assert f"connector {exploding.pk} skipped" in messages
    # the bad one is parked (no next run) until someone saves a valid schedule
    assert Connector.objects.get(pk=bad_schedule.pk).next_run_at is None
    # and the next minute's tick runs nothing again and raises nothing
    assert connectors_run_due(now=now + dt.timedelta(minutes=1)) == []
