"""Two approvers deciding the same step at the same moment: exactly one transition."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from heng.accounts.models import Role
from heng.accounts.services import role_grant, user_create
from heng.workflows import services
from heng.workflows.errors import AlreadyDecided
from heng.workflows.models import ApprovalRequest, Decision
from heng.workflows.services import request_decide, request_submit


@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_once_make_exactly_one_transition(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a store with two managers, both approvers of step 1 of gz1's transfer
    second = user_create(username="gz_deputy", password="pw", check_password=False)
    role_grant(user=second, role=Role.UNIT_HEAD, unit=world.units["SGZ"])
    request = request_submit(
        applicant=world.users["gz1"],
        kind="transfer",
        employee=world.people["gz1"],
        payload={
            "to_unit_id": world.units["SFS"].pk,
            "effective_date": (timezone.localdate() + dt.timedelta(days=9)).isoformat(),
        },
    )
    assert set(request.approvers.filter(step=1).values_list("user__username", flat=True)) == {
        "gz_manager",
        "gz_deputy",
    }
    # When both click at the same moment, each on his own database connection; a pause inside
    # the decision (after the checks, before the writes) makes the two overlap for certain.
    real_snapshot = services._snapshot

    def slow_snapshot(req: Any) -> Any:
        time.sleep(0.5)
        return real_snapshot(req)

    monkeypatch.setattr(services, "_snapshot", slow_snapshot)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def click(user: Any, approve: bool) -> None:
        try:
            barrier.wait(timeout=10)
            request_decide(
                actor=user, request_id=request.pk, approve=approve, comment="并发", step=1
            )
            outcomes[user.username] = "decided"
        except AlreadyDecided:
            outcomes[user.username] = "already decided"
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=click, args=(world.users["gz_manager"], True)),
        threading.Thread(target=click, args=(second, False)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    # Then exactly one decided step 1 and the other was told it is already decided
    assert sorted(outcomes.values()) == ["already decided", "decided"], outcomes
    assert (
        Decision.objects.filter(
            request=request, step=1, outcome__in=["approved", "rejected"]
        ).count()
        == 1
    )
    fresh = ApprovalRequest.objects.get(pk=request.pk)
    winner = next(name for name, o in outcomes.items() if o == "decided")
    expected = ("in_review", 2) if winner == "gz_manager" else ("rejected", 1)
    assert (fresh.state, fresh.current_step) == expected
