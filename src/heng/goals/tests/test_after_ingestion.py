"""The pace check after ingestion, by both paths: queued right after a batch commits
(integrations' ``batch_committed`` hook → goals' task), and the every-minute safety net.
Either may run first, both may run: a breach still alerts exactly once.

Numbers as in test_pace_check: on 15 March gz1 stands at 62 % of the orders pace and at 67 %
on complaints — two breaches, each alerting him and his manager.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from heng.core.models import Notification
from heng.goals.checks import pace_check_after_batch, pace_check_new_batches
from heng.goals.models import PaceAlert, PaceRun
from heng.goals.tasks import announce_pace_alerts_left
from heng.goals.tests.conftest import MID_MARCH, Cascade, daily, ingest

pytestmark = pytest.mark.django_db

MARCH = (
    daily("T001", dt.date(2026, 3, 1), 15, orders=6, complaint_rate=3)
    + daily("T002", dt.date(2026, 3, 1), 15, orders=10)
    + daily("T003", dt.date(2026, 3, 1), 15, orders=9)
)


@pytest.fixture(autouse=True)
def _mid_march(monkeypatch: Any) -> None:
    monkeypatch.setattr("heng.goals.checks.default_as_of", lambda: MID_MARCH)


@pytest.fixture
def worker() -> Iterator[None]:
    """The background worker, run in-line: a queued task runs at once."""
    from huey.contrib.djhuey import HUEY

    was, HUEY.immediate = HUEY.immediate, True
    try:
        yield
    finally:
        HUEY.immediate = was


def _pace_notes() -> int:
    return Notification.objects.filter(key__startswith="pace:").count()


def test_the_check_runs_right_after_the_commit(
    cascade: Cascade, world: Any, worker: None, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        batch = ingest(cascade.source, MARCH)
        assert not PaceRun.objects.exists()  # nothing before the commit
    assert callbacks  # the hook fired on commit
    run = PaceRun.objects.get()
    assert (run.trigger, run.batch_id, run.as_of, run.fired) == (
        "ingestion",
        batch.pk,
        MID_MARCH,
        2,
    )
    assert PaceAlert.objects.count() == 2
    assert _pace_notes() == 4  # gz1 and his manager, for each breach

    # the safety net finds nothing left to do: the check started after the commit
    assert pace_check_new_batches() is None
    # more data, still behind: the next commit checks again, and nobody hears twice
    with django_capture_on_commit_callbacks(execute=True):
        ingest(cascade.source, daily("T004", dt.date(2026, 3, 1), 3, orders=1))
    assert PaceRun.objects.count() == 2
    assert PaceAlert.objects.count() == 2
    assert _pace_notes() == 4


def test_the_safety_net_checks_batches_the_hook_missed(
    cascade: Cascade, march: None, world: Any
) -> None:
    # ``march`` committed without its on-commit hook running (as when the queue is down)
    batch_id = cascade.source.batches.get().pk
    run = pace_check_new_batches()
    assert run is not None
    assert (run.trigger, run.batch_id, run.fired) == ("ingestion", batch_id, 2)
    assert pace_check_new_batches() is None  # nothing new since
    # the announcement was not queued either (no commit hooks here): its own net tells them
    assert _pace_notes() == 0
    assert announce_pace_alerts_left.call_local() == 2
    assert _pace_notes() == 4
    # the lost on-commit check turning up late is not repeated: a check covers the batch
    queued_at = run.started_at - dt.timedelta(seconds=1)
    assert pace_check_after_batch(batch_id=batch_id, committed_after=queued_at) is None
    # a new batch: the net runs once more, and the breaches do not alert again
    later = ingest(cascade.source, daily("T004", dt.date(2026, 3, 1), 3, orders=1))
    again = pace_check_new_batches()
    assert again is not None
    assert (again.batch_id, again.fired) == (later.pk, 0)
    assert PaceAlert.objects.count() == 2
    assert _pace_notes() == 4


def test_both_paths_for_one_batch_alert_once(cascade: Cascade, march: None, world: Any) -> None:
    batch_id = cascade.source.batches.get().pk
    committed = timezone.now()
    first = pace_check_new_batches()  # the net happens to run first …
    second = pace_check_after_batch(batch_id=batch_id)  # … and the queued check anyway
    assert first is not None
    assert second is not None
    assert (first.fired, second.fired) == (2, 0)
    assert PaceAlert.objects.count() == 2
    # queued after a check had started: skipped
    assert pace_check_after_batch(batch_id=batch_id, committed_after=committed) is None


def test_a_queue_that_is_down_loses_nothing(
    cascade: Cascade, world: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    def down(**_kwargs: Any) -> None:
        raise ConnectionError("queue down")

    monkeypatch.setattr("heng.goals.services.pace_check_after_ingestion", down)
    with django_capture_on_commit_callbacks(execute=True):
        batch = ingest(cascade.source, MARCH)  # the commit itself is not disturbed
    assert batch.status == "committed"
    assert not PaceRun.objects.exists()
    run = pace_check_new_batches()
    assert run is not None
    assert run.fired == 2
