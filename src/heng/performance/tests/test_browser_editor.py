"""The scheme editor in a real Chromium: live weight total (htmx), refused and accepted publish."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from heng.performance.models import Scheme, SchemeVersion

pytestmark = pytest.mark.browser


@pytest.fixture
def site(live_server: Any, transactional_db: Any, world: Any, sales_scheme: Scheme) -> str:
    return str(live_server.url)


def _login(page: Page, base: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", "hr")
    page.fill("#id_password", "pw-hr")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_live_total_and_publishing(page: Page, site: str) -> None:
    _login(page, site)
    page.goto(f"{site}/performance/schemes/SALES-REP/")
    total = page.get_by_test_id("weight-total")
    expect(total).to_contain_text("100")
    expect(total).to_have_class("weight-total ok")
    # typing 29.99 instead of 30 turns the total red at once, before anything is saved
    page.get_by_test_id("w-COMPLAINT").fill("29.99")
    expect(page.get_by_test_id("weight-total")).to_contain_text("99.99")
    expect(page.get_by_test_id("weight-total")).to_have_class("weight-total bad")
    page.get_by_test_id("save-weights").click()
    expect(page.get_by_test_id("problems")).to_contain_text("99.99")
    page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("publish-error")).to_contain_text("99.99")
    assert not SchemeVersion.objects.exists()
    # back to exactly 100: the version is published
    page.get_by_test_id("w-COMPLAINT").fill("30")
    page.get_by_test_id("save-weights").click()
    page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("versions")).to_contain_text("v1")
    expect(page.get_by_test_id("status")).to_have_class("badge published")
    assert SchemeVersion.objects.get().number == 1
