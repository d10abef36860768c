"""The authorization matrix: every API endpoint and page × every role × objects in/out of scope.

One row per (endpoint, object). A row names the roles that succeed; every other role must get
"not found" (out of scope) or "forbidden" (in scope, not allowed) — whichever the row says —
and a refused write must leave every table exactly as it was. Anonymous callers get 401 from
the API and a redirect to the login page from pages.

Adding an endpoint? Add a row to ``CASES`` (``test_every_route_is_in_the_matrix`` fails until
you do). URLs use ``{name}`` placeholders resolved from the ``objects`` fixture below.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

ROLES = ("hr", "hr_south", "gz_manager", "partner_manager", "gz1", "auditor", "nobody")
EVERYONE = frozenset(ROLES)
# Who sees what in the test world (conftest.py): the Guangzhou store's employee gz1...
SEES_GZ1 = frozenset({"hr", "auditor", "hr_south", "gz_manager", "gz1"})
MANAGES_GZ1 = frozenset({"hr", "hr_south"})
COMPANY = frozenset({"hr", "auditor"})  # ...the Beijing employee bj1 (north: nobody else)
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
FUTURE = (timezone.localdate() + dt.timedelta(days=20)).isoformat()


@dataclass(frozen=True)
class Case:
    route: str  # "METHOD path-template" as the app declares it (coverage check)
    url: str  # with {placeholders} from the objects fixture
    allowed: frozenset[str]
    ok: int = 200
    forbidden: frozenset[str] = frozenset()  # refused with 403 (in scope, not permitted)
    denied: int = 404  # everyone else
    body: dict[str, Any] | None = None
    anon: int | None = None  # default: 401 for the API, 302 for pages
    headers: tuple[tuple[str, str], ...] = ()  # request headers, e.g. Idempotency-Key
    statuses: tuple[tuple[str, int], ...] = ()  # per-role answers overriding the rules above

    @property
    def method(self) -> str:
        return self.route.split()[0]

    @property
    def writes(self) -> bool:
        return self.method != "GET"


def api(route: str, url: str | None = None, **kw: Any) -> Case:
    method, path = route.split(maxsplit=1)
    return Case(route=f"{method} /api/v1{path}", url="/api/v1" + (url or path), **kw)


def page(route: str, url: str, **kw: Any) -> Case:
    return Case(route=route, url=url, **kw)


F = frozenset
CASES: list[Case] = [
    # --- accounts ----------------------------------------------------------------------
    api("GET /me", allowed=EVERYONE),
    api("GET /tokens", allowed=EVERYONE),
    api("POST /tokens", allowed=EVERYONE, ok=201, body={"name": "m"}),
    api("DELETE /tokens/{token_id}", "/tokens/{token_gz1}", allowed=F({"gz1"}), ok=204),
    page("GET /account/tokens/", "/account/tokens/", allowed=EVERYONE),
    page(
        "POST /account/tokens/",
        "/account/tokens/",
        allowed=EVERYONE,
        body={"action": "create", "name": "m"},
    ),
    # --- org -----------------------------------------------------------------------------
    api("GET /org/units", allowed=EVERYONE),
    api("GET /org/units/{unit_id}", "/org/units/{SGZ}", allowed=SEES_GZ1),
    api("GET /org/units/{unit_id}", "/org/units/{SBJ}", allowed=COMPANY),
    api(
        "POST /org/units",
        allowed=MANAGES_GZ1,
        ok=201,
        forbidden=F({"auditor", "gz_manager", "gz1"}),
        body={"code": "S-NEW", "name": "新店", "kind": "store", "parent_id": "{SGZ}"},
    ),
    api(
        "POST /org/units",
        allowed=F({"hr"}),
        ok=201,
        forbidden=F({"auditor"}),
        body={"code": "S-NEW", "name": "新店", "kind": "store", "parent_id": "{SBJ}"},
    ),
    api(
        "PATCH /org/units/{unit_id}",
        "/org/units/{SFS}",
        allowed=MANAGES_GZ1,
        forbidden=F({"auditor"}),
        body={"name": "佛山新店"},
    ),
    api(
        "PATCH /org/units/{unit_id}",
        "/org/units/{SBJ}",
        allowed=F({"hr"}),
        forbidden=F({"auditor"}),
        body={"name": "北京新店"},
    ),
    api(
        "DELETE /org/units/{unit_id}",
        "/org/units/{EMPTY}",
        allowed=MANAGES_GZ1,
        ok=204,
        forbidden=F({"auditor"}),
    ),
    page("GET /", "/", allowed=EVERYONE),
    page("GET /org/", "/org/", allowed=EVERYONE),
    # --- people --------------------------------------------------------------------------
    api("GET /employees", allowed=EVERYONE),
    api("GET /employees", "/employees?id_card=11010519491231002X", allowed=MANAGES_GZ1, denied=403),
    api("GET /employees/{employee_id}", "/employees/{gz1}", allowed=SEES_GZ1),
    api("GET /employees/{employee_id}", "/employees/{bj1}", allowed=COMPANY),
    api(
        "GET /employees/{employee_id}",
        "/employees/{chef}",
        allowed=F({"hr", "auditor", "partner_manager"}),
    ),
    api(
        "POST /employees",
        allowed=MANAGES_GZ1,
        ok=201,
        forbidden=F({"auditor", "gz_manager", "gz1"}),
        body={"employee_no": "A1", "name": "新人", "unit_id": "{SGZ}", "hire_date": "2025-06-01"},
    ),
    api(
        "PATCH /employees/{employee_id}",
        "/employees/{gz1}",
        allowed=MANAGES_GZ1,
        forbidden=F({"auditor", "gz_manager", "gz1"}),
        body={"email": "gz1@heng.cn"},
    ),
    api(
        "PATCH /employees/{employee_id}",
        "/employees/{bj1}",
        allowed=F({"hr"}),
        forbidden=F({"auditor"}),
        body={"email": "bj1@heng.cn"},
    ),
    api(
        "POST /employees/{employee_id}/reveal",
        "/employees/{gz1}/reveal",
        allowed=MANAGES_GZ1 | {"gz1"},
        forbidden=F({"auditor", "gz_manager"}),
        body={"field": "phone"},
    ),
    api(
        "POST /employees/{employee_id}/reveal",
        "/employees/{bj1}/reveal",
        allowed=F({"hr"}),
        forbidden=F({"auditor"}),
        body={"field": "phone"},
    ),
    api(
        "POST /employees/{employee_id}/reveal",
        "/employees/{chef}/reveal",
        allowed=F({"hr"}),
        forbidden=F({"auditor", "partner_manager"}),
        body={"field": "phone"},
    ),
    api("GET /employees/{employee_id}/history", "/employees/{gz1}/history", allowed=SEES_GZ1),
    api("GET /employees/{employee_id}/history", "/employees/{bj1}/history", allowed=COMPANY),
    api(
        "POST /employees/{employee_id}/assignments",
        "/employees/{gz1}/assignments",
        allowed=MANAGES_GZ1,
        ok=201,
        forbidden=F({"auditor", "gz_manager", "gz1"}),
        body={"start_date": FUTURE, "reason": "promotion"},
    ),
    api("GET /employees/{employee_id}/contracts", "/employees/{gz1}/contracts", allowed=SEES_GZ1),
    api(
        "POST /employees/{employee_id}/contracts",
        "/employees/{gz2}/contracts",
        allowed=MANAGES_GZ1,
        ok=201,
        forbidden=F({"auditor", "gz_manager"}),
        body={"contract_type": "open", "start_date": "2024-01-01"},
    ),
    api(
        "PATCH /contracts/{contract_id}",
        "/contracts/{contract_gz1}",
        allowed=MANAGES_GZ1,
        forbidden=F({"auditor", "gz_manager", "gz1"}),
        body={"duties": "导购"},
    ),
    api(
        "POST /contracts/{contract_id}/reveal",
        "/contracts/{contract_gz1}/reveal",
        allowed=MANAGES_GZ1 | {"gz1"},
        forbidden=F({"auditor", "gz_manager"}),
    ),
    api(
        "POST /contracts/{contract_id}/reveal",
        "/contracts/{contract_bj1}/reveal",
        allowed=F({"hr"}),
        forbidden=F({"auditor"}),
    ),
    api(
        "GET /employees/{employee_id}/permissions", "/employees/{gz1}/permissions", allowed=SEES_GZ1
    ),
    page("GET /people/", "/people/", allowed=EVERYONE),
    page("GET /people/<int:employee_id>/", "/people/{gz1}/", allowed=SEES_GZ1),
    page("GET /people/<int:employee_id>/", "/people/{bj1}/", allowed=COMPANY),
    page(
        "GET /people/<int:employee_id>/",
        "/people/{chef}/",
        allowed=F({"hr", "auditor", "partner_manager"}),
    ),
    page(
        "POST /people/<int:employee_id>/reveal/<str:field>/",
        "/people/{gz1}/reveal/phone/",
        allowed=MANAGES_GZ1 | {"gz1"},
        forbidden=F({"auditor", "gz_manager"}),
    ),
    page(
        "POST /people/<int:employee_id>/reveal/<str:field>/",
        "/people/{bj1}/reveal/phone/",
        allowed=F({"hr"}),
        forbidden=F({"auditor"}),
    ),
    page("GET /people/<int:employee_id>/history/", "/people/{gz1}/history/", allowed=SEES_GZ1),
    page("GET /people/<int:employee_id>/history/", "/people/{bj1}/history/", allowed=COMPANY),
    page(
        "POST /people/contracts/<int:contract_id>/reveal/",
        "/people/contracts/{contract_gz1}/reveal/",
        allowed=MANAGES_GZ1 | {"gz1"},
        forbidden=F({"auditor", "gz_manager"}),
    ),
    page("GET /people/import/", "/people/import/", allowed=MANAGES_GZ1, denied=403),
    page(
        "POST /people/import/",
        "/people/import/",
        allowed=MANAGES_GZ1,
        denied=403,
        body={"kind": "employees", "token": "0" * 32 + ".upload.csv"},
        ok=404,
    ),
    page(
        "GET /people/import/template/<str:kind>.<str:fmt>",
        "/people/import/template/employees.xlsx",
        allowed=EVERYONE,
    ),
    # --- audit ---------------------------------------------------------------------------
    api("GET /audit/events", allowed=COMPANY),
    page("GET /audit/", "/audit/", allowed=COMPANY),
    page("GET /audit/export.csv", "/audit/export.csv", allowed=COMPANY),
    # --- approvals -----------------------------------------------------------------------
    api("GET /approvals/requests", allowed=EVERYONE),
    api("GET /approvals/inbox", allowed=EVERYONE),
    api("GET /approvals/requests/{request_id}", "/approvals/requests/{req_gz1}", allowed=SEES_GZ1),
    api("GET /approvals/requests/{request_id}", "/approvals/requests/{req_bj1}", allowed=COMPANY),
    api(
        "POST /approvals/transfers",
        allowed=MANAGES_GZ1,
        ok=201,
        forbidden=F({"auditor", "gz_manager"}),
        body={"employee_id": "{gz2}", "to_unit_id": "{SFS}", "effective_date": FUTURE},
    ),
    api(
        "POST /approvals/dispatches",
        allowed=F({"hr"}),
        ok=201,
        forbidden=F({"auditor"}),
        body={
            "employee_id": "{cook}",
            "working_unit_id": "{P}",
            "start_date": FUTURE,
            "end_date": FUTURE,
        },
    ),
    api(
        "POST /approvals/requests/{request_id}/decision",
        "/approvals/requests/{req_gz1}/decision",
        allowed=F({"gz_manager"}),
        forbidden=F({"hr", "hr_south", "auditor", "gz1"}),
        body={"approve": True, "step": 1},
    ),
    api(
        "POST /approvals/requests/{request_id}/withdraw",
        "/approvals/requests/{req_gz1}/withdraw",
        allowed=F({"gz1"}),
        forbidden=F({"hr", "hr_south", "auditor", "gz_manager"}),
    ),
    api("GET /notifications", allowed=EVERYONE),
    api(
        "POST /notifications/{notification_id}/read",
        "/notifications/{note_gz1}/read",
        allowed=F({"gz1"}),
        ok=204,
    ),
    page("GET /approvals/", "/approvals/", allowed=EVERYONE),
    page("GET /approvals/inbox/", "/approvals/inbox/", allowed=EVERYONE),
    page("GET /approvals/all/", "/approvals/all/", allowed=EVERYONE),
    page(
        "POST /approvals/notifications/read/",
        "/approvals/notifications/read/",
        allowed=EVERYONE,
        ok=302,
    ),
    page(
        "GET /approvals/new/<str:kind>/",
        "/approvals/new/transfer/",
        allowed=F({"gz1", "hr"}),
        denied=403,
    ),  # employees apply for themselves
    page(
        "GET /approvals/new/<str:kind>/",
        "/approvals/new/transfer/?employee={gz2}",
        allowed=MANAGES_GZ1,
        forbidden=F({"auditor", "gz_manager"}),
    ),
    page(
        "GET /approvals/new/<str:kind>/",
        "/approvals/new/dispatch/?employee={cook}",
        allowed=F({"hr"}),
        forbidden=F({"auditor"}),
    ),
    page("GET /approvals/<int:request_id>/", "/approvals/{req_gz1}/", allowed=SEES_GZ1),
    page("GET /approvals/<int:request_id>/", "/approvals/{req_bj1}/", allowed=COMPANY),
    page(
        "POST /approvals/<int:request_id>/decide/",
        "/approvals/{req_gz1}/decide/",
        allowed=F({"gz_manager"}),
        ok=302,
        forbidden=F({"hr", "hr_south", "auditor", "gz1"}),
        body={"decision": "approve", "step": 1, "comment": ""},
    ),
    page(
        "POST /approvals/<int:request_id>/withdraw/",
        "/approvals/{req_gz1}/withdraw/",
        allowed=F({"gz1"}),
        ok=302,
        forbidden=F({"hr", "hr_south", "auditor", "gz_manager"}),
    ),
]

# This module governs these route prefixes: every route under them must have a row here (the
# coverage test below fails otherwise). The other apps have their own matrices (goals and
# notifications: goals/tests/test_authz.py; performance: tests/test_authz.py and
# tests/test_authz_cycles.py; integrations: tests/test_authz_integrations.py), which import the
# machinery of this module; web/tests/test_route_coverage.py requires every route of the
# project to be in one of them.
GOVERNED = (
    "/api/v1/me",
    "/api/v1/tokens",
    "/api/v1/org/",
    "/api/v1/employees",
    "/api/v1/contracts",
    "/api/v1/audit/",
    "/api/v1/approvals/",
    "/api/v1/notifications",
    "/account/",
    "/org/",
    "/people/",
    "/audit/",
    "/approvals/",
)
EXEMPT = {"/login/": "public", "/logout/": "signing out", "/i18n/setlang/": "public"}


@pytest.fixture
def objects(world: Any) -> dict[str, Any]:
    """Named objects for the placeholders: in and out of each role's scope."""
    from heng.accounts.models import Role
    from heng.accounts.services import role_grant, token_create, user_create
    from heng.core.notifications import notify
    from heng.org.models import OrgUnit
    from heng.org.services import unit_create
    from heng.people.services import contract_create, employee_update
    from heng.workflows.services import request_submit

    def login(name: str, role: str, unit: Any = None) -> Any:
        user = user_create(username=name, password="pw", check_password=False)
        role_grant(user=user, role=role, unit=unit)
        return user

    login("hr2", Role.HR_ADMIN)  # so requests made by hr still have an HR approver
    login("bj_manager", Role.UNIT_HEAD, world.units["SBJ"])
    login("kitchen_head", Role.UNIT_HEAD, world.units["K"])
    units = {u.code: u for u in OrgUnit.objects.all()}
    empty = unit_create(parent=units["BGZ"], code="EMPTY", name="空店", kind="store")
    for key in ("gz1", "bj1", "chef"):
        employee_update(employee=world.people[key], phone="13800000000")
    people, users = world.people, world.users
    contract_gz1 = contract_create(
        employee=people["gz1"],
        contract_type="open",
        start_date=dt.date(2024, 1, 1),
        salary_items=[{"item": "base", "amount": 5000}],
    )
    contract_bj1 = contract_create(
        employee=people["bj1"],
        contract_type="open",
        start_date=dt.date(2024, 1, 1),
        salary_items=[{"item": "base", "amount": 5000}],
    )
    req_gz1 = request_submit(
        applicant=users["gz1"],
        kind="transfer",
        employee=people["gz1"],
        payload={"to_unit_id": units["SFS"].pk, "effective_date": FUTURE},
    )
    req_bj1 = request_submit(
        applicant=users["hr"],
        kind="transfer",
        employee=people["bj1"],
        payload={"to_unit_id": units["SGZ"].pk, "effective_date": FUTURE},
    )
    token, _secret = token_create(user=users["gz1"], name="gz1")
    notify(recipients=[users["gz1"]], title="hello", key="matrix")
    from heng.core.models import Notification

    return {
        **{code: u.pk for code, u in units.items()},
        "EMPTY": empty.pk,
        **{k: p.pk for k, p in people.items()},
        "contract_gz1": contract_gz1.pk,
        "contract_bj1": contract_bj1.pk,
        "req_gz1": req_gz1.pk,
        "req_bj1": req_bj1.pk,
        "token_gz1": token.pk,
        "note_gz1": Notification.objects.get(key=f"matrix:{users['gz1'].pk}").pk,
    }


