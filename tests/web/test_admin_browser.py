"""Administration in a real browser (Debian's Chromium), offline: an administrator creates
a project and its deadlines, adds a field account, assigns it, resets its password and
disables it, with the rules of ``gpmb user …``; the field user lands on /field and is told
why the account is read-only while unassigned.

The pages write, so they run against a `gpmb serve` of its own on a fresh database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy import Engine, text

from gis.access.accounts import create_user
from gis.core.domain import Role
from gis.core.settings import Settings
from gis.db.engine import session_factory
from tests.support import reference_engine, running_server
from tests.web.browser import PageWatch, offline_context, screenshot

ADMIN = ("quantri.kiemthu", "mat-khau-quan-tri-2026")
LEADER = ("lanhdao.qt", "mat-khau-lanh-dao-2026")
FIELD = ("hientruong.moi", "mat-khau-hien-truong-1")


REFUSAL = "Failed to load resource: the server responded with a status of 4"


def _unexpected(watch: PageWatch) -> list[str]:
    """Console errors other than the refusals the tests cause on purpose (422, 409)."""
    return [e for e in watch.console_errors if not e.startswith(REFUSAL)]


@dataclass(frozen=True)
class AdminServer:
    """A running `gpmb serve` on its own database."""

    url: str
    engine: Engine

    def scalar(self, sql: str, **params: object) -> object:
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def sign_in(self, username: str, password: str) -> int:
        """The API's answer to a sign-in (200 when the account may sign in)."""
        return httpx.post(self.url + "/api/auth/login", timeout=30,
                          json={"username": username, "password": password}).status_code


@pytest.fixture(scope="module")
def server(make_database: Callable[[str], str], test_settings: Settings,
           scratch_dir: Path) -> Iterator[AdminServer]:
    url = make_database("gpmb_admin_page")
    engine = reference_engine(url, test_settings)
    with session_factory(engine).begin() as s:
        create_user(s, ADMIN[0], Role.ADMIN, ADMIN[1], full_name="Quản trị kiểm thử")
        create_user(s, LEADER[0], Role.LEADER, LEADER[1], full_name="Lãnh đạo xem")
    with running_server(url, scratch_dir / "adm-srv", scratch_dir / "serve-admin.log") as base:
        yield AdminServer(base, engine)
    engine.dispose()


def _signed_in(browser: Browser, watch: PageWatch, server: AdminServer,
               account: tuple[str, str]) -> tuple[BrowserContext, Page]:
    """A context signed in through the login form (as a person does)."""
    context = offline_context(browser, watch, server.url, {})
    page = context.new_page()
    page.goto(server.url + "/login")
    page.fill("input[name=username]", account[0])
    page.fill("input[name=password]", account[1])
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    return context, page


@pytest.fixture
def admin_page(browser: Browser, page_watch: PageWatch, server: AdminServer
               ) -> Iterator[Page]:
    context, page = _signed_in(browser, page_watch, server, ADMIN)
    yield page
    context.close()


