"""Scheduled pulls against a local stub: schedule, pagination, auth, retries with back-off,
run log, idempotent re-runs. Plus the cron parser."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.utils import timezone

from heng.core.errors import ValidationFailed
from heng.integrations.cron import next_run, parse_cron
from heng.integrations.models import Batch, ConnectorRun, Fact
from heng.integrations.services import connector_create, connector_run, connectors_run_due
from heng.integrations.services import connectors as connectors_module
from heng.integrations.tests.stub_server import stub


def at(*args: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


def douyin_pages(path: str, query: dict[str, str], headers: dict[str, str]) -> Any:
    """Two pages of two operators' daily numbers, then an empty page; token required."""
    if headers.get("authorization") != "Bearer s3cret":
        return 401, {"error": "no token"}, {}
    day = query.get("day", "")
    pages = {
        "1": [
            {"author": {"no": "T001"}, "stat": {"play": 100, "view": 50}, "day": day},
            {"author": {"no": "T002"}, "stat": {"play": 40, "view": 20}, "day": day},
        ],
        "2": [{"author": {"no": "T005"}, "stat": {"play": 7, "view": 3}, "day": day}],
    }
    return 200, {"data": {"list": pages.get(query.get("page", "1"), [])}}, {}


@pytest.fixture
def no_sleep(monkeypatch: Any) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr(connectors_module, "sleep", waits.append)
    return waits


def make(douyin: Any, url: str, **options: Any) -> Any:
    defaults = {
        "params": {"day": "{end}"},
        "auth_header": "Authorization",
        "auth_value": "Bearer s3cret",
        "records_path": "data.list",
        "field_map": {
            "employee_no": "author.no",
            "date": "day",
            "plays": "stat.play",
            "views": "stat.view",
        },
        "pagination": "page",
        "page_size": 2,
        "page_size_param": "size",
    }
    return connector_create(source=douyin, name="抖音日报", url=url, **{**defaults, **options})


def test_a_daily_0200_connector_pulls_yesterday_on_schedule_and_only_then(
    douyin: Any, world: Any, no_sleep: list[float]
) -> None:
    with stub(douyin_pages) as (base, seen):
        connector = make(douyin, f"{base}/douyin/daily", schedule="0 2 * * *")
        connector.next_run_at = at(2026, 3, 4, 2, 0)
        connector.save()
        # 01:59 — not yet
        assert connectors_run_due(now=at(2026, 3, 4, 1, 59)) == []
        # 02:00 — pulls 3 March, all pages, with the token
        [run] = connectors_run_due(now=at(2026, 3, 4, 2, 0))
        # the next slot is tomorrow 02:00, so a second call in the same minute does nothing
        assert connectors_run_due(now=at(2026, 3, 4, 2, 0, 30)) == []
    connector.refresh_from_db()
    assert connector.next_run_at == at(2026, 3, 5, 2, 0)
    assert (run.status, run.window_start, run.window_end) == (
        "succeeded",
        dt.date(2026, 3, 3),
        dt.date(2026, 3, 3),
    )
    # page 1 (2 records, full) → page 2 (1 record, short: last page)
    assert (run.requests, run.pages, run.records, run.retries) == (2, 2, 3, 0)
    assert [r["query"] for r in seen] == [
        {"day": "2026-03-03", "page": "1", "size": "2"},
        {"day": "2026-03-03", "page": "2", "size": "2"},
    ]
    assert run.batch is not None
    assert run.batch.committed == 3
    assert sorted(Fact.objects.filter(metric__code="plays").values_list("value", flat=True)) == [
        7,
        40,
        100,
    ]


def test_a_weekly_monday_0300_schedule_fires_on_mondays() -> None:
    wednesday = at(2026, 3, 4, 12, 0)
    assert next_run("0 3 * * 1", wednesday) == at(2026, 3, 9, 3, 0)
    assert next_run("0 3 * * mon", at(2026, 3, 9, 3, 0)) == at(2026, 3, 16, 3, 0)