def _fill(value: Any, objects: dict[str, Any]) -> Any:
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in objects:
            return objects[value[1:-1]]
        return re.sub(
            r"\{(\w+)\}", lambda m: str(objects.get(m[1], m[0])), value
        )  # other braces (JSON, "{}") stay as they are
    if isinstance(value, dict):
        return {k: _fill(v, objects) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, objects) for v in value]
    return value


# Logging in writes a session row (and axes its attempt rows): not the request's doing.
UNWATCHED = {"sessions.session", "axes.accessattempt", "axes.accesslog"}


def _fingerprint() -> str:
    """What the database holds, to compare before and after a refused request.

    PostgreSQL: the current transaction's row counters per table (pg_stat_xact_user_tables),
    which count every INSERT, UPDATE and DELETE the instant it runs — one query instead of
    reading every table, and stricter (a write that was undone still shows). SQLite, which
    has no per-table counters: a digest of every row of every table.
    """
    from django.db import connection

    from heng.core.backup import _rows, backup_models

    models = [m for m in backup_models() if m._meta.label_lower not in UNWATCHED]
    if connection.vendor == "postgresql":
        tables = [m._meta.db_table for m in models]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables "
                "WHERE relname = ANY(%s) AND n_tup_ins + n_tup_upd + n_tup_del > 0 "
                "ORDER BY relname",
                [tables],
            )
            return repr(cursor.fetchall())

    digest = hashlib.sha256()
    for model in models:
        digest.update(model._meta.label_lower.encode())
        for line in _rows(model, "default"):
            digest.update(line)
    return digest.hexdigest()


