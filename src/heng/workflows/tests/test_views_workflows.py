"""The transfer walk through the pages: apply, three approvers decide, the history shows it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client
from django.utils import timezone

from heng.people.models import Assignment
from heng.workflows.models import ApprovalRequest

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _as(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")  # assertions read the English texts
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def test_employee_applies_and_three_approvers_decide_on_their_pages(world: Any) -> None:
    effective = timezone.localdate() + dt.timedelta(days=14)
    applicant = _as(world.users["gz1"])
    form = applicant.get("/approvals/new/transfer/")
    assert form.status_code == 200
    assert "广州甲" in form.content.decode()
    response = applicant.post(
        "/approvals/new/transfer/",
        {
            "to_unit": world.units["SFS"].pk,
            "effective_date": effective.isoformat(),
            "reason": "离家近",
        },
    )
    request = ApprovalRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/approvals/{request.pk}/"
    # The applicant sees where it is: step 1, waiting for the store manager.
    page = applicant.get(f"/approvals/{request.pk}/").content.decode()
    assert "step 1 of 3" in page
    assert "waiting for gz_manager" in page
    for step, name in enumerate(["gz_manager", "hr_south", "hr"], start=1):
        approver = _as(world.users[name])
        inbox = approver.get("/approvals/inbox/").content.decode()
        assert f"/approvals/{request.pk}/" in inbox
        detail = approver.get(f"/approvals/{request.pk}/").content.decode()
        assert 'data-testid="decide-form"' in detail
        decided = approver.post(
            f"/approvals/{request.pk}/decide/",
            {"decision": "approve", "step": step, "comment": f"同意{step}"},
        )
        assert decided.status_code == 302
    request = ApprovalRequest.objects.get()
    assert request.state == "approved"
    assert Assignment.objects.filter(employee=world.people["gz1"], start_date=effective).exists()
    history = applicant.get(f"/approvals/{request.pk}/").content.decode()
    for comment in ("同意1", "同意2", "同意3", "离家近"):
        assert comment in history


def test_rejection_reason_is_shown_to_the_applicant(world: Any) -> None:
    applicant = _as(world.users["gz1"])
    applicant.post(
        "/approvals/new/transfer/",
        {
            "to_unit": world.units["SBJ"].pk,
            "effective_date": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
            "reason": "想去北京",
        },
    )
    request = ApprovalRequest.objects.get()
    manager = _as(world.users["gz_manager"])
    no_reason = manager.post(
        f"/approvals/{request.pk}/decide/", {"decision": "reject", "step": 1, "comment": ""}
    )
    assert no_reason.status_code == 302
    assert ApprovalRequest.objects.get().state == "in_review"  # a reason is required
    manager.post(
        f"/approvals/{request.pk}/decide/",
        {"decision": "reject", "step": 1, "comment": "门店旺季缺人"},
    )
    page = applicant.get(f"/approvals/{request.pk}/").content.decode()
    assert 'data-testid="rejection"' in page
    assert "门店旺季缺人" in page


def test_a_stale_page_decision_says_it_was_already_decided(world: Any) -> None:
    applicant = _as(world.users["gz1"])
    applicant.post(
        "/approvals/new/transfer/",
        {
            "to_unit": world.units["SFS"].pk,
            "effective_date": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
            "reason": "x",
        },
    )
    request = ApprovalRequest.objects.get()
    manager = _as(world.users["gz_manager"])
    manager.post(f"/approvals/{request.pk}/decide/", {"decision": "approve", "step": 1})
    again = manager.post(
        f"/approvals/{request.pk}/decide/", {"decision": "approve", "step": 1}, follow=True
    )
    assert ApprovalRequest.objects.get().current_step == 2
    assert "This step has already been decided" in again.content.decode()


def test_bad_form_input_is_shown_next_to_the_form(world: Any) -> None:
    applicant = _as(world.users["gz1"])
    response = applicant.post(
        "/approvals/new/transfer/",
        {"to_unit": world.units["SGZ"].pk, "effective_date": "2099-01-01", "reason": "x"},
    )
    assert response.status_code == 200
    assert "This is already the employee&#x27;s unit and position." in response.content.decode()
    assert not ApprovalRequest.objects.exists()
