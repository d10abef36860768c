"""Authorization matrix of the performance app: every API endpoint and page × every role.

A row names the roles that succeed; the roles in ``forbidden`` get 403 (they may see the
thing but not change it), everyone else 404 (they may not even see it); anonymous callers
get 401 from the API and a redirect to the login page. A refused write must leave every
performance table exactly as it was. Every route of the app must have a row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, get_resolver

from heng.core.models import AuditEvent
from heng.performance import services
from heng.performance.models import Framework, Indicator, Scheme, SchemeVersion
from heng.performance.selectors.documents import (
    framework_document,
    indicator_document,
    scheme_document,
)

ROLES = ("hr", "hr_south", "gz_manager", "partner_manager", "auditor", "gz1", "nobody")
READERS = frozenset({"hr", "hr_south", "gz_manager", "partner_manager", "auditor"})
EVERYONE = frozenset(ROLES)
HR = frozenset({"hr"})
REGION = frozenset({"hr", "hr_south"})
F = frozenset
BACKEND = "django.contrib.auth.backends.ModelBackend"


@dataclass(frozen=True)
class Case:
    method: str
    url: str
    allowed: frozenset[str]
    ok: int = 200
    forbidden: frozenset[str] = frozenset()
    body: Any = None
    kind: str = "json"  # json | form | yaml

    @property
    def api(self) -> bool:
        return self.url.startswith("/api/")


def writer(method: str, url: str, allowed: frozenset[str] = HR, ok: int = 200, **kw: Any) -> Case:
    """A write that readers may see but not do (403) and others may not see (404)."""
    return Case(method, url, allowed, ok, forbidden=READERS - allowed, **kw)


def policy(method: str, url: str, allowed: frozenset[str] = HR, ok: int = 200, **kw: Any) -> Case:
    """Creating company policy: refused with 403 for everyone signed in but ``allowed``."""
    return Case(method, url, allowed, ok, forbidden=EVERYONE - allowed, **kw)


API = "/api/v1/performance"
P = "/performance"
LINE = {"indicator": "TRAINING", "weight": 0}
OVERRIDE = {
    "code": "south",
    "unit": "RS",
    "changes": [{"indicator": "SALES", "weight": 50}, {"indicator": "NEWCUST", "weight": 20}],
}
SCENARIO = (
    "schemes: {s: {lines: [{indicator: a, category: result, rule: manual, weight: 100}]}}\n"
    "employees: [{id: A}]\nvalues: {A: {a: 80}}\n"
)
CASES = [
    Case("GET", f"{API}/indicators", EVERYONE),
    policy(
        "POST",
        f"{API}/indicators",
        ok=201,
        body={
            "code": "NEW",
            "name": "新",
            "category": "result",
            "direction": "higher",
            "value_kind": "manual",
            "rule": "manual",
        },
    ),
    Case("GET", f"{API}/indicators/SALES", READERS),
    writer("PATCH", f"{API}/indicators/SALES", body={"name": "改"}),
    writer("DELETE", f"{API}/indicators/TRAINING", ok=204),
    Case("GET", f"{API}/frameworks", EVERYONE),
    policy(
        "POST",
        f"{API}/frameworks",
        ok=201,
        body={"code": "NEWF", "name": "新框架", "category_weighting": False},
    ),
    Case("GET", f"{API}/frameworks/F433", READERS),
    writer("PATCH", f"{API}/frameworks/F433", body={"name": "改"}),
    Case("GET", f"{API}/schemes", EVERYONE),
    policy(
        "POST",
        f"{API}/schemes",
        REGION,
        ok=201,
        body={
            "code": "NEWS",
            "name": "新方案",
            "framework": "DIRECT",
            "applies_to": [{"unit": "SGZ"}],
        },
    ),
    Case("GET", f"{API}/schemes/SALES-REP", READERS),
    writer("PATCH", f"{API}/schemes/SALES-REP", body={"name": "改"}),
    writer("PATCH", f"{API}/schemes/GZ", REGION, body={"name": "改"}),
    writer("POST", f"{API}/schemes/SALES-REP/lines", ok=201, body=LINE),
    writer("PATCH", f"{API}/schemes/SALES-REP/lines/SALES", body={"weight": 41}),
    writer("DELETE", f"{API}/schemes/SALES-REP/lines/COMPLAINT"),
    writer("PUT", f"{API}/schemes/SALES-REP/weights", body={"weights": {"SALES": 41}}),
    writer("POST", f"{API}/schemes/SALES-REP/overrides", ok=201, body=OVERRIDE),
    writer(
        "PUT",
        f"{API}/schemes/SALES-REP/overrides/north",
        body={**OVERRIDE, "code": "north", "unit": "RN"},
    ),
    writer("DELETE", f"{API}/schemes/SALES-REP/overrides/north"),
    writer("POST", f"{API}/schemes/SALES-REP/publish", ok=201, body={}),
    Case("GET", f"{API}/schemes/SALES-REP/versions", READERS),
    Case("GET", f"{API}/schemes/SALES-REP/versions/1", READERS),
    Case("GET", f"{API}/schemes/SALES-REP/file", READERS),
    policy("POST", f"{API}/scheme-files?dry_run=true", body="FILE", kind="yaml"),
    Case(
        "GET",
        f"{API}/employees/{{gz1}}/scheme?on=2025-06-01",
        F({"hr", "hr_south", "gz_manager", "auditor", "gz1"}),
    ),
    Case("GET", f"{API}/employees/{{bj1}}/scheme?on=2025-06-01", F({"hr", "auditor"})),
    Case(
        "POST",
        f"{API}/what-if",
        READERS,
        forbidden=F({"gz1", "nobody"}),
        body=SCENARIO,
        kind="yaml",
    ),
    # --- pages ----------------------------------------------------------------------------
    Case("GET", f"{P}/indicators/", READERS),
    policy("GET", f"{P}/indicators/new/", ok=200),
    policy(
        "POST",
        f"{P}/indicators/new/",
        ok=302,
        kind="form",
        body={
            "code": "NEW",
            "name": "新",
            "category": "result",
            "direction": "higher",
            "value_kind": "manual",
            "rule": "manual",
            "params": "{}",
        },
    ),
    Case("GET", f"{P}/indicators/SALES/", READERS),
    writer(
        "POST",
        f"{P}/indicators/SALES/",
        ok=302,
        kind="form",
        body={
            "code": "SALES",
            "name": "改",
            "category": "result",
            "direction": "higher",
            "value_kind": "metric",
            "source_metric": "m",
            "rule": "linear",
            "params": "{}",
        },
    ),
    Case("GET", f"{P}/schemes/", READERS),
    writer("GET", f"{P}/schemes/new/", REGION),
    writer(
        "POST",
        f"{P}/schemes/new/",
        REGION,
        ok=302,
        kind="form",
        body={"code": "NEWS", "name": "新方案", "framework": "DIRECT", "units": "SGZ"},
    ),
    policy("POST", f"{P}/schemes/import/", kind="form", body="FILE"),
    Case("GET", f"{P}/schemes/SALES-REP/", READERS),
    writer(
        "POST",
        f"{P}/schemes/SALES-REP/header/",
        ok=302,
        kind="form",
        body={"name": "改", "framework": "DIRECT", "positions": "sales"},
    ),
    writer(
        "POST",
        f"{P}/schemes/SALES-REP/weights/",
        ok=302,
        kind="form",
        body={"w-SALES": "41", "w-NEWCUST": "30", "w-COMPLAINT": "30"},
    ),
    Case(
        "POST",
        f"{P}/schemes/SALES-REP/weights/total/",
        READERS,
        kind="form",
        body={"w-SALES": "41"},
    ),
    writer(
        "POST",
        f"{P}/schemes/SALES-REP/lines/",
        ok=302,
        kind="form",
        body={"indicator": "TRAINING", "weight": "0", "source_set": "main"},
    ),
    writer("POST", f"{P}/schemes/SALES-REP/lines/COMPLAINT/remove/", ok=302, kind="form", body={}),
    writer(
        "POST",
        f"{P}/schemes/SALES-REP/overrides/",
        ok=302,
        kind="form",
        body={
            "code": "south",
            "unit": "RS",
            "ch-TOTAL_FORMS": "1",
            "ch-INITIAL_FORMS": "0",
            "ch-0-indicator": "SALES",
            "ch-0-action": "remove",
        },
    ),
    writer("POST", f"{P}/schemes/SALES-REP/overrides/north/remove/", ok=302, kind="form", body={}),
    writer("POST", f"{P}/schemes/SALES-REP/publish/", ok=302, kind="form", body={}),
    Case("GET", f"{P}/schemes/SALES-REP/file/", READERS),
    Case("GET", f"{P}/resolved/", EVERYONE),
    Case("GET", f"{P}/what-if/", READERS),
]

# Indicator values and lineage (issue #4): values for anyone with a scope (limited to it), the
# lineage of one person's value for those who may see that person.
SEES_GZ1 = F({"hr", "hr_south", "gz_manager", "auditor", "gz1"})
JAN = "period=month&on=2026-01-15"
CASES += [
    Case("GET", f"{API}/indicators/SALES/values?{JAN}", EVERYONE - {"nobody"}),
    Case("GET", f"{API}/indicators/SALES/lineage?employee_id={{gz1}}&{JAN}", SEES_GZ1),
    Case("GET", f"{P}/indicators/SALES/values/?{JAN}", EVERYONE - {"nobody"}),
    Case("GET", f"{P}/indicators/SALES/lineage/?employee={{gz1}}&{JAN}", SEES_GZ1),
    # deleting an unused indicator from the library page
    writer("POST", f"{P}/indicators/TRAINING/delete/", ok=302, kind="form", body={}),
]


@pytest.fixture
def objects(world: Any, sales_scheme: Scheme, library: Any, frameworks: Any) -> dict[str, Any]:
    services.override_save(
        actor=None,
        scheme=sales_scheme,
        code="north",
        unit=world.units["RN"],
        changes=[
            services.ChangeIn("SALES", weight=Decimal(50)),
            services.ChangeIn("NEWCUST", weight=Decimal(20)),
        ],
    )
    services.scheme_publish(actor=None, scheme=sales_scheme, effective_from=dt.date(2024, 1, 1))
    # a draft change after publishing, so that publishing again is possible
    services.override_save(
        actor=None,
        scheme=sales_scheme,
        code="north",
        unit=world.units["RN"],
        existing=sales_scheme.overrides.get(code="north"),
        changes=[
            services.ChangeIn("SALES", weight=Decimal(55)),
            services.ChangeIn("NEWCUST", weight=Decimal(15)),
        ],
    )
    services.scheme_create(
        actor=None,
        code="GZ",
        name="广州方案",
        framework=frameworks["DIRECT"],
        applies_to=[(world.units["BGZ"], None)],
    )
    # the metric behind SALES ("m.sales"), so that its values and lineage can be computed
    from heng.integrations.services import metric_create, source_create

    metric_create(source=source_create(code="m", name="测试来源"), code="sales", name="sales")
    return {
        "gz1": world.people["gz1"].pk,
        "bj1": world.people["bj1"].pk,
        "file": services.scheme_file_export(sales_scheme),
    }


def _fingerprint() -> str:
    state = {
        "schemes": [scheme_document(s) for s in Scheme.objects.order_by("code")],
        "drafts": list(Scheme.objects.order_by("code").values_list("has_draft_changes", flat=True)),
        "indicators": [indicator_document(i) for i in Indicator.objects.order_by("code")],
        "frameworks": [framework_document(f) for f in Framework.objects.order_by("code")],
        "versions": SchemeVersion.objects.count(),
        "audit": AuditEvent.objects.count(),
    }
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()


def _call(client: Client, case: Case, objects: dict[str, Any]) -> Any:
    url = case.url.format(**objects)
    if case.method == "GET":
        return client.get(url)
    body = objects["file"] if case.body == "FILE" else case.body
    if case.kind == "yaml":
        return client.generic(case.method, url, body.encode(), content_type="application/yaml")
    if case.kind == "form":
        if body == objects["file"]:
            from django.core.files.uploadedfile import SimpleUploadedFile

            upload = SimpleUploadedFile("s.yaml", body.encode(), content_type="application/yaml")
            return client.post(url, {"file": upload, "dry_run": "on"})
        return client.post(url, body)
    return client.generic(case.method, url, json.dumps(body), content_type="application/json")


def _expected(case: Case, role: str) -> int:
    if role == "anon":
        return 401 if case.api else 302
    if role in case.allowed:
        return case.ok
    return 403 if role in case.forbidden else 404


@pytest.mark.parametrize("case", CASES, ids=[f"{c.method} {c.url}" for c in CASES])
def test_matrix(case: Case, objects: dict[str, Any], world: Any) -> None:
    problems = []
    for role in (*ROLES, "anon"):
        with transaction.atomic():
            client = Client()
            if role != "anon":
                client.force_login(world.users[role], backend=BACKEND)
            before = _fingerprint()
            response = _call(client, case, objects)
            expected = _expected(case, role)
            if response.status_code != expected:
                problems.append(
                    f"{role}: {response.status_code}, expected {expected}: "
                    f"{response.content[:200]!r}"
                )
            elif (
                expected in (401, 403, 404, 302)
                and role not in case.allowed
                and (_fingerprint() != before)
            ):
                problems.append(f"{role}: refused with {expected} but something changed")
            transaction.set_rollback(True)
    assert not problems, "\n".join(problems)


# The scheme routes of this app (the cycle routes: test_authz_cycles.py; every route of the
# project: web/tests/test_route_coverage.py).
SCHEME_API = (
    "/indicators",
    "/frameworks",
    "/schemes",
    "/scheme-files",
    "/employees/{employee_id}/scheme",
    "/what-if",
)
SCHEME_PAGES = ("indicators/", "schemes/", "resolved/", "what-if/")


def test_every_scheme_route_is_in_the_matrix() -> None:
    from heng.config.api import api as ninja_api

    declared = {
        f"{method.upper()} {path}"
        for path, ops in ninja_api.get_openapi_schema()["paths"].items()
        if path.startswith(tuple(f"/api/v1/performance{p}" for p in SCHEME_API))
        for method in ops
    }
    resolver = next(p for p in get_resolver().url_patterns if str(p.pattern) == "performance/")
    declared |= {
        f"PAGE /performance/{p.pattern}"
        for p in resolver.url_patterns
        if isinstance(p, URLPattern) and str(p.pattern).startswith(SCHEME_PAGES)
    }
    assert len(declared) > 40  # the filters above still find the routes
    covered = set()
    for case in CASES:
        path = case.url.split("?")[0]
        covered.add(f"{case.method} {path}")
    missing = sorted(r for r in declared if not _covered(r, covered))
    assert not missing, "add these to CASES:\n" + "\n".join(missing)


def _covered(route: str, covered: set[str]) -> bool:
    import re

    method, path = route.split(" ", 1)
    pattern = re.sub(r"\{[^}]+\}|<[^>]+>", "[^/]+", path)
    methods = ("GET", "POST") if method == "PAGE" else (method,)
    return any(re.fullmatch(f"{m} {pattern}", c) for c in covered for m in methods)
