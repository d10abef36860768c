"""Pages: library, scheme editor (live total, publish), resolved scheme, what-if."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from heng.performance import services
from heng.performance.models import Indicator, Scheme, SchemeLine, SchemeVersion

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _login(client: Client, user: Any) -> Client:
    client.force_login(user, backend=BACKEND)
    return client


def test_indicator_library_lists_and_filters(client: Client, world: Any, library: Any) -> None:
    page = _login(client, world.users["hr"]).get("/performance/indicators/?category=process")
    assert page.status_code == 200
    text = page.content.decode()
    assert "COMPLAINT" in text
    assert "VISITS" in text
    assert "SALES" not in text


def test_an_employee_without_a_role_has_no_library_page(client: Client, world: Any) -> None:
    assert _login(client, world.users["gz1"]).get("/performance/indicators/").status_code == 404


def test_indicator_form_shows_the_rule_error_next_to_the_field(client: Client, world: Any) -> None:
    page = _login(client, world.users["hr"]).post(
        "/performance/indicators/new/",
        {
            "code": "VIDEOS",
            "name": "视频数",
            "category": "process",
            "direction": "higher",
            "value_kind": "metric",
            "source_metric": "douyin.videos",
            "rule": "frequency",
            "params": "{}",
        },
    )
    assert page.status_code == 422
    form = page.context["form"]
    assert "minimum" in form.errors["params"][0]
    assert not Indicator.objects.filter(code="VIDEOS").exists()


def test_live_total_turns_red_unless_exactly_100(
    client: Client, world: Any, sales_scheme: Scheme
) -> None:
    hr = _login(client, world.users["hr"])
    url = "/performance/schemes/SALES-REP/weights/total/"
    bad = hr.post(
        url, {"w-SALES": "30", "w-NEWCUST": "69.99", "w-COMPLAINT": "0"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    good = hr.post(
        url, {"w-SALES": "30", "w-NEWCUST": "70", "w-COMPLAINT": "0"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "bad" in bad
    assert "99.99" in bad
    assert "ok" in good
    assert "100" in good
    # the live total saves nothing
    assert SchemeLine.objects.get(indicator__code="SALES").weight == Decimal(40)


def test_editor_publishes_and_refuses_bad_totals(
    client: Client, world: Any, sales_scheme: Scheme
) -> None:
    hr = _login(client, world.users["hr"])
    saved = hr.post(
        "/performance/schemes/SALES-REP/weights/",
        {"w-SALES": "30", "w-NEWCUST": "69.99", "w-COMPLAINT": "0"},
    )
    assert saved.status_code == 302
    refused = hr.post("/performance/schemes/SALES-REP/publish/", {"effective_from": "2025-01-01"})
    assert refused.status_code == 422
    assert "99.99" in refused.context["publish_error"].message
    assert not SchemeVersion.objects.exists()
    hr.post(
        "/performance/schemes/SALES-REP/weights/",
        {"w-SALES": "30", "w-NEWCUST": "70", "w-COMPLAINT": "0"},
    )
    published = hr.post("/performance/schemes/SALES-REP/publish/", {"effective_from": "2025-01-01"})
    assert published.status_code == 302
    page = hr.get("/performance/schemes/SALES-REP/").content.decode()
    assert "v1" in page
    assert SchemeVersion.objects.get().document["lines"][1]["weight"] == 70


def test_editor_adds_an_override_with_its_changes(
    client: Client, world: Any, sales_scheme: Scheme
) -> None:
    hr = _login(client, world.users["hr"])
    response = hr.post(
        "/performance/schemes/SALES-REP/overrides/",
        {
            "code": "south",
            "name": "华南",
            "unit": "RS",
            "ch-TOTAL_FORMS": "4",
            "ch-INITIAL_FORMS": "0",
            "ch-0-indicator": "SALES",
            "ch-0-action": "set",
            "ch-0-weight": "50",
            "ch-1-indicator": "NEWCUST",
            "ch-1-action": "set",
            "ch-1-weight": "20",
            "ch-2-action": "set",
            "ch-3-action": "set",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    override = sales_scheme.overrides.get()
    assert sorted((c.indicator.code, int(c.weight)) for c in override.changes.all()) == [
        ("NEWCUST", 20),
        ("SALES", 50),
    ]


def test_read_only_users_see_the_editor_without_forms(
    client: Client, world: Any, sales_scheme: Scheme
) -> None:
    manager = _login(client, world.users["gz_manager"])
    page = manager.get("/performance/schemes/SALES-REP/")
    assert page.status_code == 200
    assert page.context["can_edit"] is False
    assert 'data-testid="publish"' not in page.content.decode()
    refused = manager.post("/performance/schemes/SALES-REP/publish/", {})
    assert refused.status_code == 403
    assert not SchemeVersion.objects.exists()


def test_resolved_page_shows_why_each_line(
    client: Client, world: Any, sales_scheme: Scheme
) -> None:
    services.override_save(
        actor=None,
        scheme=sales_scheme,
        code="south",
        name="华南",
        unit=world.units["RS"],
        changes=[
            services.ChangeIn("SALES", weight=Decimal(50)),
            services.ChangeIn("NEWCUST", weight=Decimal(20)),
        ],
    )
    services.scheme_publish(actor=None, scheme=sales_scheme, effective_from=dt.date(2024, 1, 1))
    page = _login(client, world.users["gz1"]).get("/performance/resolved/?on=2025-05-01")
    resolved = page.context["resolved"]
    assert [(ln.indicator, int(ln.weight)) for ln in resolved.lines] == [
        ("SALES", 50),
        ("NEWCUST", 20),
        ("COMPLAINT", 30),
    ]
    text = page.content.decode()
    assert "south" in text
    assert "华南大区" in text


SCENARIO = """
scenario: 门店试算
schemes:
  store:
    lines:
      - {indicator: sales, name_zh: 销售额, category: result, rule: linear, weight: 60, target: 100}
      - {indicator: quality, name_zh: 服务质量, category: result, rule: manual, weight: 40}
