"""The issue-7 demo walk on the demo company: transfer through three approvers, dispatch scope,
masked and encrypted sensitive data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from heng.accounts.models import User
from heng.demo.build import build_demo
from heng.org.models import OrgUnit
from heng.people.models import Employee
from heng.people.permissions import employees_visible_to
from heng.people.services import assignments_apply_due
from heng.workflows.models import ApprovalRequest

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _as(username: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.get(username=username), backend=MODEL_BACKEND)
    return client


@pytest.fixture
def demo(db: Any) -> None:
    build_demo(employees=300, progress=lambda _m: None)


def test_a_transfer_passes_the_three_approvals_of_the_demo(demo: None) -> None:
    effective = timezone.localdate() + dt.timedelta(days=3)
    shenzhen = OrgUnit.objects.get(code="S-SZ1")
    applicant = _as("gz_sales")
    response = applicant.post(
        "/approvals/new/transfer/",
        {"to_unit": shenzhen.pk, "reason": "想去深圳", "effective_date": effective.isoformat()},
    )
    assert response.status_code == 302, response.content.decode()[-2500:]
    request = ApprovalRequest.objects.get(kind="transfer")
    for step, approver in enumerate(["gz_store", "hr_south", "gz_branch"], start=1):
        assert (
            _as(approver)
            .post(f"/approvals/{request.pk}/decide/", {"decision": "approve", "step": step})
            .status_code
            == 302
        )
    request = ApprovalRequest.objects.get(pk=request.pk)
    assert request.state == "approved"
    assert [d.actor.username for d in request.decisions.filter(outcome="approved")] == [
        "gz_store",
        "hr_south",
        "gz_branch",
    ]
    me = User.objects.get(username="gz_sales").employee
    assert me is not None
    assert Employee.objects.get(pk=me.pk).unit.code == "S-GZ1"
    assignments_apply_due(today=effective)
    assert Employee.objects.get(pk=me.pk).unit.code == "S-SZ1"
    efile = applicant.get(f"/people/{me.pk}/").content.decode()
    assert "深圳旗舰店" in efile


def test_the_partner_store_manager_sees_the_chef_only_during_the_dispatch(demo: None) -> None:
    manager = User.objects.get(username="partner_yl")
    chefs = list(employees_visible_to(manager))
    assert {c.working_unit.code for c in chefs} == {"PS-YL"}
    page = _as("partner_yl").get(f"/people/{chefs[0].pk}/").content.decode()
    number = chefs[0].id_card_number
    assert number not in page  # masked, and no reveal button for him
    assert number[:3] + "*" * 11 + number[-4:] in page
    assert 'data-testid="reveal-id_card_number"' not in page
    ends = [c.assignments.get(reason="dispatch").end_date for c in chefs]
    assert all(ends)
    assignments_apply_due(today=max(ends) + dt.timedelta(days=1))
    assert not employees_visible_to(User.objects.get(username="partner_yl")).exists()


def test_demo_sensitive_columns_are_ciphertext(demo: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_card_number, phone FROM people_employee")
        rows = cursor.fetchall()
        cursor.execute("SELECT salary_items FROM people_contract")
        salaries = cursor.fetchall()
    assert len(rows) == 300
    assert all(i.startswith("enc1:") and p.startswith("enc1:") for i, p in rows)
    assert len(salaries) == 300
    assert all(s.startswith("enc1:") for (s,) in salaries)
    assert ApprovalRequest.objects.filter(kind="dispatch", state="in_review").count() == 1