def test_retryable_failures_are_retried_with_exponential_backoff(
    douyin: Any, world: Any, no_sleep: list[float]
) -> None:
    calls = {"n": 0}

    def flaky(path: str, query: dict[str, str], headers: dict[str, str]) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            return 503, {"error": "busy"}, {}
        if calls["n"] == 2:
            return 429, {"error": "slow down"}, {"Retry-After": "5"}
        return douyin_pages(path, {**query, "page": "2"}, headers)

    with stub(flaky) as (base, _seen):
        connector = make(douyin, f"{base}/x", pagination="none", backoff_seconds=1)
        run = connector_run(connector=connector, scheduled_for=at(2026, 3, 4, 2, 0))
    # waits: 1 s after the 503, then max(2 s, Retry-After 5 s) after the 429
    assert no_sleep == [1, 5]
    assert (run.status, run.requests, run.retries, run.records) == ("succeeded", 3, 2, 1)
    assert "HTTP 503" in run.log
    assert "HTTP 429" in run.log


def test_a_client_error_is_not_retried_and_the_run_fails_with_nothing_written(
    douyin: Any, world: Any, no_sleep: list[float]
) -> None:
    with stub(douyin_pages) as (base, seen):
        connector = make(douyin, f"{base}/x", auth_value="Bearer wrong")
        run = connector_run(connector=connector, scheduled_for=at(2026, 3, 4, 2, 0))
    assert (run.status, run.requests, run.retries) == ("failed", 1, 0)
    assert "HTTP 401" in run.error
    assert len(seen) == 1
    assert not Batch.objects.exists()


def test_a_timeout_is_retried_then_given_up(douyin: Any, world: Any, no_sleep: list[float]) -> None:
    def slow(path: str, query: dict[str, str], headers: dict[str, str]) -> Any:
        time.sleep(0.5)
        return douyin_pages(path, query, headers)

    with stub(slow) as (base, _seen):
        connector = make(
            douyin, f"{base}/x", timeout_seconds=0.1, max_attempts=3, backoff_seconds=0.5
        )
        run = connector_run(connector=connector, scheduled_for=at(2026, 3, 4, 2, 0))
    assert (run.status, run.requests, run.retries) == ("failed", 3, 2)
    assert no_sleep == [0.5, 1.0]
    assert "timed out" in run.error
    assert not Fact.objects.exists()


def test_running_the_same_window_again_writes_nothing_new(
    douyin: Any, world: Any, no_sleep: list[float]
) -> None:
    with stub(douyin_pages) as (base, _seen):
        connector = make(douyin, f"{base}/x")
        first = connector_run(connector=connector, scheduled_for=at(2026, 3, 4, 2, 0))
        again = connector_run(connector=connector, scheduled_for=at(2026, 3, 4, 2, 0))
    assert again.batch_id == first.batch_id
    assert "nothing new" in again.log
    assert (Batch.objects.count(), Fact.objects.count()) == (1, 6)
    assert ConnectorRun.objects.count() == 2


def test_cursor_pagination_follows_the_next_cursor(
    douyin: Any, world: Any, no_sleep: list[float]
) -> None:
    def cursor_pages(path: str, query: dict[str, str], headers: dict[str, str]) -> Any:
        if query.get("cursor") == "abc":
            return 200, {"items": [{"no": "T002", "d": "2026-03-03", "p": 2}], "next": None}, {}
        return 200, {"items": [{"no": "T001", "d": "2026-03-03", "p": 1}], "next": "abc"}, {}

    with stub(cursor_pages) as (base, seen):
        connector = make(
            douyin,
            f"{base}/c",
            pagination="cursor",
            cursor_path="next",
            records_path="items",
            params={},
            field_map={"employee_no": "no", "date": "d", "plays": "p"},
        )
        run = connector_run(connector=connector, scheduled_for=at(2026, 3, 4, 2, 0))
    assert (run.status, run.pages, run.records) == ("succeeded", 2, 2)
    assert seen[1]["query"] == {"cursor": "abc"}


def test_the_worker_checks_connectors_every_minute() -> None:
    from heng.integrations.tasks import run_due_connectors

    validate = run_due_connectors.task_class().validate_datetime  # huey's crontab check
    assert validate(dt.datetime(2026, 3, 4, 2, 0))
    assert validate(dt.datetime(2026, 3, 4, 2, 1))


def test_bad_schedules_and_urls_are_refused(douyin: Any) -> None:
    for schedule in ("0 2 * *", "61 * * * *", "0 2 * * funday", "*/0 * * * *"):
        with pytest.raises(ValidationFailed):
            parse_cron(schedule)
    with pytest.raises(ValidationFailed):
        connector_create(source=douyin, name="x", url="file:///etc/passwd")
    with pytest.raises(ValidationFailed):
        connector_create(
            source=douyin, name="x", url="http://127.0.0.1/", field_map={"salary": "s"}
        )
