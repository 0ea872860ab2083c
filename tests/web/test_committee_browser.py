"""The committee's page in a real browser (Debian's Chromium), offline: the board worst
first, a member's page, a task's live case list, the meeting pack downloads, a phone."""

from __future__ import annotations

from pathlib import Path

import httpx
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page
from sqlalchemy import Engine, text

from tests.web.browser import PageWatch, offline_context, screenshot

AS_OF = "2026-11-21"


def test_committee_board_worst_first_with_tasks(live_server: str, page: Page,
                                                page_watch: PageWatch) -> None:
    page.goto(f"{live_server}/committee?as_of={AS_OF}")
    page.wait_for_selector("table.board tbody tr")
    rows = page.locator("table.board tbody tr")
    assert rows.count() == 22
    order = {"red": 0, "amber": 1, "green": 2, "none": 3}
    lights = [order[rows.nth(i).get_attribute("data-light") or ""] for i in range(22)]
    assert lights == sorted(lights) and lights[0] == 0
    assert "Cao tốc Hữu Nghị – Chi Lăng" in page.inner_text("table.board")
    assert page.locator("table.board tr[data-code='CT-HNCL']").count() == 1
    overdue = page.locator("table.tasks tr.overdue")
    assert overdue.count() >= 2
    assert "Quá hạn" in overdue.first.inner_text()
    screenshot(page, "committee-board")
    member_link = page.locator("table.board tr[data-code='CT-HNCL'] td:nth-child(3) a")
    member = member_link.inner_text()
    member_link.click()
    page.wait_for_url("**/committee/members/**")
    page.wait_for_selector("table.board")
    assert member in page.inner_text("h1")
    mine = page.locator("table.board tbody tr")
    assert 1 <= mine.count() < 22
    assert page.locator("table.board tr[data-code='CT-HNCL']").count() == 1
    page.locator("a.case-list").first.click()
    page.wait_for_url("**/committee/tasks/*/cases")
    total = int(page.inner_text(".case-total").split()[0])
    assert total >= page.locator("table.listed tbody tr").count() > 0
    assert "hộ chưa nhận tiền" in page.inner_text(".case-list-description")
    assert page_watch.external_requests == []
    assert page_watch.console_errors == []


def test_meeting_pack_downloads(live_server: str, page: Page, page_watch: PageWatch,
                                tmp_path: Path) -> None:
    page.goto(f"{live_server}/committee?as_of={AS_OF}")
    page.wait_for_selector("nav.downloads")
    for name, suffix in (("PDF", ".pdf"), ("Excel", ".xlsx")):
        with page.expect_download() as info:
            page.click(f"nav.downloads >> text={name}")
        saved = tmp_path / f"pack{suffix}"
        info.value.save_as(saved)
        assert info.value.suggested_filename == f"tai-lieu-hop-ban-chi-dao-{AS_OF}{suffix}"
    assert (tmp_path / "pack.pdf").read_bytes()[:4] == b"%PDF"
    ws = load_workbook(tmp_path / "pack.xlsx", data_only=True)["Tổng hợp"]
    assert ws.cell(28, 2).value == "Tổng cộng"
    assert page_watch.external_requests == []


def test_committee_page_fits_a_phone_and_switches_language(live_server: str, page: Page,
                                                           page_watch: PageWatch) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/committee?as_of={AS_OF}")
    page.wait_for_selector("table.board")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 391, f"the committee page scrolls sideways: {width}px"
    screenshot(page, "committee-phone")
    page.goto(f"{live_server}/committee?as_of={AS_OF}&lang=en")
    page.wait_for_selector("table.board")
    assert page.inner_text("h1") == "Steering committee for key projects"
    assert "Far behind" in page.inner_text("table.board")
    page.goto(f"{live_server}/committee?lang=vi")
    assert page_watch.console_errors == []


def test_field_user_without_committee_links_is_refused(live_server: str,
                                                       demo_engine: object) -> None:
    from gis.access.accounts import create_user
    from gis.core.domain import Role
    from gis.db.engine import session_factory

    with session_factory(demo_engine).begin() as s:  # type: ignore[arg-type]
        create_user(s, "hientruong.khongbcd", Role.FIELD, "mat-khau-hien-truong-26")
    login = httpx.post(live_server + "/api/auth/login", timeout=30, json={
        "username": "hientruong.khongbcd", "password": "mat-khau-hien-truong-26"})
    assert login.status_code == 200
    res = httpx.get(f"{live_server}/committee", cookies=dict(login.cookies), timeout=30)
    assert res.status_code == 403
    assert "Ban Chỉ đạo" in res.json()["detail"]


def test_a_unit_reports_its_task_done(live_server: str, browser: Browser,
                                      demo_engine: Engine, page_watch: PageWatch) -> None:
    from gis.access.accounts import create_user
    from gis.core.domain import Role
    from gis.db.engine import session_factory
    from gis.models import CommitteeUnitUser

    with session_factory(demo_engine).begin() as s:
        user = create_user(s, "ttptqd.trinhbay", Role.FIELD, "mat-khau-quy-dat-2026")
        unit = s.execute(text("SELECT id FROM committee_units WHERE code = 'TTPTQD'")
                         ).scalar_one()
        s.add(CommitteeUnitUser(unit_id=unit, user_id=user.id))
    login = httpx.post(live_server + "/api/auth/login", timeout=30, json={
        "username": "ttptqd.trinhbay", "password": "mat-khau-quy-dat-2026"})
    assert login.status_code == 200
    context = offline_context(browser, page_watch, live_server, dict(login.cookies))
    page = context.new_page()
    page.goto(f"{live_server}/committee")
    page.wait_for_selector("table.tasks")
    forms = page.locator("details.task-done")
    assert 0 < forms.count() < page.locator("table.tasks tbody tr").count()  # only its own
    row = page.locator("table.tasks tr.overdue", has=page.locator("details.task-done")).first
    task_id = row.get_attribute("data-task")
    row.locator("summary").click()
    row.locator("input[name=done_on]").fill("2026-11-20")
    row.locator("input[name=evidence_no]").fill("báo cáo miệng")
    row.locator("input[name=evidence_date]").fill("2026-11-20")
    row.locator("button[type=submit]").click()
    page.wait_for_selector(".form-error")
    assert "không đúng dạng" in page.inner_text(".form-error")
    again = page.locator(f"table.tasks tr[data-task='{task_id}']")
    again.locator("input[name=evidence_no]").fill("640/BC-TTPTQĐ")
    again.locator("button[type=submit]").click()
    page.wait_for_selector(".notice.saved")
    assert page.locator(f"table.tasks tr[data-task='{task_id}']").count() == 0
    screenshot(page, "committee-task-done")
    with demo_engine.connect() as conn:
        evidence = conn.execute(text("SELECT evidence_no FROM committee_tasks WHERE id = :t"),
                                {"t": int(task_id or 0)}).scalar_one()
    assert evidence == "640/BC-TTPTQĐ"
    assert page_watch.external_requests == []
    context.close()