def test_projects_and_milestones_in_the_browser(admin_page: Page, page_watch: PageWatch,
                                                server: AdminServer) -> None:
    page = admin_page
    page.goto(server.url + "/admin/projects")
    page.fill("#p-code", "qt-01")
    page.fill("#p-name", "Đường tránh thử nghiệm")
    page.fill("#p-owner", "Ban QLDA kiểm thử")
    page.fill("#p-budget", "15.000.000.000")
    page.fill("#p-start", "05/03/2026")
    page.click("form.adm-new-project button[type=submit]")
    page.wait_for_selector("form.adm-project")
    assert page.url.endswith("/admin/projects/QT-01?saved=created")
    assert server.scalar("SELECT compensation_budget_vnd || ' ' || start_date FROM projects"
                         " WHERE code = 'QT-01'") == "15000000000 2026-03-05"
    assert page.input_value("#p-start") == "05/03/2026"

    form = "form.adm-new-milestone"
    page.select_option(f"{form} select[name=kind]", "handover_share")
    page.fill(f"{form} input[name=title]", "Bàn giao 90% mặt bằng")
    page.fill(f"{form} input[name=due_date]", "31/03/2027")
    page.fill(f"{form} input[name=target_percent]", "90")
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector("tr[data-milestone]")
    row = server.scalar("SELECT due_date || '/' || target_share FROM project_milestones m"
                        " JOIN projects p ON p.id = m.project_id WHERE p.code = 'QT-01'")
    assert row == f"{dt.date(2027, 3, 31)}/{Decimal('0.9000')}"
    assert page.input_value("tr[data-milestone] input[name=due_date]") == "31/03/2027"

    # a bad date is refused in Vietnamese, nothing changes
    page.fill("tr[data-milestone] input[name=due_date]", "31/02/2027")
    page.click("tr[data-milestone] button:not(.adm-delete)")
    assert "không hợp lệ" in page.inner_text(".adm-error")
    assert page.input_value("tr[data-milestone] input[name=due_date]") == "31/02/2027"
    page.fill("tr[data-milestone] input[name=due_date]", "30/04/2027")
    page.click("tr[data-milestone] button:not(.adm-delete)")
    page.wait_for_selector(".adm-ok")
    assert str(server.scalar("SELECT max(due_date) FROM project_milestones")) == "2027-04-30"

    # an edit made meanwhile elsewhere is detected, not overwritten
    with server.engine.begin() as conn:
        conn.execute(text("UPDATE projects SET name = 'Sửa ở nơi khác', version = version + 1"
                          " WHERE code = 'QT-01'"))
    page.fill("#p-name", "Tên cũ ghi đè")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("form.adm-project button[type=submit]")
    assert answer.value.status == 409
    assert page.input_value("#p-name") == "Sửa ở nơi khác"
    assert server.scalar("SELECT name FROM projects WHERE code = 'QT-01'") == "Sửa ở nơi khác"
    page.click("tr[data-milestone] button.adm-delete")
    page.wait_for_selector(".adm-ok")
    assert server.scalar("SELECT count(*) FROM project_milestones") == 0
    assert server.scalar("SELECT actor FROM audit_log WHERE table_name = 'project_milestones'"
                         " ORDER BY id DESC LIMIT 1") == f"web:{ADMIN[0]}"
    screenshot(page, "admin-project")
    assert page_watch.external_requests == []
    assert _unexpected(page_watch) == []


def test_accounts_in_the_browser(admin_page: Page, page_watch: PageWatch, browser: Browser,
                                 server: AdminServer) -> None:
    page = admin_page
    page.goto(server.url + "/admin/users")
    page.fill("#u-username", LEADER[0])  # the CLI's rules: one account per name…
    page.fill("#u-password", "mat-khau-khac-2026")
    page.click("form.adm-add button[type=submit]")
    assert f"Tài khoản '{LEADER[0]}' đã tồn tại." in page.inner_text(".adm-error")
    page.fill("#u-username", "mat.khau.ngan")  # …and passwords of 10 characters or more
    page.evaluate("document.querySelector('#u-password').removeAttribute('minlength')")
    page.fill("#u-password", "ngan")
    page.click("form.adm-add button[type=submit]")
    assert "Mật khẩu phải có ít nhất 10 ký tự." in page.inner_text(".adm-error")
    assert server.scalar("SELECT count(*) FROM users WHERE username = 'mat.khau.ngan'") == 0

    page.fill("#u-username", FIELD[0])
    page.fill("#u-name", "Tổ hiện trường mới")
    page.select_option("#u-role", "field")
    page.fill("#u-password", FIELD[1])
    page.click("form.adm-add button[type=submit]")
    page.wait_for_selector(f"tr[data-user='{FIELD[0]}']")
    row = f"tr[data-user='{FIELD[0]}']"
    assert "Chưa được phân công" in page.inner_text(row)

    # the field user lands on /field and is told why nothing can be recorded
    field_ctx, field_page = _signed_in(browser, page_watch, server, FIELD)
    assert field_page.url == server.url + "/field"
    assert "chưa được giao dự án hay xã" in field_page.inner_text(".field-unassigned")
    screenshot(field_page, "field-unassigned")

    if not server.scalar("SELECT count(*) FROM projects WHERE code = 'QT-02'"):
        page.goto(server.url + "/admin/projects")
        page.fill("#p-code", "QT-02")
        page.fill("#p-name", "Dự án giao việc")
        page.fill("#p-owner", "UBND tỉnh")
        page.click("form.adm-new-project button[type=submit]")
        page.wait_for_selector("form.adm-project")
        page.goto(server.url + "/admin/users")
    page.select_option(f"{row} select[name=projects]", ["QT-02"])
    page.click(f"{row} form.adm-scope button")
    page.wait_for_selector(".adm-ok")
    assert server.scalar("SELECT string_agg(p.code, ',') FROM user_projects up JOIN projects p"
                         " ON p.id = up.project_id JOIN users u ON u.id = up.user_id"
                         " WHERE u.username = :u", u=FIELD[0]) == "QT-02"
    field_page.reload()
    assert field_page.locator(".field-unassigned").count() == 0
    field_ctx.close()

    page.click(f"{row} button.adm-reset")
    secret = page.inner_text(".adm-password .adm-secret")
    assert server.sign_in(FIELD[0], FIELD[1]) == 401
    assert server.sign_in(FIELD[0], secret) == 200

    page.select_option(f"tr[data-user='{LEADER[0]}'] select[name=role]", "staff")
    page.click(f"tr[data-user='{LEADER[0]}'] form.adm-role button")
    page.wait_for_selector(".adm-ok")
    assert server.scalar("SELECT role::text FROM users WHERE username = :u", u=LEADER[0]) \
        == "staff"

    page.click(f"{row} button.adm-toggle")
    page.wait_for_selector(".adm-ok")
    assert server.sign_in(FIELD[0], secret) == 401
    assert "Đã khoá" in page.inner_text(row)
    # the same rule as the CLI: the last active administrator stays
    page.click(f"tr[data-user='{ADMIN[0]}'] button.adm-toggle")
    assert "quản trị viên duy nhất" in page.inner_text(".adm-error")
    assert server.sign_in(*ADMIN) == 200
    screenshot(page, "admin-users")
    assert page_watch.external_requests == []
    assert _unexpected(page_watch) == []


