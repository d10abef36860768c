"""K2: the audit trail — recorded by services, searchable and exportable by auditors."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client

from heng.core.models import AuditEvent
from heng.org.models import OrgUnit
from heng.people.services import (
    assignment_change,
    contract_create,
    contract_update,
    employee_update,
)

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
ID = "11010519491231002X"


def _as(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user, backend=MODEL_BACKEND)
    return client


@pytest.fixture
def changes(world: Any) -> Any:
    hr = world.users["hr"]
    employee_update(employee=world.people["gz1"], actor=hr, email="gz1@heng.cn", id_card_number=ID)
    assignment_change(
        employee=world.people["gz1"],
        actor=hr,
        start_date=dt.date(2025, 1, 1),
        reason="promotion",
        note="升店长助理",
    )
    contract = contract_create(
        employee=world.people["gz1"],
        actor=hr,
        contract_type="fixed",
        start_date=dt.date(2024, 1, 1),
        end_date=dt.date(2025, 12, 31),
        salary_items=[{"item": "base", "amount": 6000}],
    )
    contract_update(
        contract=contract,
        actor=hr,
        end_date=dt.date(2026, 12, 31),
        salary_items=[{"item": "base", "amount": 6500}],
    )
    return world


def test_each_change_is_recorded_with_actor_and_before_after(changes: Any) -> None:
    gz1 = changes.people["gz1"]
    events = {e.action: e for e in AuditEvent.objects.filter(employee_id=gz1.pk, actor_label="hr")}
    assert set(events) == {
        "employee.update",
        "assignment.create",
        "contract.create",
        "contract.update",
    }
    update = events["employee.update"]
    assert update.before == {"email": "", "id_card_number": ""}
    assert update.after == {"email": "gz1@heng.cn", "id_card_number": "[redacted]"}
    contract = events["contract.update"]
    assert contract.before == {"end_date": "2025-12-31", "salary_items": "[redacted]"}
    assert contract.after == {"end_date": "2026-12-31", "salary_items": "[redacted]"}
    placement = events["assignment.create"]
    # The previous placement against the new one: what differs.
    assert (placement.before["reason"], placement.after["reason"]) == ("hire", "promotion")
    assert (placement.before["start_date"], placement.after["start_date"]) == (
        "2024-01-01",
        "2025-01-01",
    )


def test_a_failed_change_leaves_no_audit_row(world: Any) -> None:
    from heng.people.errors import EmployeeInvalid

    before = AuditEvent.objects.count()
    with pytest.raises(EmployeeInvalid):
        employee_update(
            employee=world.people["gz1"],
            actor=world.users["hr"],
            id_card_number="110105194912310021",
        )
    assert AuditEvent.objects.count() == before


def test_the_request_id_and_ip_are_kept(world: Any) -> None:
    client = _as(world.users["hr"])
    client.patch(
        f"/api/v1/employees/{world.people['gz2'].pk}",
        {"email": "x@heng.cn"},
        content_type="application/json",
        HTTP_X_REQUEST_ID="req-0000abcd",
        REMOTE_ADDR="10.1.2.3",
    )
    event = AuditEvent.objects.get(action="employee.update", employee_id=world.people["gz2"].pk)
    assert (event.request_id, event.ip, event.actor_label) == ("req-0000abcd", "10.1.2.3", "hr")


def test_auditor_searches_filters_and_exports(changes: Any) -> None:
    auditor = _as(changes.users["auditor"])
    page = auditor.get("/audit/", {"action": "contract"}).content.decode()
    assert page.count("contract.update") + page.count("Contract changed") >= 1
    assert "Placement changed" not in page
    export = auditor.get("/audit/export.csv", {"actor": "hr", "action": "contract"})
    assert export["Content-Type"].startswith("text/csv")
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["action"] for r in rows] == ["contract.update", "contract.create"]
    assert "6500" not in text
    assert ID not in text


def test_only_auditors_and_hr_admins_read_the_trail(changes: Any) -> None:
    assert _as(changes.users["hr_south"]).get("/audit/").status_code == 404
    assert _as(changes.users["gz1"]).get("/api/v1/audit/events").status_code == 404
    body = (
        _as(changes.users["auditor"])
        .get("/api/v1/audit/events", {"employee_id": changes.people["gz1"].pk})
        .json()
    )
    assert body["count"] >= 4


def test_efile_history_page_shows_what_when_who(changes: Any) -> None:
    page = (
        _as(changes.users["gz_manager"])
        .get(f"/people/{changes.people['gz1'].pk}/history/")
        .content.decode()
    )
    assert "E-file changed" in page
    assert "gz1@heng.cn" in page
    assert "[redacted]" in page
    assert ID not in page
    assert "Record versions" in page


def test_audit_events_cannot_be_edited_or_deleted(changes: Any) -> None:
    event = AuditEvent.objects.first()
    assert event is not None
    event.note = "tampered"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


def test_admin_edits_are_audited_and_show_no_sensitive_values(changes: Any) -> None:
    admin = _as(changes.users["hr"])
    gz1 = changes.people["gz1"]
    page = admin.get(f"/admin/people/employee/{gz1.pk}/change/").content.decode()
    assert ID not in page
    assert 'name="id_card_number"' not in page
    form = {
        "employee_no": gz1.employee_no,
        "name": "广州甲（改）",
        "gender": "",
        "hire_date": "2024-01-01",
        "status": "active",
        "email": "gz1@heng.cn",
        "unit": OrgUnit.objects.get(code="SGZ").pk,
        "working_unit": "",
        "position": gz1.position_id,
        "assignments-TOTAL_FORMS": "0",
        "assignments-INITIAL_FORMS": "0",
    }
    response = admin.post(f"/admin/people/employee/{gz1.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[-800:]
    event = AuditEvent.objects.filter(action="employee.update", note="admin").get()
    assert event.after == {"name": "广州甲（改）"}
    assert event.actor_label == "hr"
