"""A6/A5: transfers and dispatches through the approval route, step by step."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from heng.core.errors import PermissionDenied, ValidationFailed
from heng.core.models import AuditEvent, Notification
from heng.people.models import Assignment, Employee
from heng.people.permissions import employees_visible_to
from heng.people.services import assignments_apply_due
from heng.workflows.errors import AlreadyDecided, RequestInvalid
from heng.workflows.models import ApprovalRequest, Decision, RequestState
from heng.workflows.selectors import inbox, timeline
from heng.workflows.services import (
    approvals_remind_overdue,
    request_decide,
    request_submit,
    request_withdraw,
)

TODAY = timezone.localdate()


def _transfer(world: Any, *, days: int = 10, unit: str = "SFS") -> ApprovalRequest:
    return request_submit(
        applicant=world.users["gz1"],
        kind="transfer",
        employee=world.people["gz1"],
        payload={
            "to_unit_id": world.units[unit].pk,
            "effective_date": (TODAY + dt.timedelta(days=days)).isoformat(),
        },
        reason="离家近",
    )


def _fresh(request: ApprovalRequest) -> ApprovalRequest:
    return ApprovalRequest.objects.get(pk=request.pk)


def test_transfer_passes_three_approvals_and_takes_effect_on_its_date(world: Any) -> None:
    # Given gz1 applies to move from the Guangzhou store to Foshan in 10 days
    request = _transfer(world)
    assert (request.state, request.current_step) == ("in_review", 1)
    # Then step 1 waits for his store manager, step 2 for the region's HR, step 3 (the head
    # above the store manager: none in this tree) falls back to the company's HR admin.
    assert list(inbox(world.users["gz_manager"])) == [request]
    request_decide(
        actor=world.users["gz_manager"], request_id=request.pk, approve=True, comment="同意", step=1
    )
    assert list(inbox(world.users["hr_south"])) == [request]
    assert not inbox(world.users["gz_manager"]).exists()
    request_decide(actor=world.users["hr_south"], request_id=request.pk, approve=True, step=2)
    done = request_decide(actor=world.users["hr"], request_id=request.pk, approve=True, step=3)
    # When finally approved the new assignment is stored for the effective date...
    assert done.state == RequestState.APPROVED
    effective = TODAY + dt.timedelta(days=10)
    new = Assignment.objects.get(employee=world.people["gz1"], start_date=effective)
    assert (new.home_unit, new.reason) == (world.units["SFS"], "transfer")
    gz1 = Employee.objects.get(pk=world.people["gz1"].pk)
    assert gz1.unit == world.units["SGZ"]  # not yet
    # ...and the nightly job moves him on the day.
    assignments_apply_due(today=effective)
    gz1.refresh_from_db()
    assert gz1.unit == world.units["SFS"]
    # The history shows every step: who, when, what.
    outcomes = [
        (d.step, d.outcome, d.actor.username if d.actor else None) for d in done.decisions.all()
    ]
    assert outcomes == [
        (0, "submitted", "gz1"),
        (1, "approved", "gz_manager"),
        (2, "approved", "hr_south"),
        (3, "approved", "hr"),
        (3, "applied", None),
    ]
    assert [s.status for s in timeline(done)] == ["done", "done", "done"]
    actions = list(
        AuditEvent.objects.filter(employee_id=gz1.pk)
        .values_list("action", flat=True)
        .order_by("id")
    )
    assert actions[-6:] == [
        "approval.submit",
        "approval.decide",
        "approval.decide",
        "assignment.create",
        "approval.decide",
        "employee.placement_applied",
    ]


def test_rejection_stops_the_request_and_the_applicant_sees_why(world: Any) -> None:
    request = _transfer(world)
    request_decide(actor=world.users["gz_manager"], request_id=request.pk, approve=True, step=1)
    before = Assignment.objects.count()
    with pytest.raises(ValidationFailed):  # a rejection needs a reason
        request_decide(actor=world.users["hr_south"], request_id=request.pk, approve=False)
    rejected = request_decide(
        actor=world.users["hr_south"],
        request_id=request.pk,
        approve=False,
        comment="佛山店编制已满",
        step=2,
    )
    assert rejected.state == RequestState.REJECTED
    assert Assignment.objects.count() == before
    assert [s.status for s in timeline(rejected)] == ["done", "rejected", "skipped"]
    assert timeline(rejected)[1].decision.comment == "佛山店编制已满"
    note = Notification.objects.get(recipient=world.users["gz1"], key__startswith="approval-closed")
    assert f"#{request.pk}" in note.title


def test_someone_who_is_not_an_approver_of_the_step_is_refused(world: Any) -> None:
    request = _transfer(world)
    for name in ("hr_south", "partner_manager", "gz1"):
        user = world.users[name]
        with pytest.raises(PermissionDenied):
            request_decide(actor=user, request_id=request.pk, approve=True, step=1)
    assert Decision.objects.filter(request=request).count() == 1  # just the submission
    assert _fresh(request).current_step == 1


def test_a_stale_decision_is_refused_and_changes_nothing(world: Any) -> None:
    request = _transfer(world)
    request_decide(actor=world.users["gz_manager"], request_id=request.pk, approve=True, step=1)
    with pytest.raises(AlreadyDecided):
        request_decide(
            actor=world.users["gz_manager"],
            request_id=request.pk,
            approve=False,
            comment="改主意",
            step=1,
        )
    assert _fresh(request).current_step == 2
    assert Decision.objects.filter(request=request, outcome="rejected").count() == 0


def test_the_applicant_withdraws_and_only_he_can(world: Any) -> None:
    request = _transfer(world)
    with pytest.raises(PermissionDenied):
        request_withdraw(actor=world.users["gz_manager"], request_id=request.pk)
    request_withdraw(actor=world.users["gz1"], request_id=request.pk, comment="不调了")
    assert _fresh(request).state == RequestState.WITHDRAWN
    assert not inbox(world.users["gz_manager"]).exists()
    with pytest.raises(AlreadyDecided):
        request_decide(actor=world.users["gz_manager"], request_id=request.pk, approve=True)


def test_one_open_transfer_per_person(world: Any) -> None:
    _transfer(world)
    with pytest.raises(RequestInvalid) as err:
        _transfer(world, days=20, unit="SBJ")
    assert err.value.code == "request_already_open"
    assert ApprovalRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"to_unit_id": 999999, "effective_date": "2099-01-01"}, "to_unit_id"),
        ({"to_unit_id": "P", "effective_date": "2099-01-01"}, "to_unit_id"),
        ({"to_unit_id": "SFS", "effective_date": "2000-01-01"}, "effective_date"),
        ({"to_unit_id": "SFS", "effective_date": "soon"}, "effective_date"),
        ({"to_unit_id": "SGZ", "effective_date": "2099-01-01"}, "to_unit_id"),
    ],
)
def test_bad_transfer_details_are_refused_with_the_field(
    world: Any, payload: dict[str, Any], field: str
) -> None:
    if isinstance(payload["to_unit_id"], str):
        payload = {**payload, "to_unit_id": world.units[payload["to_unit_id"]].pk}
    with pytest.raises(RequestInvalid) as err:
        request_submit(
            applicant=world.users["gz1"],
            kind="transfer",
            employee=world.people["gz1"],
            payload=payload,
        )
    assert field in err.value.fields
    assert not ApprovalRequest.objects.exists()


def test_an_employee_cannot_apply_for_someone_else(world: Any) -> None:
    with pytest.raises(PermissionDenied):
        request_submit(
            applicant=world.users["gz1"],
            kind="transfer",
            employee=world.people["gz2"],
            payload={"to_unit_id": world.units["SFS"].pk, "effective_date": "2099-01-01"},
        )
    assert not ApprovalRequest.objects.exists()


def test_nobody_approves_his_own_request(world: Any) -> None:
    from heng.accounts.services import role_grant, user_create

    # gz2 is also a deputy manager of his store: his own transfer goes to the other manager.
    deputy = user_create(
        username="deputy", password="pw", employee=world.people["gz2"], check_password=False
    )
    role_grant(user=deputy, role="unit_head", unit=world.units["SGZ"])
    request = request_submit(
        applicant=deputy,
        kind="transfer",
        employee=world.people["gz2"],
        payload={
            "to_unit_id": world.units["SFS"].pk,
            "effective_date": (TODAY + dt.timedelta(days=3)).isoformat(),
        },
    )
    assert set(request.approvers.values_list("user__username", flat=True)) == {"gz_manager"}


def test_dispatch_gives_the_store_manager_the_file_only_during_the_dispatch(flow: Any) -> None:
    start, end = TODAY + dt.timedelta(days=3), TODAY + dt.timedelta(days=33)
    request = request_submit(
        applicant=flow.users["kitchen_head"],
        kind="dispatch",
        employee=flow.people["cook"],
        payload={
            "working_unit_id": flow.units["P"].pk,
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
        },
    )
    # The kitchen head applied, so he does not review it himself: the HR admin decides both.
    request_decide(actor=flow.users["hr"], request_id=request.pk, approve=True, step=1)
    request_decide(actor=flow.users["hr"], request_id=request.pk, approve=True, step=2)
    partner = flow.users["partner_manager"]

    def sees_cook(day: dt.date) -> bool:
        assignments_apply_due(today=day)
        fresh = type(partner).objects.get(pk=partner.pk)  # a new request, a new scope
        return employees_visible_to(fresh).filter(pk=flow.people["cook"].pk).exists()

    assert not sees_cook(TODAY)  # approved, not started
    assert sees_cook(start)
    assert sees_cook(end)
    assert not sees_cook(end + dt.timedelta(days=1))
    cook = Employee.objects.get(pk=flow.people["cook"].pk)
    assert (cook.unit, cook.working_unit) == (flow.units["K"], None)


def test_overdue_steps_are_reminded_once_a_day(world: Any) -> None:
    request = _transfer(world)
    due = _fresh(request).step_due_at
    assert due is not None
    manager = world.users["gz_manager"]
    assert approvals_remind_overdue(now=due - dt.timedelta(minutes=1)) == 0
    assert approvals_remind_overdue(now=due + dt.timedelta(hours=1)) == 1
    assert approvals_remind_overdue(now=due + dt.timedelta(hours=2)) == 0  # not again yet
    assert approvals_remind_overdue(now=due + dt.timedelta(hours=26)) == 1
    assert (
        Notification.objects.filter(recipient=manager, key__startswith="approval-overdue:").count()
        == 2
    )
