"""The leaders' overview in a real browser, with no request leaving the machine."""

from __future__ import annotations

from playwright.sync_api import Page

from gis.demo.committee_specs import KEY_PROJECTS
from gis.demo.projects import DEMO_PROJECTS
from tests.web.browser import PageWatch, screenshot


def test_overview_renders_offline_without_errors(live_server: str, page: Page,
                                                 page_watch: PageWatch) -> None:
    page.goto(live_server + "/")
    page.wait_for_selector("table.figures")
    rows = page.locator("table.figures tbody tr")
    assert rows.count() == len(DEMO_PROJECTS) + len(KEY_PROJECTS) - 2 + 1  # + the removed one
    assert "Cao tốc Hữu Nghị – Chi Lăng" in page.inner_text("table.figures")
    screenshot(page, "overview")
    assert page_watch.external_requests == []
    assert page_watch.console_errors == []
