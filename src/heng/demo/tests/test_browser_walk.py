"""The newcomer's walk, in a real Chromium: log in, browse the 12 branches, scoped views."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from heng.demo.build import build_demo
from heng.demo.company import DEMO_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_site(live_server: Any, transactional_db: Any) -> str:
    build_demo(employees=150, progress=lambda _m: None)
    return str(live_server.url)


def _login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_test_id("headcount")).to_be_visible()


def test_hr_admin_browses_the_twelve_branches(page: Page, demo_site: str) -> None:
    _login(page, demo_site, "hr")
    expect(page.get_by_test_id("headcount")).to_have_text("150")
    page.click("nav.mainnav >> text=组织架构")
    tree = page.get_by_test_id("org-tree")
    expect(tree.locator(".kind-branch")).to_have_count(12)
    # expanding a region shows its branches (collapsed by default below the top level)
    region = tree.locator("summary", has_text="华北大区")
    region.click()
    expect(tree.locator("summary", has_text="北京分公司")).to_be_visible()


def test_store_manager_sees_only_his_store(page: Page, demo_site: str) -> None:
    _login(page, demo_site, "gz_store")
    page.goto(f"{demo_site}/people/")
    rows = page.locator("table.list tbody tr")
    expect(rows.first).to_be_visible()
    units = set(page.locator("table.list tbody tr td:nth-child(3)").all_inner_texts())
    assert units == {"广州旗舰店"}


def test_search_narrows_the_list_without_a_page_reload(page: Page, demo_site: str) -> None:
    _login(page, demo_site, "hr")
    page.goto(f"{demo_site}/people/")
    page.fill("input[name=q]", "王强")
    expect(page.locator("table.list tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("result-count")).to_contain_text("1")


def test_language_switch_to_english(page: Page, demo_site: str) -> None:
    _login(page, demo_site, "hr")
    page.select_option("select[name=language]", "en")
    expect(page.locator("nav.mainnav")).to_contain_text("Organisation")


def test_phone_width_menu_and_no_sideways_scroll(browser: Any, demo_site: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN")
    page = context.new_page()
    _login(page, demo_site, "hr")
    page.goto(f"{demo_site}/people/")
    expect(page.locator("nav.mainnav")).to_be_hidden()
    page.click("label.nav-toggle-label")
    expect(page.locator("nav.mainnav")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    context.close()
