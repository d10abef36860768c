"""Authorization matrix for goals and notifications: every API endpoint and page × every role.

Same rules as the project matrix (workflows/tests/test_authz_matrix.py): a row names who
succeeds; everyone else gets "not found" (out of scope) or "forbidden" (in scope, not allowed),
as the row says; a refused write leaves every table exactly as it was. The coverage test at the
end fails when a route under this app's prefixes has no row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from heng.goals.tests.conftest import Cascade

ROLES = ("hr", "hr_south", "gz_manager", "partner_manager", "gz1", "auditor", "nobody")
EVERYONE = frozenset(ROLES)
F = frozenset
# gz1 (Guangzhou store) and the Guangzhou branch's goals: seen from above and by himself.
SEES_GZ1 = F({"hr", "auditor", "hr_south", "gz_manager", "gz1"})
SEES_GOAL = SEES_GZ1  # the branch's cascade: the chain above the store, the region, company
MANAGES = F({"hr", "hr_south"})
HAS_EMPLOYEE = F({"hr", "gz1"})
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
PREFIXES = (
    "/api/v1/goals", "/api/v1/goals-tree", "/api/v1/goals-dashboard", "/api/v1/pace-",
    "/api/v1/recognitions", "/api/v1/inbox", "/api/v1/notification-channels",
    "/api/v1/deliveries", "/goals/", "/notifications/",
)  # fmt: skip


@dataclass(frozen=True)
class Case:
    route: str
    url: str
    allowed: frozenset[str]
    ok: int = 200
    forbidden: frozenset[str] = frozenset()
    denied: int = 404
    body: dict[str, Any] | None = None

    @property
    def method(self) -> str:
        return self.route.split()[0]


def api(route: str, url: str | None = None, **kw: Any) -> Case:
    method, path = route.split(maxsplit=1)
    return Case(route=f"{method} /api/v1{path}", url="/api/v1" + (url or path), **kw)


def page(route: str, url: str, **kw: Any) -> Case:
    return Case(route=route, url=url, **kw)


YEAR = {"start_date": "2026-01-01", "end_date": "2026-12-31"}
OBJECTIVE = {"kind": "objective", "title": "新目标", **YEAR}
CASES: list[Case] = [
    # --- goals API ------------------------------------------------------------------------
    api("GET /goals", allowed=EVERYONE),
    api("POST /goals", allowed=MANAGES, ok=201, forbidden=F({"auditor"}),
        body={**OBJECTIVE, "unit_id": "{BGZ}", "parent_id": "{strategy}"}),
    api("GET /goals/{goal_id}", "/goals/{objective}", allowed=SEES_GOAL),
    api("GET /goals/{goal_id}", "/goals/{north}", allowed=F({"hr", "auditor"})),
    api("PATCH /goals/{goal_id}", "/goals/{objective}", allowed=MANAGES,
        forbidden=F({"auditor", "gz_manager", "gz1"}), body={"title": "改名"}),
    api("PUT /goals/{goal_id}/weights", "/goals/{objective}/weights", allowed=MANAGES,
        forbidden=F({"auditor", "gz_manager", "gz1"}),
        body={"weights": {"{kr1}": 60, "{kr2}": 40}}),
    api("POST /goals/{goal_id}/assignees", "/goals/{complaints}/assignees", allowed=MANAGES,
        ok=201, forbidden=F({"auditor", "gz_manager"}), body={"employee_id": "{gz2}"}),
    api("DELETE /goals/{goal_id}/assignees/{employee_id}", "/goals/{complaints}/assignees/{gz1}",
        allowed=MANAGES, ok=204, forbidden=F({"auditor", "gz_manager", "gz1"})),
    api("GET /goals/{goal_id}/holders", "/goals/{orders}/holders", allowed=SEES_GOAL),
    api("GET /goals/{goal_id}/notes", "/goals/{complaints}/notes", allowed=SEES_GOAL),
    api("POST /goals/{goal_id}/notes", "/goals/{complaints}/notes",
        allowed=F({"hr", "hr_south", "gz1"}), ok=201, forbidden=F({"auditor", "gz_manager"}),
        body={"text": "回访"}),
    api("POST /goals/{goal_id}/progress", "/goals/{kr1}/progress", allowed=MANAGES, ok=201,
        forbidden=F({"auditor", "gz_manager", "gz1"}), body={"value": 25}),
    api("GET /goals-tree", allowed=HAS_EMPLOYEE),
    api("GET /goals-tree", "/goals-tree?employee_id={gz1}", allowed=SEES_GZ1),
    api("GET /goals-dashboard/me", allowed=HAS_EMPLOYEE),
    api("GET /goals-dashboard/people/{employee_id}", "/goals-dashboard/people/{gz1}",
        allowed=SEES_GZ1),
    api("GET /goals-dashboard/people/{employee_id}", "/goals-dashboard/people/{bj1}",
        allowed=F({"hr", "auditor"})),
    api("GET /goals-dashboard/units/{unit_id}", "/goals-dashboard/units/{SGZ}", allowed=SEES_GZ1),
    api("GET /pace-alerts", allowed=EVERYONE),
    api("GET /recognitions", allowed=EVERYONE),
    api("POST /recognitions", allowed=F({"hr", "hr_south", "gz_manager"}), ok=201,
        forbidden=F({"auditor", "gz1"}),
        body={"employee_id": "{gz1}", "points": 5, "message": "好"}),
    api("GET /pace-checks", allowed=F({"hr"}), forbidden=EVERYONE - {"hr"}),
    api("GET /pace-thresholds", allowed=F({"hr"}), forbidden=EVERYONE - {"hr"}),
    api("PUT /pace-thresholds/indicators/{code}", "/pace-thresholds/indicators/monthly_orders",
        allowed=F({"hr"}), forbidden=EVERYONE - {"hr"}, body={"threshold": "0.8"}),
    api("PUT /pace-thresholds/schemes/{code}", "/pace-thresholds/schemes/NOPE",
        allowed=F(), forbidden=EVERYONE - {"hr"}, body={"threshold": "0.8"}),
    api("POST /pace-checks", allowed=F({"hr"}), ok=201, forbidden=EVERYONE - {"hr"},
        body={"as_of": "2026-03-15"}),
    # --- notifications API -------------------------------------------------------------------
    api("GET /inbox", allowed=EVERYONE),
    api("GET /inbox/unread-count", allowed=EVERYONE),
    api("POST /inbox/read", allowed=EVERYONE),
    api("POST /inbox/{notification_id}/read", "/inbox/{note_gz1}/read", allowed=F({"gz1"})),
    api("GET /notification-channels", allowed=EVERYONE),
    api("PUT /notification-channels/{channel}", "/notification-channels/email",
        allowed=EVERYONE, body={"enabled": True, "address": "x@example.com"}),
    api("POST /notification-channels/{channel}/test", "/notification-channels/email/test",
        allowed=F({"gz1"}), denied=422),
    api("GET /deliveries", allowed=EVERYONE),
    # --- pages ------------------------------------------------------------------------------
    page("GET /goals/", "/goals/", allowed=EVERYONE, ok=302),
    page("GET /goals/me/", "/goals/me/", allowed=HAS_EMPLOYEE),
    page("GET /goals/people/<int:employee_id>/", "/goals/people/{gz1}/", allowed=SEES_GZ1),
    page("POST /goals/people/<int:employee_id>/", "/goals/people/{gz1}/",
         allowed=F({"hr", "hr_south", "gz_manager"}), ok=302, forbidden=F({"auditor", "gz1"}),
         body={"points": 3, "message": "好"}),
    page("GET /goals/tree/", "/goals/tree/", allowed=EVERYONE),
    page("GET /goals/team/", "/goals/team/", allowed=EVERYONE - {"nobody"}),
    page("GET /goals/alerts/", "/goals/alerts/", allowed=EVERYONE),
    page("GET /goals/new/", "/goals/new/", allowed=F({"hr", "hr_south", "gz_manager",
         "partner_manager"}), forbidden=F({"gz1", "auditor", "nobody"})),
    page("POST /goals/new/", "/goals/new/", allowed=F({"hr", "hr_south", "gz_manager"}),
         ok=302, forbidden=F({"gz1", "auditor", "nobody"}),
         body={**OBJECTIVE, "unit": "{SGZ}", "parent": "{strategy}", "cadence": "month",
               "pace_mode": "level"}),
    page("GET /goals/<int:goal_id>/", "/goals/{objective}/", allowed=SEES_GOAL),
    page("GET /goals/<int:goal_id>/edit/", "/goals/{objective}/edit/", allowed=MANAGES,
         forbidden=F({"auditor", "gz_manager", "gz1"})),
    page("POST /goals/<int:goal_id>/edit/", "/goals/{objective}/edit/", allowed=MANAGES,
         ok=302, forbidden=F({"auditor", "gz_manager", "gz1"}),
         body={**OBJECTIVE, "unit": "{BGZ}", "cadence": "month", "pace_mode": "level"}),
    page("POST /goals/<int:goal_id>/notes/", "/goals/{complaints}/notes/",
         allowed=F({"hr", "hr_south", "gz1"}), ok=302, forbidden=F({"auditor", "gz_manager"}),
         body={"text": "回访"}),
    page("POST /goals/<int:goal_id>/weights/", "/goals/{objective}/weights/", allowed=MANAGES,
         ok=302, forbidden=F({"auditor", "gz_manager", "gz1"}),
         body={"w-{kr1}": "70", "w-{kr2}": "30"}),
    page("POST /goals/<int:goal_id>/archive/", "/goals/{kr2}/archive/", allowed=MANAGES, ok=302,
         forbidden=F({"auditor", "gz_manager", "gz1"})),
    page("GET /notifications/", "/notifications/", allowed=EVERYONE),
    page("POST /notifications/read/", "/notifications/read/", allowed=F({"gz1"}), ok=302,
         body={"id": "{note_gz1}"}),
    page("GET /notifications/channels/", "/notifications/channels/", allowed=EVERYONE),
    page("POST /notifications/channels/", "/notifications/channels/", allowed=EVERYONE, ok=302,
         body={"channel": "email", "enabled": "on", "address": "x@example.com"}),
]  # fmt: skip


@pytest.fixture
def objects(world: Any, cascade: Cascade, settings: Any) -> dict[str, Any]:
    from heng.core.models import Notification
    from heng.goals.services import goal_create
    from heng.notifications.services import channel_setting_save, send

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    north = goal_create(actor=world.users["hr"], kind="objective", unit=world.units["BBJ"],
                        title="北方目标", start_date=dt.date(2026, 1, 1),
                        end_date=dt.date(2026, 12, 31))  # fmt: skip
    send(recipients=[world.users["gz1"]], title="hello", key="matrix")
    channel_setting_save(user=world.users["gz1"], channel="email", enabled=True,
                         address="gz1@example.com")  # fmt: skip
    return {
        **{code: u.pk for code, u in world.units.items()},
        **{k: p.pk for k, p in world.people.items()},
        "strategy": cascade.strategy.pk,
        "objective": cascade.objective.pk,
        "kr1": cascade.kr1.pk,
        "kr2": cascade.kr2.pk,
        "orders": cascade.orders.pk,
        "complaints": cascade.complaints.pk,
        "north": north.pk,
        "note_gz1": Notification.objects.get(key=f"matrix:{world.users['gz1'].pk}").pk,
    }


def _fill(value: Any, objects: dict[str, Any]) -> Any:
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in objects:
            return objects[value[1:-1]]
        return value.format(**objects) if "{" in value else value
    if isinstance(value, dict):
        return {_fill(k, objects): _fill(v, objects) for k, v in value.items()}
    return value


def _fingerprint() -> str:
    from heng.core.backup import _rows, backup_models

    digest = hashlib.sha256()
    for model in backup_models():
        if model._meta.label_lower in {"sessions.session", "axes.accessattempt", "axes.accesslog"}:
            continue
        digest.update(model._meta.label_lower.encode())
        for line in _rows(model, "default"):
            digest.update(line)
    return digest.hexdigest()


def _call(client: Client, case: Case, objects: dict[str, Any]) -> Any:
    url = _fill(case.url, objects)
    body = _fill(case.body, objects) if case.body is not None else None
    if case.method == "GET":
        return client.get(url)
    if url.startswith("/api/"):
        return client.generic(
            case.method, url, data=json.dumps(body or {}), content_type="application/json"
        )
    return client.post(url, body or {})


def _expected(case: Case, role: str) -> int:
    if role == "anon":
        return 401 if case.url.startswith("/api/") else 302
    if role in case.allowed:
        return case.ok
    return 403 if role in case.forbidden else case.denied


@pytest.mark.parametrize("case", CASES, ids=[f"{c.route} {c.url}" for c in CASES])
def test_matrix(case: Case, objects: dict[str, Any], monkeypatch: Any) -> None:
    from heng.accounts.models import User

    monkeypatch.setattr("heng.goals.evaluation.default_as_of", lambda: dt.date(2026, 3, 15))
    problems = []
    writes = case.method != "GET"
    for role in (*ROLES, "anon"):
        with transaction.atomic():
            client = Client()
            if role != "anon":
                client.force_login(User.objects.get(username=role), backend=MODEL_BACKEND)
            before = _fingerprint() if writes else ""
            response = _call(client, case, objects)
            expected = _expected(case, role)
            if response.status_code != expected:
                problems.append(
                    f"{role}: {response.status_code} (expected {expected}) "
                    f"{response.content[:160]!r}"
                )
            elif writes and role not in case.allowed and _fingerprint() != before:
                problems.append(f"{role}: refused with {expected} but the database changed")
            transaction.set_rollback(True)
    assert not problems, "\n".join(problems)


def test_every_route_of_goals_and_notifications_is_in_the_matrix() -> None:
    from django.urls import URLPattern, URLResolver, get_resolver

    from heng.config.api import api as ninja_api

    routes = {
        f"{method.upper()} {path}"
        for path, ops in ninja_api.get_openapi_schema()["paths"].items()
        for method in ops
    }

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            pattern = str(p.pattern)
            if isinstance(p, URLResolver):
                if not pattern.startswith(("admin/", "api/")):
                    walk(p.url_patterns, prefix + pattern)
            elif isinstance(p, URLPattern):
                routes.add("/" + prefix + pattern)

    walk(get_resolver().url_patterns, "")
    mine = [r for r in routes if r.split()[-1].startswith(PREFIXES)]
    covered = {c.route for c in CASES} | {c.route.split()[1] for c in CASES}
    missing = sorted(r for r in mine if r not in covered)
    assert not missing, "add these to CASES:\n" + "\n".join(missing)
    assert len(mine) >= 40  # the prefixes still match the apps' routes
