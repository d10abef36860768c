"""Pages for cycle inputs: the targets grid with its inline htmx form, the upload with a
dry-run preview then commit, the template, the lock; manager entries; bonus points."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from heng.performance import services
from heng.performance.models import BonusEntry, ManualValue, Target
from heng.performance.services.cycles import cycle_advance, cycle_create, cycle_open
from heng.performance.services.targets import read_target_file
from heng.performance.tests.cycle_fixtures import open_cycle, publish_scheme, set_targets
from heng.performance.tests.test_targets_api import BAD_FILE, BAD_LINES

D = Decimal
BACKEND = "django.contrib.auth.backends.ModelBackend"
HX = {"HTTP_HX_REQUEST": "true"}


def as_user(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")  # assertions read the English texts
    client.force_login(user, backend=BACKEND)
    return client


@pytest.fixture
def cycle(world: Any, sales_scheme: Any) -> Any:
    publish_scheme(sales_scheme)
    return open_cycle(world)


def targets(cycle: Any) -> dict[tuple[str, str], Decimal]:
    return {
        (t.participant.employee_no, t.indicator): t.value
        for t in Target.objects.filter(participant__cycle=cycle).select_related("participant")
    }


def test_the_cycle_page_links_to_the_input_pages(world: Any, cycle: Any) -> None:
    text = as_user(world.users["gz_manager"]).get(f"/performance/cycles/{cycle.pk}/").content
    page = text.decode()
    for url in ("targets/", "manual/", "bonus/"):
        assert f"/performance/cycles/{cycle.pk}/{url}" in page


def test_the_targets_grid_shows_the_managers_people_with_edit_links(world: Any, cycle: Any) -> None:
    r = as_user(world.users["gz_manager"]).get(f"/performance/cycles/{cycle.pk}/targets/")
    assert r.status_code == 200
    page = r.content.decode()
    assert "T001" in page
    assert "T002" in page
    assert "T004" not in page
    assert "T003" not in page
    assert 'data-testid="edit-T001-SALES"' in page
    assert 'data-testid="upload-form"' in page
    assert "template.xlsx" in page
    assert "template.csv" in page
    # the employee reads his own row, without edit links or upload
    r = as_user(world.users["gz1"]).get(f"/performance/cycles/{cycle.pk}/targets/")
    page = r.content.decode()
    assert "T001" in page
    assert "T002" not in page
    assert "edit-T001-SALES" not in page
    assert "upload-form" not in page


def test_inline_htmx_form_sets_a_target(world: Any, cycle: Any) -> None:
    c = as_user(world.users["gz_manager"])
    url = f"/performance/cycles/{cycle.pk}/targets/{world.people['gz1'].pk}/SALES/"
    form = c.get(url, **HX)
    assert form.status_code == 200
    assert 'data-testid="target-form"' in form.content.decode()
    assert "<html" not in form.content.decode()  # a fragment
    # a mistake comes back in the fragment (htmx swaps 2xx only) and writes nothing
    bad = c.post(url, {"method": "fixed"}, **HX)
    assert bad.status_code == 200
    assert "needs a value" in bad.content.decode()
    assert Target.objects.count() == 0
    ok = c.post(url, {"method": "split", "unit_target": "900"}, **HX)
    assert ok.status_code == 200
    cell = ok.content.decode()
    assert "<b>450</b>" in cell
    assert "900 × 50% (÷2)" in cell
    assert targets(cycle) == {("T001", "SALES"): D(450)}
    # cancel shows the cell again
    assert "<b>450</b>" in c.get(url + "?show=cell", **HX).content.decode()


def test_without_javascript_the_form_is_a_page_and_saving_redirects(world: Any, cycle: Any) -> None:
    c = as_user(world.users["hr"])
    url = f"/performance/cycles/{cycle.pk}/targets/{world.people['bj1'].pk}/SALES/"
    assert c.get(url).status_code == 200
    assert c.post(url, {"method": "benchmark"}).status_code == 422
    r = c.post(url, {"method": "benchmark", "benchmark": "320", "factor": "1.25"})
    assert r.status_code == 302
    assert targets(cycle) == {("T004", "SALES"): D(400)}


def test_someone_elses_participant_is_not_found_and_nothing_changes(world: Any, cycle: Any) -> None:
    c = as_user(world.users["gz_manager"])
    url = f"/performance/cycles/{cycle.pk}/targets/{world.people['bj1'].pk}/SALES/"
    assert c.get(url, **HX).status_code == 404
    assert c.post(url, {"method": "fixed", "value": "1"}, **HX).status_code == 404
    assert Target.objects.count() == 0


def test_dry_run_preview_shows_every_bad_row_and_commit_is_refused(world: Any, cycle: Any) -> None:
    c = as_user(world.users["hr"])
    upload = f"/performance/cycles/{cycle.pk}/targets/upload/"
    r = c.post(upload, {"file": SimpleUploadedFile("t.csv", BAD_FILE.encode()), "dry_run": "on"})
    assert r.status_code == 200
    page = r.content.decode()
    assert page.count('data-testid="refused-row"') == len(BAD_LINES)
    for line in BAD_LINES:
        assert f"<td>line {line}</td>" in page
    assert "T009 is not in this cycle" in page
    assert 'data-testid="commit-upload"' not in page  # nothing to commit
    assert Target.objects.count() == 0
    # straight commit: refused as a whole, the same lines named
    r = c.post(upload, {"file": SimpleUploadedFile("t.csv", BAD_FILE.encode())})
    assert r.status_code == 422
    assert r.content.decode().count('data-testid="refused-row"') == len(BAD_LINES)
    assert Target.objects.count() == 0


def test_a_clean_dry_run_is_committed_with_one_click(world: Any, cycle: Any) -> None:
    good = (
        "employee_no,indicator,method,value,unit_target\n"
        "T001,SALES,split,,900\n"
        "T002,SALES,fixed,420,\n"
    )
    c = as_user(world.users["gz_manager"])
    r = c.post(
        f"/performance/cycles/{cycle.pk}/targets/upload/",
        {"file": SimpleUploadedFile("t.csv", good.encode()), "dry_run": "on"},
    )
    assert r.status_code == 200
    assert 'data-testid="commit-upload"' in r.content.decode()
    assert Target.objects.count() == 0
    digest = r.context["digest"]
    commit = f"/performance/cycles/{cycle.pk}/targets/commit/"
    assert c.post(commit, {"digest": "forged"}).status_code == 302
    assert Target.objects.count() == 0  # another file's digest writes nothing
    r = c.post(commit, {"digest": digest})
    assert r.status_code == 302
    assert targets(cycle) == {("T001", "SALES"): D(450), ("T002", "SALES"): D(420)}
    # the kept file is used once
    assert c.post(commit, {"digest": digest}).status_code == 302
    assert Target.objects.count() == 2


def test_template_downloads(world: Any, cycle: Any) -> None:
    c = as_user(world.users["gz_manager"])
    csv = c.get(f"/performance/cycles/{cycle.pk}/targets/template.csv")
    assert csv.status_code == 200
    assert {r.employee_no for r in read_target_file(csv.content, "t.csv").rows} == {
        "T001",
        "T002",
    }
    xlsx = c.get(f"/performance/cycles/{cycle.pk}/targets/template.xlsx")
    assert xlsx.status_code == 200
    assert len(read_target_file(xlsx.content, "t.xlsx").rows) == 6
    assert (
        as_user(world.users["gz1"])
        .get(f"/performance/cycles/{cycle.pk}/targets/template.csv")
        .status_code
        == 403
    )
    assert (
        as_user(world.users["nobody"])
        .get(f"/performance/cycles/{cycle.pk}/targets/template.csv")
        .status_code
        == 404
    )


def test_locked_targets_are_shown_and_refused(world: Any, cycle: Any) -> None:
    set_targets(cycle)
    cycle_advance(actor=None, cycle=cycle, to="manager_scoring")
    c = as_user(world.users["hr"])
    page = c.get(f"/performance/cycles/{cycle.pk}/targets/").content.decode()
    assert 'data-testid="locked-banner"' in page
    assert "Targets are locked." in page
    assert "edit-T001-SALES" not in page
    assert 'data-testid="upload-form"' not in page
    url = f"/performance/cycles/{cycle.pk}/targets/{world.people['gz1'].pk}/SALES/"
    r = c.post(url, {"method": "fixed", "value": "1"})
    assert r.status_code == 422
    assert "locked" in r.content.decode()
    r = c.post(
        f"/performance/cycles/{cycle.pk}/targets/upload/",
        {
            "file": SimpleUploadedFile(
                "t.csv", b"employee_no,indicator,method,value\nT001,SALES,fixed,1\n"
            )
        },
    )
    assert r.status_code == 409
    assert targets(cycle)[("T001", "SALES")] == D(400)


# --- manager entries -------------------------------------------------------------------------


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


def test_the_store_manager_enters_the_dispatched_chefs_rating(world: Any, chef_cycle: Any) -> None:
    c = as_user(world.users["partner_manager"])
    page = c.get(f"/performance/cycles/{chef_cycle.pk}/manual/").content.decode()
    assert 'data-testid="manual-T005-QUALITY"' in page
    assert "T006" not in page  # the cook stays in the kitchen
    assert "dispatched" in page
    url = f"/performance/cycles/{chef_cycle.pk}/manual/{world.people['chef'].pk}/QUALITY/"
    r = c.post(url, {"value": "120", "comment": ""}, **HX)
    assert r.status_code == 200
    assert 'data-testid="manual-error"' in r.content.decode()
    assert ManualValue.objects.count() == 0
    r = c.post(url, {"value": "88", "comment": "客人满意"}, **HX)
    assert r.status_code == 200
    assert "saved" in r.content.decode()
    assert [(v.value, v.comment) for v in ManualValue.objects.all()] == [(D(88), "客人满意")]
    # without htmx: back to the page
    assert c.post(url, {"value": "90"}).status_code == 302
    assert ManualValue.objects.get().value == D(90)


def test_an_unrelated_manager_has_nothing_to_enter_and_is_refused(
    world: Any, chef_cycle: Any
) -> None:
    c = as_user(world.users["gz_manager"])
    page = c.get(f"/performance/cycles/{chef_cycle.pk}/manual/").content.decode()
    assert "Nothing for you to enter" in page
    url = f"/performance/cycles/{chef_cycle.pk}/manual/{world.people['chef'].pk}/QUALITY/"
    assert c.post(url, {"value": "10"}, **HX).status_code == 404
    assert ManualValue.objects.count() == 0


def test_manager_entries_show_closed_after_scoring(world: Any, chef_cycle: Any) -> None:
    type(chef_cycle).objects.filter(pk=chef_cycle.pk).update(state="calibration")
    page = as_user(world.users["partner_manager"]).get(
        f"/performance/cycles/{chef_cycle.pk}/manual/"
    )
    text = page.content.decode()
    assert "Manager entries are closed." in text
    assert "<form" not in text.split('data-testid="manual-table"')[1]


# --- bonus points ----------------------------------------------------------------------------


def test_bonus_points_page_lists_and_adds(world: Any, cycle: Any) -> None:
    c = as_user(world.users["gz_manager"])
    url = f"/performance/cycles/{cycle.pk}/bonus/"
    page = c.get(url)
    assert page.status_code == 200
    assert 'data-testid="bonus-form"' in page.content.decode()
    r = c.post(url, {"employee_no": "T001", "points": "2", "reason": "新品推广第一名"})
    assert r.status_code == 302
    # refusals: out of reach (reads like unknown), no reason
    r = c.post(url, {"employee_no": "T004", "points": "2", "reason": "x"})
    assert r.status_code == 422
    assert "T004 is not in this cycle" in r.content.decode()
    r = c.post(url, {"employee_no": "T002", "points": "2", "reason": ""})
    assert r.status_code == 422
    assert [(b.participant.employee_no, b.points) for b in BonusEntry.objects.all()] == [
        ("T001", D(2))
    ]
    listing = c.get(url).content.decode()
    assert "新品推广第一名" in listing
    assert "+2" in listing
    # HR sees every entry
    other = as_user(world.users["hr"])
    assert "新品推广第一名" in other.get(url).content.decode()


# --- in a real browser: the htmx swap and the dry run → commit round trip --------------------


@pytest.mark.browser
def test_inline_edit_and_upload_in_a_browser(
    page: Any, live_server: Any, transactional_db: Any, world: Any, sales_scheme: Any, tmp_path: Any
) -> None:
    from playwright.sync_api import expect

    publish_scheme(sales_scheme)
    cycle = open_cycle(world)
    base = str(live_server.url)
    page.goto(f"{base}/login/")
    page.fill("#id_username", "gz_manager")
    page.fill("#id_password", "pw-gz_manager")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/performance/cycles/{cycle.pk}/targets/")
    page.get_by_test_id("edit-T001-SALES").click()
    form = page.get_by_test_id("target-form")
    form.locator("select[name=method]").select_option("split")
    form.locator("input[name=unit_target]").fill("900")
    page.get_by_test_id("save-target").click()
    cell = page.get_by_test_id("target-T001-SALES")
    expect(cell).to_contain_text("450")
    expect(cell).to_contain_text("900 × 50% (÷2)")
    assert targets(cycle) == {("T001", "SALES"): D(450)}
    # a file: dry run first (nothing saved), then one click commits it
    good = tmp_path / "targets.csv"
    good.write_text("employee_no,indicator,method,value\nT002,SALES,fixed,420\n")
    page.set_input_files("input[name=file]", str(good))
    page.get_by_test_id("upload").click()
    expect(page.get_by_test_id("upload-report")).to_be_visible()
    assert targets(cycle) == {("T001", "SALES"): D(450)}
    page.get_by_test_id("commit-upload").click()
    expect(page.get_by_test_id("target-T002-SALES")).to_contain_text("420")
    assert targets(cycle) == {("T001", "SALES"): D(450), ("T002", "SALES"): D(420)}
