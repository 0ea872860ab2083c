"""Field work without signal in a real browser (Debian's Chromium, a 10" tablet, the GPS
inside a demo parcel): take a commune offline, lose the network, reload, find the parcel
under the GPS point, confirm its handover, add two photos and a note, and find a second
parcel by its numbers; back online everything arrives exactly once, and the handover of a
case the office changed meanwhile becomes a conflict that a staff user resolves on the
conflict page. A sync cut in the middle loses and duplicates nothing; signing out wipes
the tablet."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import APIResponse, Browser, BrowserContext, Page, Route, expect
from sqlalchemy import Engine, select, text

from gis.compensation.ledger import record_payment, reverse_payment
from gis.core.calendar import local_today
from gis.core.domain import Role
from gis.db.engine import session_factory
from gis.models import User
from tests.web.browser import PageWatch, offline_context, open_tablet, screenshot
from tests.web.test_field_http import (
    FIELD_USER,
    PASSWORD,
    PROJECT,
    STAFF_USER,
    ensure_user,
)

FIELD = f"/field?project={PROJECT}"
TABLET = {"width": 800, "height": 1280}
# The browser's own reports of requests that failed for want of a network.
OFFLINE_LOG = re.compile(r"^Failed to load resource: net::ERR_(INTERNET_DISCONNECTED|FAILED)")
READY = "c.step = 'decided_paid' AND NOT EXISTS (SELECT 1 FROM field_actions f WHERE " \
        "f.case_id = c.id)"


def _cases(engine: Engine, where: str, limit: int, commune: str | None = None
           ) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text(f"""
            SELECT c.id AS case_id, c.parcel_id, p.commune_code, p.sheet_no, p.parcel_no,
                   ST_X(pt) AS lon, ST_Y(pt) AS lat
            FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
            JOIN projects j ON j.id = c.project_id
            CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(p.geom), 4326) AS pt) g
            WHERE j.code = :code AND {where}
              AND (CAST(:commune AS text) IS NULL OR p.commune_code = :commune)
            ORDER BY c.id LIMIT :limit"""),
            {"code": PROJECT, "commune": commune, "limit": limit}).mappings().all()
    return [dict(r) for r in rows]


def _login(base: str, username: str) -> dict[str, str]:
    res = httpx.post(base + "/api/auth/login", timeout=30,
                     json={"username": username, "password": PASSWORD})
    assert res.status_code == 200, res.text
    return dict(res.cookies)


@pytest.fixture(scope="module")
def people(demo_engine: Engine) -> dict[str, int]:
    ensure_user(demo_engine, FIELD_USER, Role.FIELD, [PROJECT])
    ensure_user(demo_engine, STAFF_USER, Role.STAFF)
    with demo_engine.connect() as conn:
        return {u: int(conn.execute(select(User.id).where(User.username == u)).scalar_one())
                for u in (FIELD_USER, STAFF_USER)}


@pytest.fixture
def tablet(browser: Browser, page_watch: PageWatch, live_server: str,
           people: dict[str, int]) -> Iterator[Callable[..., Page]]:
    """The field view on a tablet with the GPS at a given point; service workers on."""
    contexts: list[BrowserContext] = []

    def opener(lat: float, lon: float, *, service_workers: str = "allow") -> Page:
        page = open_tablet(browser, page_watch, live_server, _login(live_server, FIELD_USER),
                           FIELD, viewport=TABLET, gps=(lat, lon, 7),
                           service_workers=service_workers)
        contexts.append(page.context)
        return page

    yield opener
    for context in contexts:
        context.close()


def _jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.effect_noise((2000, 1500), 40 + seed).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def _count(engine: Engine, sql: str, **params: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def _download_commune(page: Page, commune: str) -> dict[str, Any]:
    page.click("#open-areas")
    page.select_option("#area-commune", commune)
    page.click("#area-estimate")
    expect(page.locator("#area-size")).to_contain_text("thửa", timeout=30_000)
    size = page.locator("#area-size").inner_text()
    page.click("#area-download")
    expect(page.locator("#area-list li")).to_contain_text("tải lúc", timeout=120_000)
    assert page.evaluate("document.getElementById('area-progress').value") == \
        page.evaluate("document.getElementById('area-progress').max")
    stored = page.evaluate("""async () => {
        const parcels = await GPMB_STORE.all('parcels');
        const cache = await caches.open(GPMB_STORE.TILE_CACHE);
        const keys = await cache.keys();
        const one = await cache.match(keys[0]);
        return {parcels: parcels.length, tiles: keys.length,
                stamp: one.headers.get('X-GPMB-Downloaded-At'),
                ids: parcels.some(p => JSON.stringify(p.card).match(/citizen|phone/))};
    }""")
    numbers = [int(n.replace(".", "")) for n in re.findall(r"[\d.]+(?= (?:thửa|ô))", size)]
    assert numbers == [stored["parcels"], stored["tiles"]], (size, stored)
    assert stored["stamp"] and not stored["ids"]
    return stored


def _queued(page: Page, n: int) -> None:
    page.wait_for_function(f"() => GPMB_FIELD.queue().length === {n}", timeout=15_000)


def test_a_day_without_signal_arrives_once_and_its_conflict_is_resolved(
        tablet: Callable[..., Page], page_watch: PageWatch, live_server: str,
        demo_engine: Engine, browser: Browser, people: dict[str, int]) -> None:
    ready = _cases(demo_engine, READY, 500)
    communes = [c["commune_code"] for c in ready]
    commune = next((m for m in communes if communes.count(m) >= 2), None)
    assert commune is not None, "the demo has no commune with two cases ready for handover"
    here, other = _cases(demo_engine, READY, 2, commune)
    page = tablet(here["lat"], here["lon"])
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15_000)
    page.wait_for_function("""async () => !!(await (await caches.open('gpmb-field-v1'))
        .match(location.pathname + location.search))""", timeout=15_000)
    _download_commune(page, commune)
    screenshot(page, "field_area_downloaded")

    page.context.set_offline(True)
    page.reload()
    page.wait_for_function("() => window.GPMB_FIELD && GPMB_FIELD.map()")
    page.click("#locate-me")
    title = f"Thửa {here['parcel_no']} · tờ {here['sheet_no']}"
    expect(page.locator("#card-title")).to_have_text(title, timeout=15_000)
    expect(page.locator("#card .stale")).to_be_visible()
    page.wait_for_function("() => GPMB_FIELD.drawn() > 0")  # parcels from the area's tiles
    assert page.evaluate("GPMB_FIELD.card().case.id") == here["case_id"]
    page.click("#handover")
    page.fill("#handover-minutes", "31/BB-BGMB")
    page.click("#handover-yes")
    _queued(page, 1)
    expect(page.locator("#handover-queued")).to_be_visible()
    page.set_input_files("#photo-input", files=[
        {"name": f"IMG_{i}.jpg", "mimeType": "image/jpeg", "buffer": _jpeg(i)} for i in (1, 2)])
    _queued(page, 3)
    note = "Hộ dân đã tháo dỡ lán tạm, bàn giao cọc mốc"
    page.fill("#note-text", note)
    page.click("#note-save")
    _queued(page, 4)
    # The second parcel, by its numbers, from the downloaded area.
    page.click("#open-lookup")
    page.select_option("#lookup-commune", commune)
    page.fill("#lookup-sheet", str(other["sheet_no"]))
    page.fill("#lookup-parcel", str(other["parcel_no"]))
    page.click("#lookup button[type=submit]")
    expect(page.locator("#card-title")).to_have_text(
        f"Thửa {other['parcel_no']} · tờ {other['sheet_no']}", timeout=15_000)
    page.click("#handover")
    page.fill("#handover-minutes", "32/BB-BGMB")
    page.click("#handover-yes")
    _queued(page, 5)
    page.reload()  # the queue survives a reload (and a browser restart: it is IndexedDB)
    page.wait_for_function("() => window.GPMB_FIELD && GPMB_FIELD.queue().length === 5")
    expect(page.locator("#queue-count")).to_contain_text("Chờ gửi: 5")
    page.click("#queue-count")
    expect(page.locator("#queue-list li")).to_have_count(5)
    screenshot(page, "field_queue_offline")
    assert _count(demo_engine, "SELECT count(*) FROM field_actions WHERE case_id IN (:a, :b)",
                  a=here["case_id"], b=other["case_id"]) == 0

    # Meanwhile the office reverses a payment of the second case (a wrong voucher).
    with session_factory(demo_engine).begin() as s:
        paid = s.execute(text("""SELECT p.id, p.amount_vnd, p.method, p.payee_id,
            p.deposit_account FROM payments p
            WHERE p.case_id = :c AND p.amount_vnd > 0 AND NOT EXISTS (SELECT 1 FROM payments
            r WHERE r.reverses_payment_id = p.id) ORDER BY p.id DESC LIMIT 1"""),
                         {"c": other["case_id"]}).one()
        reverse_payment(s, paid.id, reason="Sai số chứng từ", actor_id=people[STAFF_USER])
    page.context.set_offline(False)
    _queued(page, 0)
    page.wait_for_function("() => GPMB_FIELD.answers().length === 1")
    expect(page.locator("#queue-count")).to_contain_text("Cần xử lý: 1")
    expect(page.locator("#answer-list li.conflict")).to_contain_text("đảo bút toán")

    a, b = here["case_id"], other["case_id"]
    assert _count(demo_engine, "SELECT count(*) FROM field_actions WHERE case_id = :a "
                  "AND outcome = 'applied'", a=a) == 4
    assert _count(demo_engine, "SELECT count(*) FROM case_events WHERE case_id = :a AND "
                  "step_to = 'handed_over' AND note LIKE '%GPS%(±7 m)%'", a=a) == 1
    assert _count(demo_engine, "SELECT count(*) FROM case_documents d JOIN field_actions f "
                  "ON f.document_id = d.id WHERE f.case_id = :a", a=a) == 2
    assert _count(demo_engine, "SELECT count(*) FROM case_events WHERE case_id = :a AND "
                  "note = :n", a=a, n=note) == 1
    assert _count(demo_engine, "SELECT count(*) FROM field_actions WHERE case_id = :b "
                  "AND outcome = 'conflict'", b=b) == 1
    assert _count(demo_engine, "SELECT count(*) FROM clearance_cases WHERE id = :b AND "
                  "step = 'decided_paid'", b=b) == 1

    # The office records the payment again with the right voucher; a staff user then
    # looks at both sides on the conflict page and applies the handover.
    with session_factory(demo_engine).begin() as s:
        record_payment(s, other["case_id"], paid.amount_vnd, local_today(), paid.method,
                       payee_id=paid.payee_id, deposit_account=paid.deposit_account,
                       voucher_no="PC-2026-sửa", actor_id=people[STAFF_USER])
    staff = offline_context(browser, page_watch, live_server, _login(live_server, STAFF_USER))
    office = staff.new_page()
    office.goto(live_server + "/field/conflicts")
    key = page.evaluate("GPMB_FIELD.answers()[0].key")
    entry = office.locator(f"section.conflict[data-key='{key}']")
    expect(entry).to_contain_text("đảo bút toán")
    expect(entry.locator(".side.tablet")).to_contain_text("GPS")
    expect(entry).to_contain_text("có thể áp dụng")
    screenshot(office, "field_conflict_page")
    entry.locator("button[value=apply]").click()
    expect(office.locator(".flash")).to_contain_text("Đã áp dụng")
    expect(entry).to_have_count(0)
    staff.close()
    assert _count(demo_engine, "SELECT count(*) FROM case_events WHERE case_id = :b AND "
                  "step_to = 'handed_over'", b=b) == 1
    page.evaluate("GPMB_FIELD.flush()")
    expect(page.locator("#answer-list li.resolved")).to_contain_text("Cán bộ đã áp dụng",
                                                                     timeout=15_000)
    assert page_watch.external_requests == []
    assert [e for e in page_watch.console_errors if not OFFLINE_LOG.match(e)] == []


def test_a_sync_cut_in_the_middle_loses_and_duplicates_nothing(
        tablet: Callable[..., Page], page_watch: PageWatch, demo_engine: Engine) -> None:
    spot = _cases(demo_engine, "c.step IN ('notified', 'inventoried', 'plan_posted')", 1)[0]
    page = tablet(spot["lat"], spot["lon"], service_workers="block")
    page.click("#locate-me")
    expect(page.locator("#card-title")).to_have_text(
        f"Thửa {spot['parcel_no']} · tờ {spot['sheet_no']}", timeout=15_000)
    page.context.set_offline(True)
    notes = [f"Ghi chú ngắt giữa chừng số {i}" for i in range(1, 7)]
    for i, note in enumerate(notes, 1):
        page.fill("#note-text", note)
        page.click("#note-save")
        _queued(page, i)
    seen: list[str] = []
    lost: list[APIResponse] = []

    def cut(route: Route) -> None:
        seen.append(route.request.headers.get("idempotency-key", ""))
        if len(seen) <= 2:
            route.continue_()
        elif len(seen) == 3:  # reaches the server, but the answer is lost on the way back
            lost.append(route.fetch())
            route.abort("connectionreset")
        else:
            route.abort("internetdisconnected")

    page.route("**/field/api/actions", cut)
    page.context.set_offline(False)
    _queued(page, 4)  # the first two acknowledged; the third is on its way
    page.wait_for_function("() => GPMB_SYNC.idle() && GPMB_SYNC.failure() === 'unreachable'",
                           timeout=15_000)  # ... and its answer never came back
    expect(page.locator("#sync-status")).to_contain_text("Không kết nối được máy chủ")
    assert page.evaluate("GPMB_FIELD.queue().length") == 4
    assert lost and lost[0].status == 201, lost[0].text() if lost else "no request"
    like = "Ghi chú ngắt giữa chừng số %"
    sql = "SELECT count(*) FROM case_events WHERE case_id = :c AND note LIKE :n"
    assert _count(demo_engine, sql, c=spot["case_id"], n=like) == 3
    screenshot(page, "field_sync_cut")
    page.unroute("**/field/api/actions")
    answers: dict[str, int] = {}
    page.on("response", lambda r: r.url.endswith("/field/api/actions") and answers.update(
        {r.request.headers.get("idempotency-key", ""): r.status}))
    page.click("#sync-retry")
    _queued(page, 0)
    expect(page.locator("#sync-status")).to_be_hidden()
    with demo_engine.connect() as conn:
        rows = conn.execute(text("SELECT note, count(*) FROM case_events WHERE case_id = :c "
                                 "AND note LIKE :n GROUP BY note"),
                            {"c": spot["case_id"], "n": like}).all()
    assert sorted(rows) == sorted((n, 1) for n in notes)
    # The action whose answer was lost went again under its key and was replayed (200).
    assert len(set(seen[:3])) == 3 and answers[seen[2]] == 200
    assert sorted(answers.values()) == [200, 201, 201, 201]
    assert page_watch.external_requests == []


def test_signing_out_warns_about_the_queue_then_wipes_the_tablet(
        tablet: Callable[..., Page], page_watch: PageWatch, live_server: str,
        demo_engine: Engine) -> None:
    spot = _cases(demo_engine, "c.step IN ('notified', 'inventoried', 'plan_posted')", 1)[0]
    page = tablet(spot["lat"], spot["lon"])
    page.click("#open-areas")
    page.check("input[name=area-kind][value=worklist]")
    page.fill("#area-cases", str(spot["case_id"]))
    page.click("#area-estimate")
    expect(page.locator("#area-size")).to_contain_text("1 thửa", timeout=30_000)
    page.click("#area-download")
    expect(page.locator("#area-list li")).to_contain_text("tải lúc", timeout=60_000)
    page.click("#locate-me")
    expect(page.locator("#card-title")).to_be_visible(timeout=15_000)
    page.context.set_offline(True)
    page.fill("#note-text", "Ghi chú trước khi đăng xuất")
    page.click("#note-save")
    _queued(page, 1)
    page.click("#queue-count")
    page.click("#sign-out")
    expect(page.locator("#signout-confirm")).to_contain_text("Còn 1 thao tác chưa gửi")
    page.click("#signout-no")  # stay and send it first
    page.context.set_offline(False)
    _queued(page, 0)
    page.click("#sign-out")
    page.wait_for_url(re.compile(r"/login"), timeout=15_000)
    left = page.evaluate("""async () => {
        const dbs = (await indexedDB.databases()).map(d => d.name);
        const caches_ = (await caches.keys()).filter(k => k.startsWith('gpmb-field'));
        const local = Object.keys(localStorage).filter(k => k.startsWith('gpmb-field'));
        return {dbs, caches: caches_, local};
    }""")
    assert "gpmb-field" not in left["dbs"] and left["caches"] == [] and left["local"] == []
    again = page.request.get(live_server + "/field/api/actions/status?keys=x")
    assert again.status == 401
    assert page_watch.external_requests == []


def test_signed_out_push_is_loud_keeps_the_queue_and_resumes_after_sign_in(
        tablet: Callable[..., Page], page_watch: PageWatch, live_server: str,
        demo_engine: Engine) -> None:
    spot = _cases(demo_engine, "c.step IN ('notified', 'inventoried', 'plan_posted')", 1)[0]
    page = tablet(spot["lat"], spot["lon"], service_workers="block")
    page.click("#locate-me")
    expect(page.locator("#card-title")).to_be_visible(timeout=15_000)
    page.context.set_offline(True)
    note = "Ghi chú gửi sau khi đăng nhập lại"
    page.fill("#note-text", note)
    page.click("#note-save")
    _queued(page, 1)
    # The session ends meanwhile (revoked from the office, or expired).
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "gpmb_csrf")
    assert page.request.post(live_server + "/api/auth/logout",
                             headers={"X-CSRF-Token": csrf}).status == 204
    page.context.set_offline(False)
    expect(page.locator("#sync-status")).to_contain_text("Phiên đăng nhập đã hết")
    expect(page.locator("#sync-login")).to_be_visible()
    assert page.evaluate("GPMB_FIELD.queue().length") == 1
    sql = "SELECT count(*) FROM case_events WHERE case_id = :c AND note = :n"
    assert _count(demo_engine, sql, c=spot["case_id"], n=note) == 0
    screenshot(page, "field_signed_out")
    # Signing in again (the login page sets new cookies), then back on the field view.
    for name, value in _login(live_server, FIELD_USER).items():
        page.context.add_cookies([{"name": name, "value": value, "url": live_server}])
    page.goto(live_server + FIELD)
    page.wait_for_function("() => window.GPMB_FIELD && GPMB_FIELD.map()")
    _queued(page, 0)
    assert _count(demo_engine, sql, c=spot["case_id"], n=note) == 1
    assert page_watch.external_requests == []
