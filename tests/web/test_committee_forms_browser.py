"""The committee's forms in a real browser (Debian's Chromium), offline: the standing agency
adds a project to the register, revises a plan (the revision in force shown, the earlier
kept), records a meeting with a task; a unit marks its task done with evidence; refusals
in Vietnamese next to the field with the API's codes; a concurrent edit detected."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import httpx
from playwright.sync_api import Browser, Page
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gis.core.calendar import local_today
from tests.web.browser import PageWatch, offline_context, screenshot

PASSWORD = "mat-khau-ban-chi-dao-26"
REFUSED = "Failed to load resource: the server responded with a status of {}"
"""What Chromium logs when a form's post is answered with a refusal (the page shown again)."""
NEXT_YEAR_LIST = 2027  # the register tests write next year's list: 2026's boards stay as they are


def _linked_user(engine: Engine, username: str, unit_code: str | None,
                 role: str = "field") -> None:
    """An account acting for a committee unit (a field account unless told), created once."""
    from gis.access.accounts import create_user
    from gis.core.domain import Role
    from gis.db.engine import session_factory
    from gis.models import CommitteeUnitUser

    with session_factory(engine).begin() as s:
        if s.execute(text("SELECT 1 FROM users WHERE username = :u"), {"u": username}).first():
            return
        user = create_user(s, username, Role(role), PASSWORD)
        if unit_code is not None:
            unit = s.execute(text("SELECT id FROM committee_units WHERE code = :c"),
                             {"c": unit_code}).scalar_one()
            s.add(CommitteeUnitUser(unit_id=unit, user_id=user.id))


def _login(server: str, username: str) -> dict[str, str]:
    res = httpx.post(server + "/api/auth/login", timeout=30,
                     json={"username": username, "password": PASSWORD})
    assert res.status_code == 200, res.text
    return dict(res.cookies)


@contextmanager
def _as(browser: Browser, watch: PageWatch, server: str, engine: Engine, username: str,
        unit_code: str | None, role: str = "field") -> Iterator[Page]:
    _linked_user(engine, username, unit_code, role)
    context = offline_context(browser, watch, server, _login(server, username))
    try:
        yield context.new_page()
    finally:
        context.close()


def _agency(browser: Browser, watch: PageWatch, server: str, engine: Engine
            ) -> AbstractContextManager[Page]:
    return _as(browser, watch, server, engine, "stc.bieumau", "STC")


