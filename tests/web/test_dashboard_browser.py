"""The dashboards in a real browser (Debian's Chromium), offline, desktop and phone."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

from tests.web.browser import PageWatch, screenshot


def test_project_dashboard_renders_offline(live_server: str, page: Page,
                                           page_watch: PageWatch) -> None:
    page.goto(live_server + "/projects/CT-HNCL/dashboard?as_of=2025-03-31")
    page.wait_for_selector("svg.scurve polyline")
    assert page.locator("svg.scurve polyline").count() == 2
    assert "Đã bàn giao" in page.inner_text(".cards")
    assert page.locator("table.milestones tbody tr").count() == 3
    assert page.locator("table.ranking tbody tr").count() >= 5
    screenshot(page, "dashboard-project")
    page.fill("#as_of", "2024-10-01")
    page.click("form.asof-form button")
    page.wait_for_url("**as_of=2024-10-01")
    page.wait_for_selector("svg.scurve")
    page.click("text=Bản đồ dự án")
    page.wait_for_url("**/projects/CT-HNCL/map")
    assert page_watch.external_requests == []
    assert page_watch.console_errors == []


def test_dashboards_fit_a_phone(live_server: str, page: Page, page_watch: PageWatch) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    for path, name in (("/projects/CT-HNCL/dashboard?as_of=2025-03-31", "dashboard-phone"),
                       ("/dashboard?as_of=2025-03-31", "dashboard-province-phone")):
        page.goto(live_server + path)
        page.wait_for_selector(".cards")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1, f"{path} scrolls sideways: {width}px"
        screenshot(page, name)
    assert page_watch.external_requests == []
    assert page_watch.console_errors == []


def test_disbursement_section_and_downloads(live_server: str, page: Page,
                                            page_watch: PageWatch, tmp_path: Path) -> None:
    page.goto(live_server + "/projects/CT-HNCL/dashboard?as_of=2025-10-15")
    page.wait_for_selector("svg.disbursement-chart polyline")
    assert page.locator("svg.disbursement-chart polyline").count() == 3
    section = page.inner_text("section.disbursement")
    assert "Giải ngân vốn năm 2025" in section and "Bình quân cả nước tháng 9" in section
    screenshot(page, "dashboard-disbursement")
    for name, suffix in (("Tóm tắt PDF một trang", ".pdf"), ("Excel theo tháng", ".xlsx")):
        with page.expect_download() as info:
            page.click(f"nav.downloads >> text={name}")
        saved = tmp_path / f"report{suffix}"
        info.value.save_as(saved)
        assert info.value.suggested_filename.endswith(f"2025-10-15{suffix}")
        head = saved.read_bytes()[:4]
        assert head == (b"%PDF" if suffix == ".pdf" else b"PK\x03\x04")
    assert page_watch.external_requests == []
    assert page_watch.console_errors == []