def _call(client: Client, case: Case, objects: dict[str, Any]) -> Any:
    url = _fill(case.url, objects)
    body = _fill(case.body, objects) if case.body is not None else None
    headers = {k: _fill(v, objects) for k, v in case.headers}
    if case.method == "GET":
        return client.get(url, headers=headers)
    if url.startswith("/api/"):
        return client.generic(
            case.method,
            url,
            data=json.dumps(body or {}),
            content_type="application/json",
            headers=headers,
        )
    return client.post(url, _files(body or {}), headers=headers)


def _files(body: dict[str, Any]) -> dict[str, Any]:
    """A form value ``(filename, bytes)`` is sent as a file upload (a fresh one each call)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {
        k: SimpleUploadedFile(v[0], v[1]) if isinstance(v, tuple) else v for k, v in body.items()
    }


def _expected(case: Case, role: str) -> int:
    special = dict(case.statuses)
    if role in special:
        return special[role]
    if role == "anon":
        return case.anon or (401 if case.url.startswith("/api/") else 302)
    if role in case.allowed:
        return case.ok
    return 403 if role in case.forbidden else case.denied


@pytest.mark.parametrize("case", CASES, ids=[f"{c.route} {c.url}" for c in CASES])
def test_matrix(case: Case, objects: dict[str, Any]) -> None:
    check(case, objects)


def check(case: Case, objects: dict[str, Any]) -> None:
    """Call ``case`` as every role (and anonymously): the expected answer each time, and a
    refused write leaves every table as it was. The other matrix modules call this too."""
    from heng.accounts.models import User

    problems = []
    for role in (*ROLES, "anon"):
        with transaction.atomic():
            client = Client()
            if role != "anon":
                client.force_login(User.objects.get(username=role), backend=MODEL_BACKEND)
            before = _fingerprint() if case.writes else ""
            response = _call(client, case, objects)
            expected = _expected(case, role)
            if response.status_code != expected:
                problems.append(
                    f"{role}: {response.status_code} (expected {expected}) "
                    f"{response.content[:160]!r}"
                )
            elif case.writes and expected >= 300 and expected != 302 and _fingerprint() != before:
                problems.append(f"{role}: refused with {expected} but the database changed")
            elif case.writes and role == "anon" and _fingerprint() != before:
                problems.append("anon: refused but the database changed")
            transaction.set_rollback(True)
    assert not problems, "\n".join(problems)


def _declared_routes() -> set[str]:
    """API operations as "METHOD /api/v1/path"; pages as their path pattern."""
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
    return routes


def _governed(path: str) -> bool:
    if path == "/":
        return True
    return any(path == g.rstrip("/") or path.startswith(g.rstrip("/") + "/") for g in GOVERNED)


def test_every_route_is_in_the_matrix() -> None:
    covered = {c.route for c in CASES} | {c.route.split()[1] for c in CASES}
    governed = [r for r in _declared_routes() if _governed(r.split()[-1])]
    missing = sorted(r for r in governed if r not in covered and r not in EXEMPT)
    assert not missing, "add these to CASES:\n" + "\n".join(missing)
    assert len(governed) >= 50  # the prefixes above still match the app's routes


def test_the_fingerprint_sees_any_write_but_not_a_read(client: Client, world: Any) -> None:
    from heng.people.services import employee_update

    client.force_login(world.users["hr"], backend=MODEL_BACKEND)
    before = _fingerprint()
    assert client.get(f"/api/v1/employees/{world.people['gz1'].pk}").status_code == 200
    assert _fingerprint() == before
    employee_update(employee=world.people["gz1"], phone="13900000000")
    assert _fingerprint() != before