def test_only_admins(server: AdminServer) -> None:
    with httpx.Client(timeout=30) as client:
        res = client.post(server.url + "/api/auth/login",
                          json={"username": LEADER[0], "password": LEADER[1]})
        cookies = dict(res.cookies)
        client.cookies.update(cookies)
        for path in ("/admin/users", "/admin/projects"):
            res = client.get(server.url + path)
            assert res.status_code == 403 and "Chỉ quản trị viên" in res.text
        res = client.post(server.url + "/admin/users",
                          data={"csrf_token": cookies["gpmb_csrf"], "username": "xyz.abc",
                                "role": "admin", "password": "mat-khau-dai-qua"})
        assert res.status_code == 403
    assert server.scalar("SELECT count(*) FROM users WHERE username = 'xyz.abc'") == 0
    admin_cookies = httpx.post(server.url + "/api/auth/login", timeout=30,
                               json={"username": ADMIN[0], "password": ADMIN[1]}).cookies
    with httpx.Client(timeout=30, cookies=admin_cookies) as client:
        res = client.post(server.url + "/admin/users", data={
            "username": "xyz.abc", "role": "admin", "password": "mat-khau-dai-qua"})
        assert res.status_code == 403 and "CSRF" in res.text
    assert server.scalar("SELECT count(*) FROM users WHERE username = 'xyz.abc'") == 0


def test_unknown_project_is_a_page_and_the_favicon_is_served(server: AdminServer) -> None:
    cookies = httpx.post(server.url + "/api/auth/login", timeout=30,
                         json={"username": LEADER[0], "password": LEADER[1]}).cookies
    page = {"Accept": "text/html,application/xhtml+xml"}
    with httpx.Client(timeout=30, cookies=cookies) as client:
        for path in ("/projects/KHONG-CO/map", "/projects/KHONG-CO/dashboard",
                     "/khong-co-trang-nay"):
            res = client.get(server.url + path, headers=page)
            assert res.status_code == 404, path
            assert res.headers["content-type"].startswith("text/html"), path
            assert 'data-status="404"' in res.text and "Không" in res.text, path
        api = client.get(server.url + "/api/projects/999999")
        assert api.status_code == 404
        assert api.headers["content-type"].startswith("application/problem+json")
    icon = httpx.get(server.url + "/favicon.ico", timeout=30)
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert icon.content.lstrip().startswith(b"<svg") or b"<svg" in icon.content[:200]
