"""Targets, manager entries and bonus points: the methods with hand-computed numbers, the
file reader, the bulk upload (dry run, all or nothing), locking, and who may write what.

Sales cycle (cycle_fixtures): T001, T002 in SGZ (gz_manager), T003 in SFS, T004 in SBJ; every
line (SALES, NEWCUST, COMPLAINT) scores against a target.
Chef cycle: the CHEF scheme (QUALITY manual 50, TRAINING linear 50) for position "chef" over
the days of the chef's dispatch: T005 (chef, home K, working in partner store P) and T006
(cook, K).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from heng.core.errors import NotFound, PermissionDenied
from heng.performance import services
from heng.performance.cycle_errors import CycleConflict, TargetInvalid
from heng.performance.models import BonusEntry, ManualValue, Participant, Result, Target
from heng.performance.services.calibration import cycle_publish
from heng.performance.services.cycles import cycle_advance, cycle_create, cycle_open
from heng.performance.services.scoring import cycle_score
from heng.performance.services.targets import (
    bonus_add,
    manual_value_set,
    parse_target_file,
    read_target_file,
    target_set,
    target_value,
    targets_bulk_set,
)
from heng.performance.tests.cycle_fixtures import (
    load_facts,
    open_cycle,
    publish_scheme,
    set_targets,
)

D = Decimal
API = "/api/v1/performance"
BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture(autouse=True)
def _english() -> Any:
    """Assertions read the English texts (services and API alike)."""
    with translation.override("en"):
        yield


def login(client: Any, user: Any) -> Any:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(user, backend=BACKEND)
    return client


def put(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.put(url, json.dumps(body), content_type="application/json")


def post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def targets_of(cycle: Any) -> dict[tuple[str, str], Decimal]:
    return {
        (t.participant.employee_no, t.indicator): t.value
        for t in Target.objects.filter(participant__cycle=cycle).select_related("participant")
    }


@pytest.fixture
def cycle(world: Any, sales_scheme: Any) -> Any:
    publish_scheme(sales_scheme)
    return open_cycle(world)


def person(cycle: Any, no: str) -> Participant:
    return cycle.participants.get(employee_no=no)


# --- the methods, by hand --------------------------------------------------------------------


def test_fixed_target(cycle: Any) -> None:
    value, basis = target_value(
        participant=person(cycle, "T001"), indicator="SALES", method="fixed", value=D(400)
    )
    assert (value, basis) == (D("400.0000"), {})


def test_split_of_a_unit_target_equal_and_explicit_share(cycle: Any) -> None:
    # SGZ has two sales reps with SALES (T001, T002): 900 / 2 = 450 each
    value, basis = target_value(
        participant=person(cycle, "T001"), indicator="SALES", method="split", unit_target=D(900)
    )
    assert value == D("450.0000")
    assert basis == {"unit_target": "900", "split_among": 2, "share": "50.0000"}
    # an explicit share: 900 × 40% = 360
    value, basis = target_value(
        participant=person(cycle, "T002"),
        indicator="SALES",
        method="split",
        unit_target=D(900),
        share=D(40),
    )
    assert value == D("360.0000")
    assert basis == {"unit_target": "900", "share": "40.0000"}
    # T003 is alone in SFS: the whole unit target
    value, _basis = target_value(
        participant=person(cycle, "T003"), indicator="SALES", method="split", unit_target=D(300)
    )
    assert value == D("300.0000")
    # SGZ three ways would be 1000 / 3 = 333.3333 (4 decimals)
    value, _basis = target_value(
        participant=person(cycle, "T001"),
        indicator="SALES",
        method="split",
        unit_target=D(1000),
        share=D(100) / D(3),
    )
    assert value == D("333.3333")


def test_split_refuses_a_share_outside_0_to_100(cycle: Any) -> None:
    for share in (D(0), D(120)):
        with pytest.raises(TargetInvalid):
            target_value(
                participant=person(cycle, "T001"),
                indicator="SALES",
                method="split",
                unit_target=D(900),
                share=share,
            )


def test_benchmark_times_factor(cycle: Any) -> None:
    # the fairness tool: 320 (regional benchmark) × 1.25 = 400
    value, basis = target_value(
        participant=person(cycle, "T004"),
        indicator="SALES",
        method="benchmark",
        benchmark=D(320),
        factor=D("1.25"),
    )
    assert (value, basis) == (D("400.0000"), {"benchmark": "320", "factor": "1.25"})
    # the factor defaults to 1
    value, _b = target_value(
        participant=person(cycle, "T004"), indicator="SALES", method="benchmark", benchmark=D(350)
    )
    assert value == D("350.0000")
    with pytest.raises(TargetInvalid):  # 320 × −1 is no target
        target_value(
            participant=person(cycle, "T004"),
            indicator="SALES",
            method="benchmark",
            benchmark=D(320),
            factor=D(-1),
        )


def test_baseline_is_last_published_actual_plus_growth(world: Any, sales_scheme: Any) -> None:
    publish_scheme(sales_scheme)
    load_facts(world)
    january = open_cycle(world)
    # without a published earlier cycle there is no baseline
    with pytest.raises(TargetInvalid) as err:
        target_set(
            actor=None,
            participant=person(january, "T001"),
            indicator="SALES",
            method="baseline",
            growth=D(10),
        )
    assert err.value.code == "no_baseline"
    set_targets(january)
    cycle_score(cycle=january)
    cycle_advance(actor=None, cycle=january, to="manager_scoring")
    cycle_advance(actor=None, cycle=january, to="calibration")
    cycle_publish(actor=None, cycle=january)
    february = cycle_open(
        actor=world.users["hr"],
        cycle=cycle_create(
            actor=world.users["hr"],
            code="2026-02",
            name="二月",
            cadence="monthly",
            period_start=dt.date(2026, 2, 1),
            period_end=dt.date(2026, 2, 28),
            position_codes=["sales"],
        ),
    )
    # T001 sold 460 in January: 460 × (1 + 10%) = 506
    t = target_set(
        actor=world.users["hr"],
        participant=person(february, "T001"),
        indicator="SALES",
        method="baseline",
        growth=D(10),
    )
    assert t.value == D("506.0000")
    assert t.basis == {"baseline": "460.0", "growth": "10", "baseline_cycle": "2026-01"}
    # T002 won 15 new customers: 15 × (1 − 20%) = 12; no growth given = the baseline itself
    t = target_set(
        actor=None,
        participant=person(february, "T002"),
        indicator="NEWCUST",
        method="baseline",
        growth=D(-20),
    )
    assert t.value == D("12.0000")
    t = target_set(
        actor=None, participant=person(february, "T004"), indicator="NEWCUST", method="baseline"
    )
    assert t.value == D("33.0000")


def test_unknown_method_and_indicator_are_refused(cycle: Any) -> None:
    with pytest.raises(TargetInvalid):
        target_set(actor=None, participant=person(cycle, "T001"), indicator="SALES", method="guess")
    with pytest.raises(TargetInvalid):
        target_set(
            actor=None,
            participant=person(cycle, "T001"),
            indicator="VISITS",
            method="fixed",
            value=D(4),
        )
    assert Target.objects.count() == 0


# --- the API: one target ---------------------------------------------------------------------


def test_a_store_manager_lists_and_sets_his_stores_targets(
    client: Any, world: Any, cycle: Any
) -> None:
    c = login(client, world.users["gz_manager"])
    r = c.get(f"{API}/cycles/{cycle.pk}/targets")
    assert r.status_code == 200
    body = r.json()
    assert body["locked"] is False
    assert sorted({(t["employee_no"], t["indicator"]) for t in body["targets"]}) == [
        (no, ind) for no in ("T001", "T002") for ind in ("COMPLAINT", "NEWCUST", "SALES")
    ]
    assert all(t["editable"] and t["value"] is None for t in body["targets"])
    gz1 = world.people["gz1"].pk
    r = put(
        c, f"{API}/cycles/{cycle.pk}/targets/{gz1}/SALES", {"method": "split", "unit_target": 900}
    )
    assert r.status_code == 200, r.content
    assert (r.json()["value"], r.json()["method"]) == ("450.0000", "split")
    assert targets_of(cycle) == {("T001", "SALES"): D(450)}
    assert Target.objects.get().set_by == world.users["gz_manager"]


@pytest.mark.parametrize(
    ("user", "employee", "status"),
    [
        ("gz_manager", "bj1", 404),  # another region's store
        ("hr_south", "bj1", 404),  # regional HR of the south, a northern rep
        ("partner_manager", "gz1", 404),
        ("nobody", "gz1", 404),
        ("gz1", "gz2", 404),  # a colleague
        ("gz1", "gz1", 403),  # himself: he reads his targets, he does not set them
        ("auditor", "gz1", 403),  # reads everything, changes nothing
    ],
)
def test_targets_outside_the_callers_reach_are_refused_and_nothing_changes(
    client: Any, world: Any, cycle: Any, user: str, employee: str, status: int
) -> None:
    c = login(client, world.users[user])
    emp = world.people[employee].pk
    r = put(c, f"{API}/cycles/{cycle.pk}/targets/{emp}/SALES", {"method": "fixed", "value": 1})
    assert r.status_code == status
    assert Target.objects.count() == 0


def test_hr_sets_any_target_and_regional_hr_its_region(client: Any, world: Any, cycle: Any) -> None:
    bj1 = world.people["bj1"].pk
    r = put(
        login(client, world.users["hr"]),
        f"{API}/cycles/{cycle.pk}/targets/{bj1}/SALES",
        {"method": "benchmark", "benchmark": "320", "factor": "1.25"},
    )
    assert (r.status_code, r.json()["value"]) == (200, "400.0000")
    fs1 = world.people["fs1"].pk
    r = put(
        login(client, world.users["hr_south"]),
        f"{API}/cycles/{cycle.pk}/targets/{fs1}/NEWCUST",
        {"method": "fixed", "value": "30"},
    )
    assert r.status_code == 200
    assert targets_of(cycle) == {("T004", "SALES"): D(400), ("T003", "NEWCUST"): D(30)}


def test_the_service_checks_its_actor_too(world: Any, cycle: Any) -> None:
    with pytest.raises(NotFound):
        target_set(
            actor=world.users["gz_manager"],
            participant=person(cycle, "T004"),
            indicator="SALES",
            method="fixed",
            value=D(1),
        )
    with pytest.raises(PermissionDenied):
        target_set(
            actor=world.users["auditor"],
            participant=person(cycle, "T004"),
            indicator="SALES",
            method="fixed",
            value=D(1),
        )
    assert Target.objects.count() == 0


def test_locked_targets_are_refused_over_the_api(client: Any, world: Any, cycle: Any) -> None:
    set_targets(cycle)
    cycle_advance(actor=None, cycle=cycle, to="manager_scoring")
    before = targets_of(cycle)
    c = login(client, world.users["hr"])
    gz1 = world.people["gz1"].pk
    r = put(c, f"{API}/cycles/{cycle.pk}/targets/{gz1}/SALES", {"method": "fixed", "value": 1})
    assert (r.status_code, r.json()["code"]) == (409, "targets_locked")
    upload = SimpleUploadedFile(
        "t.csv", b"employee_no,indicator,method,value\nT001,SALES,fixed,1\n"
    )
    r = c.post(f"{API}/cycles/{cycle.pk}/targets/upload?dry_run=true", {"file": upload})
    assert (r.status_code, r.json()["code"]) == (409, "targets_locked")
    listing = c.get(f"{API}/cycles/{cycle.pk}/targets").json()
    assert listing["locked"] is True
    assert not any(t["editable"] for t in listing["targets"])
    assert targets_of(cycle) == before


# --- files -----------------------------------------------------------------------------------

BAD_FILE = """employee_no,indicator,method,value,unit_target,share,growth,benchmark,factor
T001,SALES,fixed,400,,,,,
T009,SALES,fixed,400,,,,,
T002,SALES,fixed,abc,,,,,
T002,NEWCUST,bogus,30,,,,,
T003,SALES,split,,,,,,
T004,SALES,fixed,0,,,,,
T001,SALES,fixed,500,,,,,
T001,VISITS,fixed,4,,,,,
,,,,,,,,
T003,NEWCUST,benchmark,,,,,20,1.5
"""
BAD_LINES = [3, 4, 5, 6, 7, 8, 9]


def test_the_reader_names_unreadable_lines_and_keeps_line_numbers() -> None:
    read = read_target_file(BAD_FILE.encode(), "targets.csv")
    assert read.problems == {4: "value is not a number"}
    assert [r.line for r in read.rows] == [2, 3, 5, 6, 7, 8, 9, 11]
    assert read.rows[-1].numbers["factor"] == D("1.5")
    with pytest.raises(TargetInvalid) as err:
        parse_target_file(BAD_FILE.encode(), "targets.csv")
    assert err.value.fields == {"line 4": "value is not a number"}


def test_the_reader_refuses_missing_columns_and_empty_files() -> None:
    with pytest.raises(TargetInvalid) as err:
        read_target_file(b"employee_no,value\nT001,4\n", "t.csv")
    assert err.value.code == "columns_missing"
    with pytest.raises(TargetInvalid) as err:
        read_target_file(b"", "t.csv")
    assert err.value.code == "empty_file"


def xlsx(rows: list[list[Any]]) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        sheet.write_row(r, 0, row)
    book.close()
    return out.getvalue()


def test_the_reader_takes_xlsx_with_numeric_cells() -> None:
    data = xlsx(
        [
            ["employee_no", "indicator", "method", "value", "benchmark", "factor"],
            [1001, "SALES", "fixed", 400, None, None],
            ["T003", "NEWCUST", "benchmark", None, 20, 1.5],
        ]
    )
    read = read_target_file(data, "targets.xlsx")
    assert read.problems == {}
    assert [(r.employee_no, r.numbers["value"], r.numbers["factor"]) for r in read.rows] == [
        ("1001", D(400), None),
        ("T003", None, D("1.5")),
    ]


def test_dry_run_reports_exactly_the_bad_rows_and_commit_writes_nothing(
    client: Any, world: Any, cycle: Any
) -> None:
    c = login(client, world.users["hr"])
    url = f"{API}/cycles/{cycle.pk}/targets/upload"
    r = c.post(f"{url}?dry_run=true", {"file": SimpleUploadedFile("t.csv", BAD_FILE.encode())})
    assert r.status_code == 200
    report = r.json()
    assert (report["ok"], report["written"]) == (False, False)
    assert [e["line"] for e in report["errors"]] == BAD_LINES
    reasons = {e["line"]: e["reason"] for e in report["errors"]}
    assert "T009" in reasons[3]
    assert "not a number" in reasons[4]
    assert "bogus" in reasons[5]
    assert "unit target" in reasons[6]
    assert "greater than 0" in reasons[7]
    assert "line 2" in reasons[8]
    assert "VISITS" in reasons[9]
    # the good rows are previewed with their values: 400, and 20 × 1.5 = 30
    assert [(x["line"], x["value"]) for x in report["rows"]] == [(2, "400.0000"), (11, "30.0000")]
    assert Target.objects.count() == 0
    # commit: refused as a whole, naming the same lines
    r = c.post(url, {"file": SimpleUploadedFile("t.csv", BAD_FILE.encode())})
    assert (r.status_code, r.json()["code"]) == (422, "rows_invalid")
    assert sorted(int(k.split()[-1]) for k in r.json()["fields"]) == BAD_LINES
    assert Target.objects.count() == 0


def test_a_good_file_is_committed_all_at_once_and_replaces(
    client: Any, world: Any, cycle: Any
) -> None:
    set_targets(cycle)  # 400 / 30 / 2 for everyone
    good = (
        "employee_no,indicator,method,value,unit_target,share,growth,benchmark,factor\n"
        "T001,SALES,split,,900,,,,\n"
        "T002,SALES,split,,900,,,,\n"
        "T003,NEWCUST,benchmark,,,,,20,1.5\n"
        "T004,COMPLAINT,fixed,3,,,,,\n"
    )
    c = login(client, world.users["hr"])
    url = f"{API}/cycles/{cycle.pk}/targets/upload"
    r = c.post(f"{url}?dry_run=true", {"file": SimpleUploadedFile("t.csv", good.encode())})
    assert (r.status_code, r.json()["ok"]) == (200, True)
    assert targets_of(cycle)[("T001", "SALES")] == D(400)  # a dry run writes nothing
    assert r.json()["rows"][0]["previous"] == "400.0000"
    r = c.post(url, {"file": SimpleUploadedFile("t.csv", good.encode())})
    assert (r.status_code, r.json()["written"], r.json()["count"]) == (201, True, 4)
    now = targets_of(cycle)
    assert (now[("T001", "SALES")], now[("T002", "SALES")]) == (D(450), D(450))
    assert now[("T003", "NEWCUST")] == D(30)
    assert now[("T004", "COMPLAINT")] == D(3)
    assert now[("T004", "SALES")] == D(400)  # lines not in the file stay
    assert len(now) == 12


def test_a_managers_file_may_only_name_his_people(client: Any, world: Any, cycle: Any) -> None:
    text = (
        "employee_no,indicator,method,value\n"
        "T001,SALES,fixed,400\n"
        "T004,SALES,fixed,400\n"  # SBJ: not his; read like an unknown person
    )
    c = login(client, world.users["gz_manager"])
    url = f"{API}/cycles/{cycle.pk}/targets/upload"
    r = c.post(url, {"file": SimpleUploadedFile("t.csv", text.encode())})
    assert r.status_code == 422
    assert r.json()["fields"] == {"line 3": "T004 is not in this cycle"}
    assert Target.objects.count() == 0
    # somebody who reaches nobody cannot upload at all
    r = login(client, world.users["nobody"]).post(
        url, {"file": SimpleUploadedFile("t.csv", text.encode())}
    )
    assert r.status_code == 404


def test_the_template_round_trips(client: Any, world: Any, cycle: Any) -> None:
    target_set(
        actor=None,
        participant=person(cycle, "T001"),
        indicator="SALES",
        method="split",
        unit_target=D(900),
    )
    c = login(client, world.users["gz_manager"])
    r = c.get(f"{API}/cycles/{cycle.pk}/targets/template?format=csv")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/csv")
    read = read_target_file(r.content, "t.csv")
    assert {(x.employee_no, x.indicator) for x in read.rows} == {
        (no, ind) for no in ("T001", "T002") for ind in ("SALES", "NEWCUST", "COMPLAINT")
    }
    split = next(x for x in read.rows if (x.employee_no, x.indicator) == ("T001", "SALES"))
    assert (split.method, split.numbers["unit_target"], split.numbers["share"]) == (
        "split",
        D(900),
        None,
    )
    # fill in the blanks and send it back
    lines = r.content.decode("utf-8-sig").splitlines()
    filled = [lines[0]] + [
        ln.replace("fixed,,", "fixed,10,", 1) if ",fixed,," in ln else ln for ln in lines[1:]
    ]
    r = c.post(
        f"{API}/cycles/{cycle.pk}/targets/upload",
        {"file": SimpleUploadedFile("t.csv", "\n".join(filled).encode())},
    )
    assert r.status_code == 201, r.content
    assert targets_of(cycle)[("T001", "SALES")] == D(450)
    assert targets_of(cycle)[("T002", "NEWCUST")] == D(10)
    xl = c.get(f"{API}/cycles/{cycle.pk}/targets/template?format=xlsx")
    assert xl.status_code == 200
    rows = read_target_file(xl.content, "t.xlsx").rows
    assert len(rows) == 6
    assert next(x for x in rows if x.indicator == "NEWCUST").numbers["value"] == D(10)


def test_the_bulk_service_is_all_or_nothing(world: Any, cycle: Any) -> None:
    rows = read_target_file(BAD_FILE.encode(), "t.csv")
    with pytest.raises(TargetInvalid):
        targets_bulk_set(actor=None, cycle=cycle, rows=rows.rows, problems=rows.problems)
    assert Target.objects.count() == 0


# --- manager entries (seed 002: the partner store rates the dispatched chef) -----------------


@pytest.fixture
def chef_cycle(world: Any, library: Any, frameworks: Any) -> Any:
    from heng.org.models import Position

    scheme = services.scheme_create(
        actor=None,
        code="CHEF",
        name="驻店厨师",
        framework=frameworks["DIRECT"],
        applies_to=[(None, Position.objects.get(code="chef"))],
    )
    services.scheme_line_add(actor=None, scheme=scheme, indicator=library["QUALITY"], weight=D(50))
    services.scheme_line_add(actor=None, scheme=scheme, indicator=library["TRAINING"], weight=D(50))
    publish_scheme(scheme)
    today = dt.date.today()
    cycle = cycle_create(
        actor=world.users["hr"],
        code="CHEF-1",
        name="驻店厨师考核",
        cadence="monthly",
        period_start=today - dt.timedelta(days=9),
        period_end=today,
        position_codes=["chef"],
    )
    return cycle_open(actor=world.users["hr"], cycle=cycle)


def test_the_chef_is_scored_in_the_partner_store(chef_cycle: Any) -> None:
    chef = person(chef_cycle, "T005")
    assert chef.working_unit is not None
    assert (chef.unit.code, chef.home_unit.code, chef.working_unit.code) == ("P", "K", "P")


def test_the_partner_store_manager_rates_the_dispatched_chef(
    client: Any, world: Any, chef_cycle: Any
) -> None:
    c = login(client, world.users["partner_manager"])
    r = c.get(f"{API}/cycles/{chef_cycle.pk}/manual-entries")
    assert r.status_code == 200
    rows = r.json()["entries"]
    assert [(x["employee_no"], x["indicator"], x["min"], x["max"]) for x in rows] == [
        ("T005", "QUALITY", "0", "100")
    ]
    chef = world.people["chef"].pk
    url = f"{API}/cycles/{chef_cycle.pk}/manual-entries/{chef}/QUALITY"
    r = put(c, url, {"value": "88.5", "comment": "出品稳定，客人满意"})
    assert r.status_code == 200, r.content
    assert (r.json()["value"], r.json()["entered_by"]) == ("88.5000", "partner_manager")
    row = ManualValue.objects.get()
    assert (row.value, row.comment, row.entered_by) == (
        D("88.5"),
        "出品稳定，客人满意",
        world.users["partner_manager"],
    )
    # a second entry replaces the first
    assert put(c, url, {"value": 90}).status_code == 200
    assert [v.value for v in ManualValue.objects.all()] == [D(90)]
    # out of range and not-manual indicators are refused
    r = put(c, url, {"value": 101})
    assert (r.status_code, r.json()["code"]) == (422, "out_of_range")
    r = put(c, f"{API}/cycles/{chef_cycle.pk}/manual-entries/{chef}/TRAINING", {"value": 50})
    assert (r.status_code, r.json()["code"]) == (422, "not_manual")
    assert [v.value for v in ManualValue.objects.all()] == [D(90)]
    # the store's manager has nothing to do with the cook in the kitchen
    cook = world.people["cook"].pk
    r = put(c, f"{API}/cycles/{chef_cycle.pk}/manual-entries/{cook}/QUALITY", {"value": 70})
    assert r.status_code == 404


def test_an_unrelated_manager_cannot_rate_the_chef(
    client: Any, world: Any, chef_cycle: Any
) -> None:
    chef = world.people["chef"].pk
    url = f"{API}/cycles/{chef_cycle.pk}/manual-entries/{chef}/QUALITY"
    manual_value_set(
        actor=world.users["partner_manager"],
        participant=person(chef_cycle, "T005"),
        indicator="QUALITY",
        value=D(80),
    )
    c = login(client, world.users["gz_manager"])
    assert c.get(f"{API}/cycles/{chef_cycle.pk}/manual-entries").json()["entries"] == []
    r = put(c, url, {"value": 10, "comment": "不认识"})
    assert r.status_code == 404
    missing = put(c, f"{API}/cycles/{chef_cycle.pk}/manual-entries/999999/QUALITY", {"value": 1})
    assert missing.status_code == 404
    assert r.json() == missing.json()  # out of scope reads like missing
    row = ManualValue.objects.get()
    assert (row.value, row.entered_by) == (D(80), world.users["partner_manager"])
    with pytest.raises(NotFound):
        manual_value_set(
            actor=world.users["gz_manager"],
            participant=person(chef_cycle, "T005"),
            indicator="QUALITY",
            value=D(10),
        )
    assert ManualValue.objects.get().value == D(80)


def test_manager_entries_close_with_calibration(world: Any, chef_cycle: Any) -> None:
    type(chef_cycle).objects.filter(pk=chef_cycle.pk).update(state="calibration")
    with pytest.raises(CycleConflict):
        manual_value_set(
            actor=world.users["partner_manager"],
            participant=person(chef_cycle, "T005"),
            indicator="QUALITY",
            value=D(80),
        )
    assert ManualValue.objects.count() == 0


# --- bonus points ------------------------------------------------------------------------------


def test_bonus_points_are_added_with_a_reason_and_counted_up_to_the_cap(
    client: Any, world: Any, sales_scheme: Any, frameworks: Any
) -> None:
    services.framework_update(actor=None, framework=frameworks["DIRECT"], bonus_cap=D(5))
    publish_scheme(sales_scheme)
    load_facts(world)
    cycle = open_cycle(world)
    set_targets(cycle)
    c = login(client, world.users["gz_manager"])
    url = f"{API}/cycles/{cycle.pk}/bonus"
    gz1 = world.people["gz1"].pk
    r = post(c, url, {"employee_id": gz1, "points": "3", "reason": "新品推广第一名"})
    assert r.status_code == 201, r.content
    assert (r.json()["points"], r.json()["entered_by"]) == ("3.00", "gz_manager")
    assert post(c, url, {"employee_id": gz1, "points": 4, "reason": "带教新人"}).status_code == 201
    # refusals: no reason, negative points, somebody else's person
    r = post(c, url, {"employee_id": gz1, "points": 1, "reason": "  "})
    assert (r.status_code, r.json()["code"]) == (422, "bonus_invalid")
    r = post(c, url, {"employee_id": gz1, "points": -1, "reason": "扣分"})
    assert (r.status_code, r.json()["code"]) == (422, "bonus_invalid")
    bj1 = world.people["bj1"].pk
    assert post(c, url, {"employee_id": bj1, "points": 1, "reason": "x"}).status_code == 404
    assert BonusEntry.objects.count() == 2
    listing = c.get(url).json()
    assert listing["cap"] == "5"
    assert sorted(e["points"] for e in listing["entries"]) == ["3.00", "4.00"]
    # somebody without any scope does not even see the cycle
    assert login(client, world.users["nobody"]).get(url).status_code == 404
    # scoring: T001 106 + min(3 + 4, cap 5) = 111
    cycle_score(cycle=cycle)
    result = Result.objects.get(participant__employee_no="T001")
    assert (result.bonus, result.total) == (D(5), D(111))


def test_bonus_service_checks_actor_and_state(world: Any, cycle: Any) -> None:
    with pytest.raises(NotFound):
        bonus_add(
            actor=world.users["partner_manager"],
            participant=person(cycle, "T001"),
            points=D(1),
            reason="x",
        )
    cycle_advance(actor=None, cycle=cycle, to="manager_scoring")
    bonus_add(actor=world.users["hr"], participant=person(cycle, "T001"), points=D(1), reason="x")
    type(cycle).objects.filter(pk=cycle.pk).update(state="calibration")
    with pytest.raises(CycleConflict):
        bonus_add(actor=None, participant=person(cycle, "T001"), points=D(1), reason="x")
    assert BonusEntry.objects.count() == 1