def _commune(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT min(code) FROM communes")).scalar_one())


def test_standing_agency_adds_a_project_to_the_register(
        live_server: str, browser: Browser, demo_engine: Engine, page_watch: PageWatch) -> None:
    today = local_today()
    commune = _commune(demo_engine)
    with _agency(browser, page_watch, live_server, demo_engine) as page:
        page.goto(f"{live_server}/committee/register?year={NEXT_YEAR_LIST}")
        form = page.locator("form.register-add")
        form.locator("select[name=project]").select_option("KDT-CAOLOC")
        form.locator("input[name=decision_no]").fill("45/qđ-ubnd")
        form.locator("input[name=decision_date]").fill(today.isoformat())
        form.locator("select[name=group]").select_option("non_budget")
        form.locator("input[name=investor]").fill("Công ty CP Đầu tư Cao Lộc")
        form.locator("select[name=member_id]").select_option(index=1)
        form.locator("select[name=unit_id]").select_option(label="Sở Xây dựng")
        form.locator("input[name=communes]").fill(commune)
        form.locator("button[type=submit]").click()
        page.wait_for_selector(".notice.saved")
        row = page.locator("table.register tr[data-code='KDT-CAOLOC']")
        assert row.count() == 1 and row.get_attribute("data-revision") == "1"
        assert "45/QĐ-UBND" in row.inner_text() and "Sở Xây dựng" in row.inner_text()
        history = page.locator("table.register-history tr[data-code='KDT-CAOLOC']")
        assert history.count() == 1 and history.get_attribute("data-action") == "add"
        screenshot(page, "committee-register-added")
        # the same page in English
        page.goto(f"{live_server}/committee/register?year={NEXT_YEAR_LIST}&lang=en")
        assert page.inner_text("h1") == f"Key projects of {NEXT_YEAR_LIST}"
        page.goto(f"{live_server}/committee/register?lang=vi")
    with demo_engine.connect() as conn:
        entry = conn.execute(text(
            "SELECT k.action, k.decision_no, k.project_group, k.commune_codes, u.code"
            " FROM key_project_changes k JOIN projects p ON p.id = k.project_id"
            " JOIN committee_units u ON u.id = k.unit_id"
            " WHERE p.code = 'KDT-CAOLOC' AND k.year = :y"), {"y": NEXT_YEAR_LIST}).one()
    assert tuple(entry) == ("add", "45/QĐ-UBND", "non_budget", [commune], "SXD")
    assert page_watch.external_requests == [] and page_watch.console_errors == []


def _plan_form_fill(page: Page, month: int, disbursed: str, day: dt.date, number: str) -> None:
    form = page.locator("form.plan-form")
    form.locator(f"input[name='m{month}.disbursed_vnd']").fill(disbursed)
    form.locator("input[name=submitted_on]").fill(day.isoformat())
    form.locator("input[name=document_no]").fill(number)


def test_standing_agency_revises_a_plan_history_kept(
        live_server: str, browser: Browser, demo_engine: Engine, page_watch: PageWatch) -> None:
    today = local_today()
    url = f"{live_server}/committee/plans/2026/NN-CNC"
    with _agency(browser, page_watch, live_server, demo_engine) as page:
        page.goto(url)
        before = page.locator("section.plan-revision").count()
        assert before >= 1
        latest = int(page.locator("section.plan-revision").first.get_attribute("data-revision")
                     or 0)
        december = page.locator("form.plan-form input[name='m12.disbursed_vnd']").input_value()
        raised = int(december) + 5_000_000_000
        _plan_form_fill(page, 12, f"{raised:,}".replace(",", "."), today, "310/KH-BQLDA")
        page.locator("form.plan-form button[type=submit]").click()
        page.wait_for_selector(".notice.saved")
        sections = page.locator("section.plan-revision")
        assert sections.count() == before + 1  # the earlier revisions are kept
        newest = sections.first
        assert newest.get_attribute("data-revision") == str(latest + 1)
        assert "in-force" in (newest.get_attribute("class") or "")
        assert "Đang có hiệu lực" in newest.inner_text()
        assert page.locator("section.plan-revision.in-force").count() == 1
        shown = newest.locator("tr[data-month='12'] td[data-measure=disbursed_vnd]").inner_text()
        assert shown == f"{raised:,}".replace(",", ".")
        older = page.locator(f"section.plan-revision[data-revision='{latest}']")
        assert older.locator("tr[data-month='12'] td[data-measure=disbursed_vnd]").inner_text(
            ) == f"{int(december):,}".replace(",", ".")
        screenshot(page, "committee-plan-revised")
    with demo_engine.connect() as conn:
        kept = conn.execute(text(
            "SELECT count(*) FROM committee_plans c JOIN projects p ON p.id = c.project_id"
            " WHERE p.code = 'NN-CNC' AND c.year = 2026")).scalar_one()
    assert kept == before + 1
    assert page_watch.external_requests == [] and page_watch.console_errors == []


def test_standing_agency_records_a_meeting_with_a_task(
        live_server: str, browser: Browser, demo_engine: Engine, page_watch: PageWatch) -> None:
    today = local_today()
    with _agency(browser, page_watch, live_server, demo_engine) as page:
        page.goto(f"{live_server}/committee/meetings")
        page.locator("details.meeting-form summary").click()
        form = page.locator("details.meeting-form form")
        form.locator("input[name=title]").fill("Họp đột xuất về cao tốc Hữu Nghị – Chi Lăng")
        form.locator("input[name=held_on]").fill(today.isoformat())
        form.locator("select[name=kind]").select_option("ad_hoc")
        form.locator("select[name=chair_id]").select_option(index=1)
        form.locator("button[type=submit]").click()
        page.wait_for_url("**/committee/meetings?saved=meeting-*")
        meeting = page.locator("section.meeting").first  # newest first
        assert "Họp đột xuất về cao tốc" in meeting.inner_text()
        assert "Họp đột xuất" in meeting.locator("p").first.inner_text()
        meeting_id = meeting.get_attribute("data-meeting")
        meeting.locator("details.task-add summary").click()
        add = meeting.locator("details.task-add form")
        add.locator("textarea[name=body]").fill("Hoàn thành chi trả cho các hộ còn lại")
        add.locator("select[name=unit_id]").select_option(label="Trung tâm Phát triển quỹ đất tỉnh")
        add.locator("select[name=project]").select_option("CT-HNCL")
        add.locator("input[name=due_on]").fill((today + dt.timedelta(days=30)).isoformat())
        add.locator("button[type=submit]").click()
        page.wait_for_url("**/committee/meetings?saved=task-*")
        section = page.locator(f"section.meeting[data-meeting='{meeting_id}']")
        task = section.locator("table.meeting-tasks tbody tr")
        assert task.count() == 1
        assert task.get_attribute("data-state") == "open"
        assert "Đang thực hiện" in task.inner_text() and "CT-HNCL" in task.inner_text()
        screenshot(page, "committee-meeting-task")
    with demo_engine.connect() as conn:
        row = conn.execute(text(
            "SELECT m.kind, t.seq, u.code FROM committee_tasks t"
            " JOIN committee_meetings m ON m.id = t.meeting_id"
            " JOIN committee_units u ON u.id = t.unit_id WHERE m.id = :m"),
            {"m": int(meeting_id or 0)}).one()
    assert tuple(row) == ("ad_hoc", 1, "TTPTQD")
    assert page_watch.external_requests == [] and page_watch.console_errors == []


def _seed_task(engine: Engine, unit_code: str, body: str) -> int:
    """A meeting a week ago and one task for ``unit_code``, through the committee's own writers
    (as the standing agency)."""
    from gis.committee.tasks import add_task, create_meeting
    from gis.db.engine import session_factory

    _linked_user(engine, "stc.bieumau", "STC")
    today = local_today()
    with session_factory(engine).begin() as s:
        agency = s.execute(text("SELECT id FROM users WHERE username = 'stc.bieumau'")
                           ).scalar_one()
        unit = s.execute(text("SELECT id FROM committee_units WHERE code = :c"),
                         {"c": unit_code}).scalar_one()
        meeting = create_meeting(s, agency, held_on=today - dt.timedelta(days=7),
                                 kind="ad_hoc", title=body, today=today)
        return add_task(s, agency, meeting.id, body=body, unit_id=unit,
                        due_on=today + dt.timedelta(days=10)).id


def test_a_unit_marks_its_task_done_with_evidence_after_a_refusal(
        live_server: str, browser: Browser, demo_engine: Engine, page_watch: PageWatch) -> None:
    task_id = _seed_task(demo_engine, "BQLDA-GT", "Báo cáo tiến độ giải ngân quý IV")
    other = _seed_task(demo_engine, "SCT", "Rà soát đơn giá bồi thường")
    today = local_today()
    yesterday = today - dt.timedelta(days=1)
    with _as(browser, page_watch, live_server, demo_engine, "bqlda.gt", "BQLDA-GT") as page:
        page.goto(f"{live_server}/committee/meetings")
        row = page.locator(f"tr[data-task='{task_id}']")
        assert row.locator("details.task-done").count() == 1
        assert page.locator(f"tr[data-task='{other}'] details.task-done").count() == 0
        assert page.locator("details.meeting-form, details.task-add").count() == 0
        row.locator("details.task-done summary").click()
        done = row.locator("details.task-done form")
        done.locator("input[name=done_on]").fill(yesterday.isoformat())
        done.locator("input[name=evidence_no]").fill("77/BC-BQLDA")
        done.locator("input[name=evidence_date]").fill(today.isoformat())
        done.locator("button[type=submit]").click()
        error = page.locator(f"tr[data-task='{task_id}'] .form-error[data-field=evidence_date]")
        error.wait_for()
        assert "sau ngày hoàn thành" in error.inner_text()
        assert error.get_attribute("data-reason") == "evidence_after_done"
        # the typed values are kept; nothing was recorded
        again = page.locator(f"tr[data-task='{task_id}'] details.task-done form")
        assert again.locator("input[name=evidence_no]").input_value() == "77/BC-BQLDA"
        again.locator("input[name=evidence_date]").fill(yesterday.isoformat())
        again.locator("button[type=submit]").click()
        page.wait_for_url("**/committee/meetings?saved=done-*")
        row = page.locator(f"tr[data-task='{task_id}']")
        assert row.get_attribute("data-state") == "done"
        assert "77/BC-BQLDA" in row.locator(".evidence").inner_text()
        assert row.locator("details.task-done").count() == 0
        screenshot(page, "committee-task-done-evidence")
    with demo_engine.connect() as conn:
        log = conn.execute(text("SELECT kind, evidence_no, evidence_date FROM"
                                " committee_task_updates WHERE task_id = :t"),
                           {"t": task_id}).all()
    assert [tuple(r) for r in log] == [("done", "77/BC-BQLDA", yesterday)]
    assert page_watch.external_requests == []
    assert [e for e in page_watch.console_errors if not e.startswith(REFUSED.format(422))] == []


def test_refusals_match_the_api(live_server: str, browser: Browser, demo_engine: Engine,
                                page_watch: PageWatch) -> None:
    """The same input refused by the page and by the API: the same codes; the page says
    it in Vietnamese next to the field; a reader (no committee link to edit) is refused."""
    today = local_today()
    task_id = _seed_task(demo_engine, "SXD", "Trình phương án tái định cư")
    body = {"done_on": today.isoformat(), "evidence_no": "báo cáo miệng",
            "evidence_date": today.isoformat()}
    _linked_user(demo_engine, "sxd.bieumau", "SXD")
    cookies = _login(live_server, "sxd.bieumau")
    version = httpx.get(f"{live_server}/api/committee/tasks", cookies=cookies, timeout=30
                        ).json()
    current = next(t["version"] for t in version if t["id"] == task_id)
    api = httpx.post(f"{live_server}/api/committee/tasks/{task_id}/done", timeout=30,
                     cookies=cookies, json={**body, "version": current},
                     headers={"X-CSRF-Token": cookies["gpmb_csrf"]})
    assert api.status_code == 422
    with _as(browser, page_watch, live_server, demo_engine, "sxd.bieumau", "SXD") as page:
        page.goto(f"{live_server}/committee/meetings")
        row = page.locator(f"tr[data-task='{task_id}']")
        row.locator("details.task-done summary").click()
        for name, value in body.items():
            row.locator(f"details.task-done input[name={name}]").fill(value)
        row.locator("details.task-done button[type=submit]").click()
        error = page.locator(f"tr[data-task='{task_id}'] .form-error[data-field=evidence_no]")
        error.wait_for()
        assert "không đúng dạng" in error.inner_text()
        assert error.get_attribute("data-code") == api.json()["code"]
        assert error.get_attribute("data-reason") == api.json()["extra"]["reason"]
        screenshot(page, "committee-refusal")
    # a leader reads everything but sees no form, and a post is refused in Vietnamese
    with _as(browser, page_watch, live_server, demo_engine, "lanhdao.bieumau", None,
             "leader") as page:
        for path in ("/committee/register?year=2026", "/committee/plans/2026/NN-CNC",
                     "/committee/meetings"):
            res = page.goto(live_server + path)
            assert res is not None and res.status == 200
            assert page.locator("form[method=post]").count() == 0, path
        leader = _login(live_server, "lanhdao.bieumau")
        refused = httpx.post(f"{live_server}/committee/register/{NEXT_YEAR_LIST}", timeout=30,
                             cookies=leader, data={
                                 "csrf_token": leader["gpmb_csrf"], "form": "register-add",
                                 "project": "NN-CNC", "action": "add", "version": "0",
                                 "decision_no": "46/QĐ-UBND",
                                 "decision_date": today.isoformat(), "group": "ppp",
                                 "investor": "Nhà đầu tư"})
        assert refused.status_code == 403
        assert "Chỉ cơ quan thường trực" in refused.text
        assert 'data-reason="committee_edit"' in refused.text
        forged = httpx.post(f"{live_server}/committee/register/{NEXT_YEAR_LIST}", timeout=30,
                            cookies=leader, data={"csrf_token": "sai", "project": "NN-CNC"})
        assert forged.status_code == 403 and "CSRF" in forged.text


def test_a_concurrent_plan_revision_is_detected(
        live_server: str, browser: Browser, demo_engine: Engine, page_watch: PageWatch) -> None:
    from gis.committee.register import key_projects

    today = local_today()
    with Session(demo_engine) as s:
        code = next(k.code for k in key_projects(s, 2026, dt.date.max)
                    if k.code not in ("NN-CNC", "CT-HNCL"))
    url = f"{live_server}/committee/plans/2026/{code}"
    _linked_user(demo_engine, "stc.bieumau", "STC")
    cookies = _login(live_server, "stc.bieumau")
    context = offline_context(browser, page_watch, live_server, cookies)
    try:
        first, second = context.new_page(), context.new_page()
        first.goto(url)
        second.goto(url)
        before = first.locator("section.plan-revision").count()
        december = int(first.locator("form.plan-form input[name='m12.disbursed_vnd']")
                       .input_value() or 0)
        _plan_form_fill(first, 12, str(december + 10**9), today, "311/KH-BQLDA")
        _plan_form_fill(second, 12, str(december + 2 * 10**9), today, "312/KH-BQLDA")
        first.locator("form.plan-form button[type=submit]").click()
        first.wait_for_selector(".notice.saved")
        second.locator("form.plan-form button[type=submit]").click()
        error = second.locator("form.plan-form .form-error")
        error.wait_for()
        assert "vừa được người khác cập nhật" in error.inner_text()
        assert error.get_attribute("data-reason") == "stale_version"
        assert error.get_attribute("data-code") == "conflict"
        # the page shows the other's revision in force; the typed figure is kept to retry
        assert second.locator("section.plan-revision").count() == before + 1
        assert "311/KH-BQLDA" in second.locator("section.plan-revision.in-force").inner_text()
        assert second.locator("form.plan-form input[name='m12.disbursed_vnd']").input_value(
            ) == str(december + 2 * 10**9)
        screenshot(second, "committee-plan-conflict")
    finally:
        context.close()
    with demo_engine.connect() as conn:
        numbers = conn.execute(text(
            "SELECT document_no FROM committee_plans c JOIN projects p ON p.id = c.project_id"
            " WHERE p.code = :c AND c.year = 2026 ORDER BY revision"), {"c": code}
            ).scalars().all()
    assert "311/KH-BQLDA" in numbers and "312/KH-BQLDA" not in numbers
    assert page_watch.external_requests == []
    assert [e for e in page_watch.console_errors if not e.startswith(REFUSED.format(409))] == []


def test_register_add_raced_then_removed(live_server: str, browser: Browser,
                                         demo_engine: Engine, page_watch: PageWatch) -> None:
    """Two pages add the same project: the second is refused as stale; then it is removed
    from the list by a dated document, the history keeping both changes."""
    today = local_today()
    url = f"{live_server}/committee/register?year={NEXT_YEAR_LIST}"
    _linked_user(demo_engine, "stc.bieumau", "STC")
    context = offline_context(browser, page_watch, live_server,
                              _login(live_server, "stc.bieumau"))
    try:
        first, second = context.new_page(), context.new_page()
        first.goto(url)
        second.goto(url)
        for page, number in ((first, "50/QĐ-UBND"), (second, "51/QĐ-UBND")):
            form = page.locator("form.register-add")
            form.locator("select[name=project]").select_option("NN-CNC")
            form.locator("input[name=decision_no]").fill(number)
            form.locator("input[name=decision_date]").fill(today.isoformat())
            form.locator("select[name=group]").select_option("ppp")
            form.locator("input[name=investor]").fill("Liên danh nhà đầu tư")
        first.locator("form.register-add button[type=submit]").click()
        first.wait_for_selector(".notice.saved")
        second.locator("form.register-add button[type=submit]").click()
        error = second.locator("form.register-add .form-error")
        error.wait_for()
        assert error.get_attribute("data-reason") == "stale_version"
        assert "vừa được người khác cập nhật" in error.inner_text()
        row = first.locator("table.register tr[data-code='NN-CNC']")
        row.locator("details.committee-form summary").click()
        form = row.locator("details.committee-form form")
        form.locator("select[name=action]").select_option("remove")
        form.locator("input[name=decision_no]").fill("52/QĐ-UBND")
        form.locator("input[name=decision_date]").fill(today.isoformat())
        form.locator("button[type=submit]").click()
        first.wait_for_selector(".notice.saved")
        assert first.locator("table.register tr[data-code='NN-CNC']").count() == 0
        history = first.locator("table.register-history tr[data-code='NN-CNC']")
        assert [history.nth(i).get_attribute("data-action") for i in range(history.count())
                ] == ["remove", "add"]
    finally:
        context.close()
    with demo_engine.connect() as conn:
        changes = conn.execute(text(
            "SELECT k.revision, k.action, k.decision_no FROM key_project_changes k"
            " JOIN projects p ON p.id = k.project_id WHERE p.code = 'NN-CNC' AND k.year = :y"
            " ORDER BY k.revision"), {"y": NEXT_YEAR_LIST}).all()
    assert [tuple(c) for c in changes] == [(1, "add", "50/QĐ-UBND"), (2, "remove", "52/QĐ-UBND")]
    assert [e for e in page_watch.console_errors if not e.startswith(REFUSED.format(409))] == []


def test_form_pages_fit_a_phone_in_both_languages(live_server: str, browser: Browser,
                                                  demo_engine: Engine,
                                                  page_watch: PageWatch) -> None:
    with _agency(browser, page_watch, live_server, demo_engine) as page:
        page.set_viewport_size({"width": 390, "height": 844})
        for path, heading in (("/committee/register?year=2026", "Key projects of 2026"),
                              ("/committee/plans/2026/CT-HNCL", "CT-HNCL"),
                              ("/committee/meetings", "Meetings and tasks")):
            page.goto(live_server + path)
            opened = page.locator("details.committee-form")
            if opened.count():  # the plan's form is always open
                opened.first.locator("summary").click()
            assert page.locator(".committee-form input").count() > 0
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 391, f"{path} scrolls sideways: {width}px"
            page.goto(live_server + path + ("&" if "?" in path else "?") + "lang=en")
            assert heading in page.inner_text("h1")
        screenshot(page, "committee-meetings-phone-en")
        page.goto(f"{live_server}/committee?lang=vi")
    assert page_watch.external_requests == [] and page_watch.console_errors == []