employees:
  - {id: A, name: 甲, unit: 广州店}
  - {id: B, name: 乙, unit: 广州店}
values:
  A: {sales: 110, quality: 90}
  B: {sales: 50, quality: 70}
"""


def test_what_if_scores_an_uploaded_scenario(client: Client, world: Any) -> None:
    upload = SimpleUploadedFile("s.yaml", SCENARIO.encode(), content_type="application/yaml")
    page = _login(client, world.users["hr"]).post("/performance/what-if/", {"file": upload})
    assert page.status_code == 200
    result = page.context["result"]
    # A: 110/100 → 110 × 0.6 = 66 + 90 × 0.4 = 36 → 102.00; B: 50 × 0.6 + 70 × 0.4 = 58.00
    assert [(r["employee_id"], r["total"], r["rating"]) for r in result.rows] == [
        ("A", 102.0, "excellent"),
        ("B", 58.0, "unqualified"),
    ]
    # the chart: a histogram of totals stacked by rating band, one person in each
    series = {s["name"]: s["data"] for s in result.chart["series"]}
    assert series["优秀"][10] == 1  # 100–110
    assert series["不合格"][5] == 1  # 50–60
    assert 'id="whatif-chart"' in page.content.decode()


def test_what_if_refuses_a_blank_actual_naming_it(client: Client, world: Any) -> None:
    text = SCENARIO.replace("B: {sales: 50, quality: 70}", "B: {sales: null, quality: 70}")
    upload = SimpleUploadedFile("s.yaml", text.encode(), content_type="application/yaml")
    page = _login(client, world.users["hr"]).post("/performance/what-if/", {"file": upload})
    assert page.status_code == 422
    message = page.context["form"].errors["file"][0]
    assert "B" in message
    assert "sales" in message


def test_admin_lists_schemes_and_keeps_versions_read_only(
    client: Client, world: Any, sales_scheme: Scheme
) -> None:
    from heng.accounts.models import User

    admin = User.objects.create_superuser("root", "root@example.com", "pw-root-123456")
    services.scheme_publish(actor=None, scheme=sales_scheme)
    client.force_login(admin, backend=BACKEND)
    assert client.get("/admin/performance/scheme/").status_code == 200
    assert client.get("/admin/performance/indicator/").status_code == 200
    version = SchemeVersion.objects.get()
    page = client.get(f"/admin/performance/schemeversion/{version.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    deleted = client.post(f"/admin/performance/schemeversion/{version.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 403
    assert SchemeVersion.objects.count() == 1


def test_the_line_form_changes_an_existing_line_and_refuses_target_zero(
    client: Client, world: Any, sales_scheme: Scheme
) -> None:
    hr = _login(client, world.users["hr"])
    url = "/performance/schemes/SALES-REP/lines/"
    line = {
        "indicator": "SALES",
        "weight": "40",
        "rule": "",
        "params": "",
        "target_method": "fixed",
        "source_set": "main",
    }
    refused = hr.post(url, {**line, "target_value": "0"})
    assert refused.status_code == 422
    assert "0" in refused.context["line_form"].errors["target_value"][0]
    assert SchemeLine.objects.get(indicator__code="SALES").target_value is None
    saved = hr.post(url, {**line, "target_value": "120"})
    assert saved.status_code == 302
    changed = SchemeLine.objects.get(indicator__code="SALES")
    assert (changed.target_method, changed.target_value) == ("fixed", Decimal(120))


def test_scheme_list_shows_schemes_and_frameworks(
    client: Client, world: Any, sales_scheme: Scheme
) -> None:
    page = _login(client, world.users["auditor"]).get("/performance/schemes/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "SALES-REP" in text
    assert "F433" in text
    assert page.context["can_create"] is False
    assert page.context["can_import"] is False


def test_hr_deletes_an_unused_indicator_from_its_page(
    client: Client, world: Any, library: Any
) -> None:
    # Given an indicator no scheme uses
    hr = _login(client, world.users["hr"])
    assert 'data-testid="delete"' in hr.get("/performance/indicators/VISITS/").content.decode()
    # When HR deletes it
    response = hr.post("/performance/indicators/VISITS/delete/")
    # Then it is gone and the library is shown again
    assert response.status_code == 302
    assert response["Location"] == "/performance/indicators/"
    assert not Indicator.objects.filter(code="VISITS").exists()


def test_an_indicator_in_use_is_not_deleted_and_the_scheme_is_named(
    client: Client, world: Any, sales_scheme: Scheme
) -> None:
    hr = _login(client, world.users["hr"])
    used = SchemeLine.objects.filter(scheme=sales_scheme).first()
    assert used is not None
    code = used.indicator.code
    response = hr.post(f"/performance/indicators/{code}/delete/", follow=True)
    assert Indicator.objects.filter(code=code).exists()
    assert "SALES-REP" in response.content.decode()


def test_a_store_manager_cannot_delete_indicators(client: Client, world: Any, library: Any) -> None:
    response = _login(client, world.users["gz_manager"]).post(
        "/performance/indicators/VISITS/delete/"
    )
    assert response.status_code in (403, 404)
    assert Indicator.objects.filter(code="VISITS").exists()


def test_the_admin_refuses_an_indicator_with_a_missing_rule_parameter(
    client: Client, world: Any
) -> None:
    # Given a superuser in the back office
    from heng.accounts.models import User

    admin = User.objects.create_superuser(username="root", password="x-Long-enough-1")
    client.force_login(admin, backend=BACKEND)
    # When an indicator with the frequency rule but no "minimum" is saved
    response = client.post(
        "/admin/performance/indicator/add/",
        {
            "code": "VIDEOS",
            "name": "视频数",
            "category": "process",
            "direction": "higher",
            "value_kind": "metric",
            "source_metric": "douyin.videos",
            "rule": "frequency",
            "params": "{}",
        },
    )
    # Then the form comes back with the parameter error and nothing is saved
    assert response.status_code == 200
    assert "minimum" in str(response.context["adminform"].form.errors)
    assert not Indicator.objects.filter(code="VIDEOS").exists()
