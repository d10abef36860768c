"""Authorization matrix of the integrations app: every API endpoint and page × every role.

The rules and the machinery are the project matrix's (workflows/tests/test_authz_matrix.py):
a row names who succeeds, ``forbidden`` who gets 403 (may see, may not do), everyone else 404;
anonymous callers get 401 from the API and the login redirect from pages; a refused write
leaves every table as it was.

Who is who here (integrations/permissions.py): HR admins and regional HR feed data (INGEST);
they and the company-wide auditor read sources and batches (VIEW), a regional HR only the
batches he delivered himself; connectors are configured by company-wide HR admins only.
Lineage follows the employee's (or unit's) own access rule; metric values are limited to the
caller's scope (everyone gets an answer, filtered).

Objects: the Douyin source; ``batch_hr`` (committed by hr, one row quarantined — outside the
regional HR's batches), ``batch_south`` (committed by hr_south), ``staged`` (uploaded by
hr_south, not yet mapped) and one connector whose pulls are stubbed (no network).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from heng.workflows.tests.test_authz_matrix import (
    COMPANY,
    EVERYONE,
    SEES_GZ1,
    Case,
    _declared_routes,
    api,
    check,
)
from heng.workflows.tests.test_authz_matrix import page as page_case

F = frozenset
VIEW = F({"hr", "hr_south", "auditor"})
INGEST = F({"hr", "hr_south"})
HR_ONLY = F({"hr"})
SEES_BATCH_HR = F({"hr", "auditor"})  # a regional HR sees only the batches he delivered
JAN = "start=2026-01-01&end=2026-01-31"
ROWS = [{"employee_no": "T001", "date": "2026-01-07", "plays": 10, "views": 5, "orders": 1}]
CSV = b"employee_no,date,plays\nT001,2026-01-08,7\n"
CONNECTOR_FORM = {
    "name": "抖音拉取",
    "enabled": "on",
    "url": "https://example.com/api",
    "params": "{}",
    "auth_header": "Authorization",
    "auth_value": "",
    "records_path": "data",
    "field_map": "{}",
    "pagination": "none",
    "page_param": "page",
    "page_size_param": "",
    "page_size": "100",
    "cursor_path": "",
    "cursor_param": "cursor",
    "max_pages": "10",
    "schedule": "0 2 * * *",
    "window_days": "1",
    "timeout_seconds": "5",
    "max_attempts": "1",
    "backoff_seconds": "0",
}


def page(route: str, url: str, **kw: Any) -> Case:
    return page_case(route, f"/integrations{url}", **kw)


TEMPLATE = r"/integrations/^sources/(?P<code>[-\w]+)/template\.(?P<kind>csv|xlsx)$"
CASES: list[Case] = [
    # --- sources and batches (API) ------------------------------------------------------
    api("GET /sources", allowed=EVERYONE),  # a list: empty outside VIEW
    api("GET /sources/{code}", "/sources/douyin", allowed=VIEW),
    api("GET /sources/{code}", "/sources/nope", allowed=F(), ok=404),
    api("GET /sources/{code}/batches", "/sources/douyin/batches", allowed=VIEW),
    api("POST /sources/{code}/batches", "/sources/douyin/batches", allowed=INGEST, ok=201,
        forbidden=F({"auditor"}), body={"rows": ROWS}, headers=(("Idempotency-Key", "m-1"),)),
    api("GET /batches/{batch_id}", "/batches/{batch_hr}", allowed=SEES_BATCH_HR),
    api("GET /batches/{batch_id}", "/batches/{batch_south}", allowed=VIEW),
    api("POST /batches/{batch_id}/revoke", "/batches/{batch_hr}/revoke", allowed=HR_ONLY,
        forbidden=F({"auditor"})),
    api("POST /batches/{batch_id}/revoke", "/batches/{batch_south}/revoke", allowed=INGEST,
        forbidden=F({"auditor"})),
    api("GET /batches/{batch_id}/quarantine", "/batches/{batch_hr}/quarantine",
        allowed=SEES_BATCH_HR),
    api("GET /batches/{batch_id}/quarantine", "/batches/{batch_south}/quarantine", allowed=VIEW),
    # --- lineage and values (API): the subject's own access rule -------------------------
    api("GET /lineage", f"/lineage?formula=plays&{JAN}&employee_id={{gz1}}", allowed=SEES_GZ1),
    api("GET /lineage", f"/lineage?formula=plays&{JAN}&employee_id={{bj1}}", allowed=COMPANY),
    api("GET /lineage", f"/lineage?formula=plays&{JAN}&unit_id={{SGZ}}", allowed=SEES_GZ1),
    api("GET /lineage", f"/lineage?formula=plays&{JAN}&unit_id={{SBJ}}", allowed=COMPANY),
    api("POST /metric-values", allowed=EVERYONE,  # answers only the caller's scope
        body={"formulas": {"p": "sum(plays)"}, "period_start": "2026-01-01",
              "period_end": "2026-01-31", "employee_ids": ["{bj1}"]}),
    # --- connectors (API): company-wide HR configures, feeders run, readers read ---------
    api("GET /connectors", allowed=EVERYONE),  # a list: empty outside VIEW
    api("POST /connectors", allowed=HR_ONLY, ok=201, forbidden=F({"hr_south", "auditor"}),
        body={"source": "douyin", "name": "新拉取", "url": "https://example.com/x",
              "records_path": "data"}),
    api("GET /connectors/{connector_id}", "/connectors/{connector}", allowed=VIEW),
    api("PATCH /connectors/{connector_id}", "/connectors/{connector}", allowed=HR_ONLY,
        forbidden=F({"hr_south", "auditor"}), body={"enabled": False}),
    api("GET /connectors/{connector_id}/runs", "/connectors/{connector}/runs", allowed=VIEW),
    api("POST /connectors/{connector_id}/runs", "/connectors/{connector}/runs", allowed=INGEST,
        ok=201, forbidden=F({"auditor"})),
    # --- pages --------------------------------------------------------------------------
    page("GET /integrations/", "/", allowed=VIEW),
    page("GET /integrations/sources/<slug:code>/", "/sources/douyin/", allowed=VIEW),
    page(TEMPLATE, "/sources/douyin/template.csv", allowed=VIEW),
    page(TEMPLATE, "/sources/douyin/template.xlsx", allowed=VIEW),
    page("GET /integrations/sources/<slug:code>/upload/", "/sources/douyin/upload/",
         allowed=INGEST, forbidden=F({"auditor"})),
    page("POST /integrations/sources/<slug:code>/upload/", "/sources/douyin/upload/",
         allowed=INGEST, ok=302, forbidden=F({"auditor"}), body={"file": ("d.csv", CSV)}),
    page("GET /integrations/sources/<slug:code>/values/",
         f"/sources/douyin/values/?{JAN}", allowed=VIEW),
    page("GET /integrations/batches/<int:batch_id>/", "/batches/{batch_hr}/",
         allowed=SEES_BATCH_HR),
    page("GET /integrations/batches/<int:batch_id>/", "/batches/{batch_south}/", allowed=VIEW),
    page("GET /integrations/batches/<int:batch_id>/map/", "/batches/{staged}/map/",
         allowed=INGEST, forbidden=F({"auditor"})),
    page("POST /integrations/batches/<int:batch_id>/map/", "/batches/{staged}/map/",
         allowed=INGEST, forbidden=F({"auditor"}), body={}),  # incomplete: the form again
    page("POST /integrations/batches/<int:batch_id>/commit/", "/batches/{staged}/commit/",
         allowed=INGEST, ok=302, forbidden=F({"auditor"})),
    page("POST /integrations/batches/<int:batch_id>/commit/", "/batches/{batch_hr}/commit/",
         allowed=HR_ONLY, ok=302, forbidden=F({"auditor"})),
    page("POST /integrations/batches/<int:batch_id>/revoke/", "/batches/{batch_hr}/revoke/",
         allowed=HR_ONLY, ok=302, forbidden=F({"auditor"})),
    page("POST /integrations/batches/<int:batch_id>/revoke/", "/batches/{batch_south}/revoke/",
         allowed=INGEST, ok=302, forbidden=F({"auditor"})),
    page("GET /integrations/batches/<int:batch_id>/quarantine/", "/batches/{batch_hr}/quarantine/",
         allowed=SEES_BATCH_HR),
    page("GET /integrations/batches/<int:batch_id>/quarantine.csv",
         "/batches/{batch_hr}/quarantine.csv", allowed=SEES_BATCH_HR),
    page("GET /integrations/batches/<int:batch_id>/quarantine.csv",
         "/batches/{batch_south}/quarantine.csv", allowed=VIEW),
    page("GET /integrations/lineage/", "/lineage/", allowed=EVERYONE),  # the empty form
    page("GET /integrations/lineage/",
         f"/lineage/?employee={{gz1}}&formula=douyin.plays&{JAN}", allowed=SEES_GZ1),
    page("GET /integrations/lineage/",
         f"/lineage/?employee={{bj1}}&formula=douyin.plays&{JAN}", allowed=COMPANY),
    page("GET /integrations/lineage/",
         f"/lineage/?unit={{SBJ}}&formula=douyin.plays&{JAN}", allowed=COMPANY),
    page("GET /integrations/connectors/new/", "/connectors/new/", allowed=HR_ONLY,
         forbidden=F({"hr_south", "auditor"})),
    page("POST /integrations/connectors/new/", "/connectors/new/", allowed=HR_ONLY, ok=302,
         forbidden=F({"hr_south", "auditor"}), body={**CONNECTOR_FORM, "source": "{douyin}"}),
    page("GET /integrations/connectors/<int:connector_id>/", "/connectors/{connector}/",
         allowed=VIEW),
    page("GET /integrations/connectors/<int:connector_id>/edit/",
         "/connectors/{connector}/edit/", allowed=HR_ONLY, forbidden=F({"hr_south", "auditor"})),
    page("POST /integrations/connectors/<int:connector_id>/edit/",
         "/connectors/{connector}/edit/", allowed=HR_ONLY, ok=302,
         forbidden=F({"hr_south", "auditor"}), body={**CONNECTOR_FORM, "name": "改名"}),
    page("POST /integrations/connectors/<int:connector_id>/enable/",
         "/connectors/{connector}/enable/", allowed=HR_ONLY, ok=302,
         forbidden=F({"hr_south", "auditor"}), body={"enabled": "0"}),
    page("POST /integrations/connectors/<int:connector_id>/run/", "/connectors/{connector}/run/",
         allowed=INGEST, ok=302, forbidden=F({"auditor"})),
]  # fmt: skip


@pytest.fixture
def objects(world: Any, douyin: Any, monkeypatch: Any) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from heng.integrations import tasks
    from heng.integrations.files import table_from_records
    from heng.integrations.models import BatchVia
    from heng.integrations.services import batch_ingest, batch_stage_upload, connector_create
    from heng.integrations.services import connectors as connector_services

    # No network: a pull finds no records; "run now" queues nothing.
    monkeypatch.setattr(connector_services, "fetch_records", lambda connector, **kw: kw["fetch"])
    monkeypatch.setattr(tasks, "run_connector_now", SimpleNamespace(enqueue=lambda **kw: None))

    hr, south = world.users["hr"], world.users["hr_south"]

    def ingest(actor: Any, rows: list[dict[str, Any]], key: str) -> Any:
        table = table_from_records(rows)
        outcome = batch_ingest(
            source=douyin, table=table, via=BatchVia.API, actor=actor, idempotency_key=key
        )
        return outcome.batch

    unknown = {**ROWS[0], "employee_no": "X999"}  # quarantined: no such employee
    batch_hr = ingest(hr, [ROWS[0], {**ROWS[0], "employee_no": "T004"}, unknown], "hr-1")
    batch_south = ingest(south, [{**ROWS[0], "date": "2026-01-09"}], "south-1")
    staged = batch_stage_upload(
        source=douyin, file=SimpleUploadedFile("s.csv", CSV), filename="s.csv", actor=south
    )
    connector = connector_create(
        source=douyin, name="抖音拉取", url="https://example.com/api", records_path="data"
    )
    return {
        **{code: u.pk for code, u in world.units.items()},
        **{k: p.pk for k, p in world.people.items()},
        "douyin": douyin.pk,
        "batch_hr": batch_hr.pk,
        "batch_south": batch_south.pk,
        "staged": staged.pk,
        "connector": connector.pk,
    }


@pytest.mark.parametrize("case", CASES, ids=[f"{c.route} {c.url}" for c in CASES])
def test_matrix(case: Case, objects: dict[str, Any]) -> None:
    check(case, objects)


PREFIXES = ("/api/v1/sources", "/api/v1/batches", "/api/v1/lineage", "/api/v1/metric-values",
            "/api/v1/connectors", "/integrations/")  # fmt: skip


def test_every_integrations_route_is_in_the_matrix() -> None:
    mine = {r for r in _declared_routes() if r.split()[-1].startswith(PREFIXES)}
    covered = {c.route for c in CASES} | {c.route.split()[-1] for c in CASES}
    missing = sorted(mine - covered)
    assert not missing, "add these to CASES:\n" + "\n".join(missing)
    assert len(mine) >= 30  # the prefixes still match the app's routes
