from __future__ import annotations

from typing import Any

from django.test import Client

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _as(user: Any) -> Client:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def test_pages_require_login(db: Any) -> None:
    response = Client().get("/people/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_login_page_is_chinese_by_default(db: Any) -> None:
    body = Client().get("/login/").content.decode()
    assert "登录" in body


def test_login_page_in_english_when_asked(db: Any) -> None:
    body = Client(HTTP_ACCEPT_LANGUAGE="en").get("/login/").content.decode()
    assert "Sign in to Heng" in body


def test_org_tree_shows_subtree_head_counts(world: Any) -> None:
    body = _as(world.users["hr"]).get("/org/").content.decode()
    assert "华南大区" in body
    assert "合作餐厅" in body
    assert "3 人" in body  # south region: two in Guangzhou + one in Foshan


def test_store_manager_list_shows_only_his_store(world: Any) -> None:
    body = _as(world.users["gz_manager"]).get("/people/").content.decode()
    assert "广州甲" in body
    assert "广州乙" in body
    assert "佛山甲" not in body
    assert "北京甲" not in body


def test_htmx_search_returns_only_the_table(world: Any) -> None:
    response = _as(world.users["hr"]).get("/people/?q=北京", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body
    assert "北京甲" in body
    assert "广州甲" not in body


def test_efile_out_of_scope_is_404(world: Any) -> None:
    response = _as(world.users["gz_manager"]).get(f"/people/{world.people['bj1'].pk}/")
    assert response.status_code == 404


def test_efile_masks_id_numbers_for_managers(world: Any) -> None:
    from heng.people.services import employee_update

    employee_update(employee=world.people["gz1"], id_card_number="11010519491231002X")
    manager_view = _as(world.users["gz_manager"]).get(f"/people/{world.people['gz1'].pk}/")
    hr_view = _as(world.users["hr"]).get(f"/people/{world.people['gz1'].pk}/")
    # Masked for everyone on the page; HR gets a reveal button (audited), the manager none.
    assert "110***********002X" in manager_view.content.decode()
    assert "11010519491231002X" not in hr_view.content.decode()
    assert 'data-testid="reveal-id_card_number"' in hr_view.content.decode()
    assert 'data-testid="reveal-id_card_number"' not in manager_view.content.decode()


def test_home_has_a_chart_with_counts(world: Any) -> None:
    body = _as(world.users["hr"]).get("/").content.decode()
    assert 'id="headcount-chart"' in body
    assert "echarts.min.js" in body


def test_admin_is_open_to_hr_admins_only(world: Any) -> None:
    assert _as(world.users["hr"]).get("/admin/people/employee/").status_code == 200
    assert _as(world.users["gz_manager"]).get("/admin/").status_code == 302
