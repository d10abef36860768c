"""Reminders of the lower apps — appraisal cycles, approvals, contracts — call core's
``notify``, which cannot import the notifications app; the app takes it over when it starts,
so these reminders reach each recipient's channels by his preferences, like pace alerts.

(Here, in the top app's tests, because they drive performance, workflows and people at once.)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail

from heng.core.models import Notification
from heng.core.notifications import notify, register_sender, registered_sender
from heng.notifications.models import Delivery
from heng.notifications.services import channel_setting_save, deliveries_run_due, send
from heng.performance.tests.conftest import frameworks, library, sales_scheme  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _email(user: Any, **kwargs: Any) -> None:
    channel_setting_save(
        user=user, channel="email", enabled=True, address=f"{user.username}@example.com", **kwargs
    )


def _sent_to(user: Any) -> list[str]:
    deliveries_run_due()
    address = f"{user.username}@example.com"
    return [m.subject for m in mail.outbox if m.to == [address]]


def test_the_notifications_app_is_the_registered_sender() -> None:
    assert registered_sender() is send


def test_cycle_reminders_go_out_by_email(world: Any, sales_scheme: Any) -> None:  # noqa: F811
    from heng.performance.services.cycles import cycle_remind
    from heng.performance.tests.cycle_fixtures import publish_scheme
    from heng.performance.tests.review_fixtures import review_cycle

    publish_scheme(sales_scheme)
    cycle = review_cycle(world)
    gz2 = world.users["gz2"]
    _email(gz2)
    assert cycle_remind(cycle=cycle) == 5  # in-app, to everyone with an open invitation
    [subject] = _sent_to(gz2)
    assert cycle.name in subject
    assert Delivery.objects.get(user=gz2).kind == "cycle_reminder"
    assert cycle_remind(cycle=cycle) == 0  # once a day, on every channel
    assert Delivery.objects.filter(user=gz2).count() == 1


def test_approval_requests_and_overdue_reminders_by_kind(world: Any) -> None:
    from heng.workflows.services import approvals_remind_overdue, request_submit

    manager = world.users["gz_manager"]
    # the store manager wants only the overdue reminders by e-mail (the inbox has them all)
    _email(manager, kinds=["approval_reminder"])
    request = request_submit(
        applicant=world.users["gz1"],
        kind="transfer",
        employee=world.people["gz1"],
        payload={"to_unit_id": world.units["SFS"].pk, "effective_date": "2026-12-31"},
        reason="离家近",
    )
    assert Notification.objects.filter(recipient=manager).count() == 1
    assert _sent_to(manager) == []
    request.refresh_from_db()
    assert request.step_due_at is not None
    assert approvals_remind_overdue(now=request.step_due_at + dt.timedelta(hours=1)) == 1
    assert len(_sent_to(manager)) == 1
    assert Delivery.objects.get(user=manager).kind == "approval_reminder"


def test_contract_expiry_reminders_reach_the_webhook_too(world: Any, robot: Any) -> None:
    from heng.people.services import contract_create, contracts_remind_expiring

    hr = world.users["hr"]
    _email(hr)
    channel_setting_save(
        user=hr,
        channel="dingtalk",
        enabled=True,
        webhook_url=robot.url("/dingtalk/robot/send?access_token=c"),
        secret=robot.secret,
    )
    contract_create(
        employee=world.people["gz1"],
        contract_type="fixed",
        start_date=dt.date(2024, 4, 1),
        end_date=dt.date(2026, 3, 31),
    )
    assert contracts_remind_expiring(today=dt.date(2026, 3, 1)) == 1
    [subject] = _sent_to(hr)
    assert world.people["gz1"].name in subject or "T001" in subject
    assert {d.kind for d in Delivery.objects.filter(user=hr)} == {"contract_reminder"}
    assert {d.status for d in Delivery.objects.filter(user=hr)} == {"sent"}
    [message] = robot.received
    assert message.body["msgtype"] == "markdown"


def test_without_the_sender_notify_stays_in_app(world: Any) -> None:
    user = world.users["gz1"]
    _email(user)
    previous = register_sender(None)
    try:
        assert notify(recipients=[user], title="hello", key="plain") == 1
    finally:
        register_sender(previous)
    assert Notification.objects.filter(recipient=user).count() == 1
    assert not Delivery.objects.exists()
    # through the sender: the same call also reaches his e-mail, and a repeat nothing
    assert notify(recipients=[user], title="again", key="routed", kind="general") == 1
    assert notify(recipients=[user], title="again", key="routed", kind="general") == 0
    assert _sent_to(user) == ["again"]
