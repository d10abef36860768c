"""Authorization matrix of the performance cycles: every cycle API endpoint and page × every role.

The rules and the machinery are the project matrix's (workflows/tests/test_authz_matrix.py):
a row names who succeeds, ``forbidden`` who gets 403, everyone else 404 (``statuses`` names
the odd ones out); anonymous callers get 401 from the API and the login redirect from pages;
a refused write leaves every table as it was.

Who is who (performance/api/cycles.py, permissions.py, api/reviews.py): anyone with a scope
sees the cycles (the rows inside are scoped); HR admins run them (transitions, scoring,
calibration adjustments, export, questionnaires, reminders); targets, manager entries and
bonus points are written by HR, regional HR and unit heads for the participants under their
units (never by the person himself), auditors only read; peers are chosen by the person (or
his snapshot manager); answers are read and written by their reviewer only.

Objects: the "sales" population gz1, gz2 (Guangzhou store), fs1 (Foshan), bj1 (Beijing: out
of scope for gz_manager and hr_south). ``jan`` is scored and in calibration; ``feb`` is open,
with a questionnaire, the default invitations (``inv_gz1``: gz1 reviews himself; ``inv_bj1``:
bj1 himself) and gz2 chosen as gz1's peer.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

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
SCOPED = EVERYONE - {"nobody"}  # anyone with a scope (gz1: himself) sees the cycles
MANAGERS = F({"hr", "hr_south", "gz_manager", "partner_manager", "auditor"})
HR = F({"hr"})
RUNS = {"allowed": HR, "forbidden": SCOPED - HR}  # HR runs the cycle; others with a scope: 403
EDITS_GZ1 = F({"hr", "hr_south", "gz_manager"})  # who enters gz1's targets, values, bonus
READS_GZ1 = F({"auditor", "gz1"})  # ...and who only reads them (403)
EDITS = {"allowed": EDITS_GZ1, "forbidden": READS_GZ1}
EDITS_BJ1 = {"allowed": HR, "forbidden": F({"auditor"})}
C = "/performance/cycles"
TARGET = {"method": "fixed", "value": 420}
CRITERIA = [{"code": "team", "name": "团队协作", "weight": 60},
            {"code": "learn", "name": "学习成长", "weight": 40}]  # fmt: skip
TARGETS_CSV = b"employee_no,indicator,method,value\nT001,SALES,fixed,410\n"
ANSWERS = {"answers": {"team": 4, "learn": 3}, "comment": ""}


def page(route: str, url: str, **kw: Any) -> Case:
    method, path = route.split()
    return page_case(f"{method} /performance{path}", f"/performance{url}", **kw)


CASES: list[Case] = [
    # --- cycles (API) ---------------------------------------------------------------------
    api("GET /performance/cycles", allowed=EVERYONE),  # nobody: an empty list
    api("GET /performance/cycles/{cycle_id}", f"{C}/{{feb}}", allowed=SCOPED),
    api("POST /performance/cycles/{cycle_id}/transitions", f"{C}/{{feb}}/transitions", **RUNS,
        body={"to": "self_review"}),
    api("POST /performance/cycles/{cycle_id}/score", f"{C}/{{feb}}/score", **RUNS, ok=202),
    api("GET /performance/cycles/{cycle_id}/results", f"{C}/{{jan}}/results", allowed=SCOPED),
    api("GET /performance/cycles/{cycle_id}/distribution", f"{C}/{{jan}}/distribution",
        allowed=MANAGERS),
    api("POST /performance/cycles/{cycle_id}/results/{employee_id}/adjustments",
        f"{C}/{{jan}}/results/{{gz1}}/adjustments", **RUNS, ok=201,
        body={"reason": "复核", "total": 90}),
    api("POST /performance/cycles/{cycle_id}/results/{employee_id}/adjustments",
        f"{C}/{{jan}}/results/{{bj1}}/adjustments", **RUNS, ok=201,
        body={"reason": "复核", "total": 90}),
    api("GET /performance/cycles/{cycle_id}/export.xlsx", f"{C}/{{jan}}/export.xlsx", **RUNS),
    api("GET /performance/scorecards/{employee_id}", "/performance/scorecards/{gz1}",
        allowed=SEES_GZ1),
    api("GET /performance/scorecards/{employee_id}", "/performance/scorecards/{bj1}",
        allowed=COMPANY),
    # an unpublished cycle's card: HR only (not even the person himself)
    api("GET /performance/scorecards/{employee_id}", "/performance/scorecards/{gz1}?cycle={jan}",
        allowed=HR),
    api("GET /performance/scorecards/{employee_id}/projection",
        "/performance/scorecards/{gz1}/projection", allowed=SEES_GZ1),
    api("GET /performance/scorecards/{employee_id}/projection",
        "/performance/scorecards/{bj1}/projection", allowed=COMPANY),
    api("GET /performance/ledger/verify", allowed=F({"hr", "auditor"})),
    # --- targets, manager entries, bonus (API) --------------------------------------------
    api("GET /performance/cycles/{cycle_id}/targets", f"{C}/{{feb}}/targets", allowed=SCOPED),
    api("PUT /performance/cycles/{cycle_id}/targets/{employee_id}/{indicator}",
        f"{C}/{{feb}}/targets/{{gz1}}/SALES", **EDITS, body=TARGET),
    api("PUT /performance/cycles/{cycle_id}/targets/{employee_id}/{indicator}",
        f"{C}/{{feb}}/targets/{{bj1}}/SALES", **EDITS_BJ1, body=TARGET),
    # not a target file ("{}"): refused whole, to those who may upload
    api("POST /performance/cycles/{cycle_id}/targets/upload",
        f"{C}/{{feb}}/targets/upload?dry_run=true", **EDITS, ok=422, body={}),
    api("GET /performance/cycles/{cycle_id}/targets/template", f"{C}/{{feb}}/targets/template",
        **EDITS),
    api("GET /performance/cycles/{cycle_id}/manual-entries", f"{C}/{{feb}}/manual-entries",
        allowed=SCOPED),
    api("PUT /performance/cycles/{cycle_id}/manual-entries/{employee_id}/{indicator}",
        f"{C}/{{feb}}/manual-entries/{{gz1}}/QUALITY", **EDITS, body={"value": 80}),
    api("PUT /performance/cycles/{cycle_id}/manual-entries/{employee_id}/{indicator}",
        f"{C}/{{feb}}/manual-entries/{{bj1}}/QUALITY", **EDITS_BJ1, body={"value": 80}),
    api("GET /performance/cycles/{cycle_id}/bonus", f"{C}/{{feb}}/bonus", allowed=SCOPED),
    api("POST /performance/cycles/{cycle_id}/bonus", f"{C}/{{feb}}/bonus", **EDITS, ok=201,
        body={"employee_id": "{gz1}", "points": 2, "reason": "带新人"}),
    api("POST /performance/cycles/{cycle_id}/bonus", f"{C}/{{feb}}/bonus", **EDITS_BJ1, ok=201,
        body={"employee_id": "{bj1}", "points": 2, "reason": "带新人"}),
    # --- 360 reviews (API) ------------------------------------------------------------------
    api("GET /performance/questionnaires", allowed=HR, forbidden=EVERYONE - HR),
    api("GET /performance/cycles/{cycle_id}/questionnaire", f"{C}/{{feb}}/questionnaire",
        allowed=SCOPED),
    api("POST /performance/cycles/{cycle_id}/questionnaire", f"{C}/{{feb}}/questionnaire",
        **RUNS, ok=409, body={"criteria": CRITERIA}),  # it has one already
    api("PUT /performance/cycles/{cycle_id}/questionnaire", f"{C}/{{feb}}/questionnaire",
        **RUNS, body={"criteria": CRITERIA, "scale_max": 10}),
    api("POST /performance/cycles/{cycle_id}/invitations/defaults",
        f"{C}/{{feb}}/invitations/defaults", **RUNS, body={"subordinates": True}),
    api("GET /performance/cycles/{cycle_id}/participants/{employee_id}/invitations",
        f"{C}/{{feb}}/participants/{{gz1}}/invitations", allowed=SEES_GZ1),
    api("GET /performance/cycles/{cycle_id}/participants/{employee_id}/invitations",
        f"{C}/{{feb}}/participants/{{bj1}}/invitations", allowed=COMPANY),
    api("POST /performance/cycles/{cycle_id}/participants/{employee_id}/peers",
        f"{C}/{{feb}}/participants/{{gz1}}/peers", allowed=F({"gz1"}), ok=201,
        forbidden=SEES_GZ1 - {"gz1"}, body={"peers": ["{fs1}"]}),
    api("POST /performance/cycles/{cycle_id}/participants/{employee_id}/peers",
        f"{C}/{{feb}}/participants/{{bj1}}/peers", allowed=F(), forbidden=COMPANY,
        body={"peers": ["{fs1}"]}),
    api("DELETE /performance/cycles/{cycle_id}/participants/{employee_id}/peers/{peer_id}",
        f"{C}/{{feb}}/participants/{{gz1}}/peers/{{gz2}}", allowed=F({"gz1"}), ok=204,
        forbidden=SEES_GZ1 - {"gz1"}),
    api("GET /performance/cycles/{cycle_id}/reviews/progress", f"{C}/{{feb}}/reviews/progress",
        allowed=MANAGERS),
    api("POST /performance/cycles/{cycle_id}/reviews/reminders",
        f"{C}/{{feb}}/reviews/reminders", **RUNS),
    # the person sees his own summary only once the cycle is published
    api("GET /performance/cycles/{cycle_id}/participants/{employee_id}/reviews/summary",
        f"{C}/{{feb}}/participants/{{gz1}}/reviews/summary", allowed=SEES_GZ1 - {"gz1"}),
    api("GET /performance/cycles/{cycle_id}/participants/{employee_id}/reviews/summary",
        f"{C}/{{feb}}/participants/{{bj1}}/reviews/summary", allowed=COMPANY),
    api("GET /performance/reviews/mine", allowed=EVERYONE),  # one's own (none: empty)
    api("GET /performance/reviews/{invitation_id}", "/performance/reviews/{inv_gz1}",
        allowed=F({"gz1"})),
    api("GET /performance/reviews/{invitation_id}", "/performance/reviews/{inv_bj1}",
        allowed=F()),  # bj1's own: nobody else, not even HR
    api("POST /performance/reviews/{invitation_id}", "/performance/reviews/{inv_gz1}",
        allowed=F({"gz1"}), body=ANSWERS),
    api("POST /performance/reviews/{invitation_id}", "/performance/reviews/{inv_bj1}",
        allowed=F(), body=ANSWERS),
    # --- cycle pages ----------------------------------------------------------------------
    page("GET /cycles/", "/cycles/", allowed=SCOPED),
    page("GET /cycles/new/", "/cycles/new/", allowed=HR, forbidden=EVERYONE - HR),
    page("POST /cycles/new/", "/cycles/new/", allowed=HR, ok=302, forbidden=EVERYONE - HR,
         body={"code": "2026-03", "name": "三月", "cadence": "monthly",
               "period_start": "2026-03-01", "period_end": "2026-03-31",
               "position_codes": "sales", "leaver_policy": "prorate", "peer_limit": "3"}),
    page("GET /cycles/<int:pk>/", "/cycles/{jan}/", allowed=SCOPED),
    page("POST /cycles/<int:pk>/score/", "/cycles/{feb}/score/", **RUNS, ok=302),
    page("POST /cycles/<int:pk>/transition/", "/cycles/{feb}/transition/", **RUNS, ok=302,
         body={"to": "self_review"}),
    page("GET /cycles/<int:pk>/export.xlsx", "/cycles/{jan}/export.xlsx", **RUNS),
    page("GET /cycles/<int:pk>/calibration/", "/cycles/{jan}/calibration/", allowed=MANAGERS),
    page("POST /cycles/<int:pk>/calibration/adjust/", "/cycles/{jan}/calibration/adjust/",
         allowed=HR, ok=302, forbidden=MANAGERS - HR,
         body={"employee": "{gz1}", "total": "90", "reason": "复核"}),
    page("POST /cycles/<int:pk>/calibration/adjust/", "/cycles/{jan}/calibration/adjust/",
         allowed=HR, ok=302, forbidden=MANAGERS - HR,
         body={"employee": "{bj1}", "total": "90", "reason": "复核"}),
    page("GET /scorecard/", "/scorecard/", allowed=F({"hr", "gz1"})),  # one's own e-file
    page("GET /scorecard/", "/scorecard/?employee={gz1}", allowed=SEES_GZ1),
    page("GET /scorecard/", "/scorecard/?employee={bj1}", allowed=COMPANY),
    # --- targets, manager entries, bonus (pages) ----------------------------------------------
    page("GET /cycles/<int:pk>/targets/", "/cycles/{feb}/targets/", allowed=SCOPED),
    page("POST /cycles/<int:pk>/targets/upload/", "/cycles/{feb}/targets/upload/", **EDITS,
         body={"file": ("t.csv", TARGETS_CSV), "dry_run": "on"}),
    page("POST /cycles/<int:pk>/targets/upload/", "/cycles/{feb}/targets/upload/", **EDITS,
         ok=302, body={"file": ("t.csv", TARGETS_CSV)}),
    page("POST /cycles/<int:pk>/targets/commit/", "/cycles/{feb}/targets/commit/", **EDITS,
         ok=302, body={"digest": "0"}),  # nothing checked before: back to the page
    page("GET /cycles/<int:pk>/targets/template.<str:fmt>", "/cycles/{feb}/targets/template.csv",
         **EDITS),
    page("GET /cycles/<int:pk>/targets/<int:employee_id>/<str:indicator>/",
         "/cycles/{feb}/targets/{gz1}/SALES/", **EDITS),
    page("GET /cycles/<int:pk>/targets/<int:employee_id>/<str:indicator>/",
         "/cycles/{feb}/targets/{bj1}/SALES/", **EDITS_BJ1),
    page("POST /cycles/<int:pk>/targets/<int:employee_id>/<str:indicator>/",
         "/cycles/{feb}/targets/{gz1}/SALES/", **EDITS, ok=302, body=TARGET),
    page("POST /cycles/<int:pk>/targets/<int:employee_id>/<str:indicator>/",
         "/cycles/{feb}/targets/{bj1}/SALES/", **EDITS_BJ1, ok=302, body=TARGET),
    page("GET /cycles/<int:pk>/manual/", "/cycles/{feb}/manual/", allowed=SCOPED),
    page("POST /cycles/<int:pk>/manual/<int:employee_id>/<str:indicator>/",
         "/cycles/{feb}/manual/{gz1}/QUALITY/", **EDITS, ok=302, body={"value": "80"}),
    page("POST /cycles/<int:pk>/manual/<int:employee_id>/<str:indicator>/",
         "/cycles/{feb}/manual/{bj1}/QUALITY/", **EDITS_BJ1, ok=302, body={"value": "80"}),
    page("GET /cycles/<int:pk>/bonus/", "/cycles/{feb}/bonus/", allowed=SCOPED),
    # the form answers "not in this cycle" (422) for anyone out of reach, as for a stranger
    page("POST /cycles/<int:pk>/bonus/", "/cycles/{feb}/bonus/", allowed=EDITS_GZ1, ok=302,
         denied=422, statuses=(("nobody", 404),),
         body={"employee_no": "T001", "points": "2", "reason": "带新人"}),
    page("POST /cycles/<int:pk>/bonus/", "/cycles/{feb}/bonus/", allowed=HR, ok=302,
         denied=422, statuses=(("nobody", 404),),
         body={"employee_no": "T004", "points": "2", "reason": "带新人"}),
    # --- 360 reviews (pages) ------------------------------------------------------------------
    page("GET /reviews/", "/reviews/", allowed=EVERYONE),
    page("GET /reviews/<int:pk>/", "/reviews/{inv_gz1}/", allowed=F({"gz1"})),
    page("GET /reviews/<int:pk>/", "/reviews/{inv_bj1}/", allowed=F()),
    page("POST /reviews/<int:pk>/", "/reviews/{inv_gz1}/", allowed=F({"gz1"}), ok=302,
         body={"c_team": "4", "c_learn": "3"}),
    page("POST /reviews/<int:pk>/", "/reviews/{inv_bj1}/", allowed=F(),
         body={"c_team": "4", "c_learn": "3"}),
    page("GET /cycles/<int:pk>/reviews/", "/cycles/{feb}/reviews/", allowed=MANAGERS),
    page("POST /cycles/<int:pk>/reviews/remind/", "/cycles/{feb}/reviews/remind/", **RUNS,
         ok=302),
    page("POST /cycles/<int:pk>/reviews/invite/", "/cycles/{feb}/reviews/invite/", **RUNS,
         ok=302),
    page("GET /cycles/<int:pk>/reviews/questionnaire/", "/cycles/{feb}/reviews/questionnaire/",
         **RUNS),
    page("POST /cycles/<int:pk>/reviews/questionnaire/", "/cycles/{feb}/reviews/questionnaire/",
         **RUNS, ok=302, body={"criteria": "team | 团队协作 | 100", "scale_max": "5"}),
    page("GET /cycles/<int:pk>/reviews/<int:employee_id>/peers/",
         "/cycles/{feb}/reviews/{gz1}/peers/", allowed=F({"gz1"}), forbidden=SEES_GZ1 - {"gz1"}),
    page("GET /cycles/<int:pk>/reviews/<int:employee_id>/peers/",
         "/cycles/{feb}/reviews/{bj1}/peers/", allowed=F(), forbidden=COMPANY),
    page("POST /cycles/<int:pk>/reviews/<int:employee_id>/peers/",
         "/cycles/{feb}/reviews/{gz1}/peers/", allowed=F({"gz1"}), ok=302,
         forbidden=SEES_GZ1 - {"gz1"}, body={"peer": "{fs1}"}),
    page("POST /cycles/<int:pk>/reviews/<int:employee_id>/peers/",
         "/cycles/{feb}/reviews/{bj1}/peers/", allowed=F(), forbidden=COMPANY,
         body={"peer": "{fs1}"}),
]  # fmt: skip


@pytest.fixture
def objects(world: Any, library: Any, frameworks: Any) -> dict[str, Any]:
    from heng.org.models import Position
    from heng.performance import services
    from heng.performance.models import ReviewInvitation
    from heng.performance.services.cycles import cycle_advance, cycle_create, cycle_open
    from heng.performance.services.reviews import (
        invitations_default,
        peers_choose,
        questionnaire_set,
    )
    from heng.performance.services.scoring import cycle_score
    from heng.performance.services.targets import manual_value_set
    from heng.performance.tests.cycle_fixtures import load_facts, publish_scheme, set_targets

    scheme = services.scheme_create(
        actor=None,
        code="SALES-REP",
        name="销售代表方案",
        framework=frameworks["DIRECT"],
        applies_to=[(None, Position.objects.get(code="sales"))],
    )
    for code, weight in (("SALES", 40), ("NEWCUST", 30), ("QUALITY", 30)):
        services.scheme_line_add(
            actor=None, scheme=scheme, indicator=library[code], weight=Decimal(weight)
        )
    publish_scheme(scheme)
    load_facts(world)
    hr = world.users["hr"]

    def cycle(code: str, start: dt.date, end: dt.date) -> Any:
        made = cycle_create(
            actor=hr,
            code=code,
            name=code,
            cadence="monthly",
            period_start=start,
            period_end=end,
            position_codes=["sales"],
            review_deadline=timezone.localdate() + dt.timedelta(days=7),
            peer_limit=3,
        )
        return cycle_open(actor=hr, cycle=made)

    jan = cycle("2026-01", dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    set_targets(jan, {"SALES": 400, "NEWCUST": 30})
    eighty = Decimal(80)
    for participant in jan.participants.all():
        manual_value_set(actor=None, participant=participant, indicator="QUALITY", value=eighty)
    cycle_score(cycle=jan)
    cycle_advance(actor=None, cycle=jan, to="manager_scoring")
    cycle_advance(actor=None, cycle=jan, to="calibration")
    feb = cycle("2026-02", dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    questionnaire_set(cycle=feb, criteria=CRITERIA)
    invitations_default(cycle=feb)
    people = world.people
    gz1_in_feb = feb.participants.get(employee_id=people["gz1"].pk)
    peers_choose(actor_employee=people["gz1"], participant=gz1_in_feb, peers=[people["gz2"]])
    invitation = ReviewInvitation.objects.filter(participant__cycle=feb)
    return {
        **{code: u.pk for code, u in world.units.items()},
        **{k: p.pk for k, p in people.items()},
        "jan": jan.pk,
        "feb": feb.pk,
        "inv_gz1": invitation.get(reviewer=people["gz1"], participant=gz1_in_feb).pk,
        "inv_bj1": invitation.get(
            reviewer=people["bj1"], participant__employee_id=people["bj1"].pk
        ).pk,
    }


@pytest.mark.parametrize("case", CASES, ids=[f"{c.route} {c.url}" for c in CASES])
def test_matrix(case: Case, objects: dict[str, Any]) -> None:
    check(case, objects)


CYCLE_ROUTES = ("/api/v1/performance/cycles", "/api/v1/performance/scorecards",
                "/api/v1/performance/ledger", "/api/v1/performance/questionnaires",
                "/api/v1/performance/reviews", "/performance/cycles/", "/performance/reviews/",
                "/performance/scorecard/")  # fmt: skip


def test_every_cycle_route_is_in_the_matrix() -> None:
    mine = {r for r in _declared_routes() if r.split()[-1].startswith(CYCLE_ROUTES)}
    covered = {c.route for c in CASES} | {c.route.split()[-1] for c in CASES}
    missing = sorted(mine - covered)
    assert not missing, "add these to CASES:\n" + "\n".join(missing)
    assert len(mine) >= 55  # the prefixes still match the app's routes
