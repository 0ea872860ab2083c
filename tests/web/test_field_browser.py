"""The field view in a real browser (Debian's Chromium), offline by construction: a tablet
at 800×1280 and 1280×800 (and a phone) with a faked GPS position inside a known demo
parcel. Locate me highlights and names that parcel; every touch target is ≥ 44 px; a field
user's note shows in the card history, also when it was written without signal."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import Engine, text

from gis.core.domain import Role
from tests.web.browser import PageWatch, open_tablet, screenshot
from tests.web.test_field_http import (
    FIELD_USER,
    PASSWORD,
    PROJECT,
    case_where,
    ensure_user,
)

FIELD = f"/field?project={PROJECT}"
MIN_TARGET_PX = 44
OFFLINE_LOG = re.compile(r"^Failed to load resource: net::ERR_(INTERNET_DISCONNECTED|FAILED)$")
TOUCH_TARGETS = """() => {
    const sel = 'button, a[href], select, input:not([type=file]), textarea, label.btn,'
              + ' .leaflet-control-zoom a';
    return Array.from(document.querySelectorAll(sel)).filter(el => {
        const r = el.getBoundingClientRect(), s = getComputedStyle(el);
        return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
    }).map(el => {
        const r = el.getBoundingClientRect();
        return {what: el.id || el.className || el.tagName, w: r.width, h: r.height};
    });
}"""


@pytest.fixture(scope="module")
def spot(demo_engine: Engine) -> dict[str, Any]:
    """A parcel of the expressway, still open, and a point inside it."""
    return case_where(demo_engine, "c.step IN ('notified', 'inventoried', 'plan_posted', "
                      "'plan_approved')", "p.legal_area_m2 DESC, c.id")


@pytest.fixture(scope="module")
def field_cookies(live_server: str, demo_engine: Engine) -> dict[str, str]:
    ensure_user(demo_engine, FIELD_USER, Role.FIELD, [PROJECT])
    res = httpx.post(live_server + "/api/auth/login", timeout=30,
                     json={"username": FIELD_USER, "password": PASSWORD})
    assert res.status_code == 200, res.text
    return dict(res.cookies)


@pytest.fixture
def open_field(browser: Browser, page_watch: PageWatch, live_server: str,
               field_cookies: dict[str, str], spot: dict[str, Any]
               ) -> Iterator[Callable[..., Page]]:
    """Open the field view in a touch context of a given size, GPS inside ``spot``."""
    contexts: list[BrowserContext] = []

    def opener(width: int, height: int, *, service_workers: str = "block") -> Page:
        page = open_tablet(browser, page_watch, live_server, field_cookies, FIELD,
                           viewport={"width": width, "height": height},
                           gps=(spot["lat"], spot["lon"], 8), service_workers=service_workers)
        contexts.append(page.context)
        return page

    yield opener
    for context in contexts:
        context.close()


def _locate(page: Page, spot: dict[str, Any]) -> None:
    page.click("#locate-me")
    title = f"Thửa {spot['parcel_no']} · tờ {spot['sheet_no']}"
    expect(page.locator("#card-title")).to_have_text(title, timeout=15_000)
    page.wait_for_function("() => GPMB_FIELD.highlighted() > 0")
    assert page.evaluate("GPMB_FIELD.selected()") == spot["parcel_id"]
    assert page.evaluate("GPMB_FIELD.card().case.id") == spot["case_id"]
    assert page.locator("path.field-highlight").count() >= 1
    first = page.locator("#nearby .parcel-item").first
    expect(first).to_have_class("parcel-item current")
    expect(first).to_contain_text("tại đây")


def _small_targets(page: Page) -> list[dict[str, Any]]:
    targets = page.evaluate(TOUCH_TARGETS)
    assert len(targets) >= 8
    return [t for t in targets if t["w"] < MIN_TARGET_PX or t["h"] < MIN_TARGET_PX]


def _inside_viewport(page: Page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    assert box is not None and size is not None
    return (box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= size["width"] + 1
            and box["y"] + box["height"] <= size["height"] + 1)


@pytest.mark.parametrize(("width", "height", "name"), [
    (800, 1280, "field_tablet_portrait"), (1280, 800, "field_tablet_landscape"),
    (390, 844, "field_phone")])
def test_locate_me_highlights_and_names_the_parcel(
        open_field: Callable[..., Page], page_watch: PageWatch, spot: dict[str, Any],
        width: int, height: int, name: str) -> None:
    page = open_field(width, height)
    _locate(page, spot)
    page.wait_for_load_state("networkidle")
    for selector in ("#locate-me", "#open-lookup", "#field-panel"):
        assert _inside_viewport(page, selector), selector
    map_box = page.locator("#field-map").bounding_box()
    panel_box = page.locator("#field-panel").bounding_box()
    assert map_box and panel_box and map_box["height"] > 250
    if width > height:  # landscape: the card sits beside the map
        assert panel_box["x"] >= map_box["x"] + map_box["width"] - 1
    else:  # portrait: below it
        assert panel_box["y"] >= map_box["y"] + map_box["height"] - 1
    assert _small_targets(page) == []
    screenshot(page, name)
    assert page_watch.external_requests == []
    assert page_watch.console_errors == []


def test_lookup_by_commune_sheet_and_parcel(open_field: Callable[..., Page],
                                            page_watch: PageWatch,
                                            spot: dict[str, Any]) -> None:
    page = open_field(800, 1280)
    page.click("#open-lookup")
    page.select_option("#lookup-commune", spot["commune_code"])
    page.fill("#lookup-sheet", str(spot["sheet_no"]))
    page.fill("#lookup-parcel", str(spot["parcel_no"]))
    page.click("#lookup button[type=submit]")
    page.locator(f'#lookup-results [data-parcel="{spot["parcel_id"]}"]').click()
    expect(page.locator("#card-title")).to_have_text(
        f"Thửa {spot['parcel_no']} · tờ {spot['sheet_no']}", timeout=15_000)
    page.wait_for_function(f"() => GPMB_FIELD.selected() === {spot['parcel_id']}")
    assert _small_targets(page) == []
    screenshot(page, "field_lookup")
    assert page_watch.external_requests == [] and page_watch.console_errors == []


def _note_count(engine: Engine, case_id: int, note: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM case_events WHERE case_id = :c "
                                     "AND kind = 'note' AND note = :n"),
                                {"c": case_id, "n": note}).scalar_one())


def test_field_user_adds_a_note_and_sees_it_in_the_history(
        open_field: Callable[..., Page], page_watch: PageWatch, spot: dict[str, Any],
        demo_engine: Engine) -> None:
    page = open_field(800, 1280)
    _locate(page, spot)
    expect(page.locator("#handover-why")).to_contain_text("Chưa thể chuyển sang bước")
    note = "Hộ dân đồng ý đo lại ranh giới phía bắc"
    page.fill("#note-text", note)
    page.click("#note-save")
    first = page.locator("#card-history li").first
    expect(first).to_contain_text(note, timeout=15_000)
    expect(first).to_contain_text("Kiểm thử")  # recorded by the field user, not pending
    expect(page.locator("#card-msg")).to_contain_text("Đã lưu ghi chú")
    assert page.evaluate("GPMB_FIELD.queue().length") == 0
    assert _note_count(demo_engine, spot["case_id"], note) == 1
    expect(page.locator("#photo-retry")).to_be_hidden()
    screenshot(page, "field_note")
    assert page_watch.external_requests == [] and page_watch.console_errors == []


def test_a_note_written_without_signal_is_queued_then_sent(
        open_field: Callable[..., Page], page_watch: PageWatch, spot: dict[str, Any],
        demo_engine: Engine) -> None:
    page = open_field(800, 1280)
    _locate(page, spot)
    page.context.set_offline(True)
    note = "Ghi chú lúc mất sóng ở đầu cầu"
    page.fill("#note-text", note)
    page.click("#note-save")
    status = page.locator("#net-status")
    expect(status).to_be_visible()
    expect(page.locator("#net-text")).to_contain_text("Mất sóng")
    expect(page.locator("#card-history li.pending").first).to_contain_text(note)
    assert page.evaluate("GPMB_FIELD.queue().length") == 1
    assert _note_count(demo_engine, spot["case_id"], note) == 0
    # The card stays readable; tapping another parcel says "no signal, retry".
    page.locator("#nearby .parcel-item").nth(1).click()
    expect(page.locator("#net-retry")).to_be_visible()
    screenshot(page, "field_offline")
    page.click("#net-retry")  # still no signal: the note stays queued, the banner stays
    expect(page.locator("#net-text")).to_contain_text("Mất sóng")
    assert page.evaluate("GPMB_FIELD.queue().length") == 1
    page.context.set_offline(False)  # the browser's "online" event sends the queue
    page.wait_for_function("() => GPMB_FIELD.queue().length === 0", timeout=15_000)
    assert _note_count(demo_engine, spot["case_id"], note) == 1
    page.click("#locate-me")
    expect(page.locator("#card-history li").first).to_contain_text(note, timeout=15_000)
    assert page_watch.external_requests == []
    # The only console errors allowed are the browser's own reports of the offline fetches.
    assert [e for e in page_watch.console_errors if not OFFLINE_LOG.match(e)] == []


def test_service_worker_keeps_what_was_loaded_without_signal(
        open_field: Callable[..., Page], page_watch: PageWatch, spot: dict[str, Any]) -> None:
    page = open_field(800, 1280, service_workers="allow")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15_000)
    page.wait_for_function("""async () => {
        const cache = await caches.open('gpmb-field-v1');
        return !!(await cache.match(location.pathname + location.search));
    }""", timeout=15_000)
    _locate(page, spot)
    page.wait_for_load_state("networkidle")
    page.context.set_offline(True)
    page.reload()
    page.wait_for_function("() => window.GPMB_FIELD && GPMB_FIELD.map()")
    _locate(page, spot)  # the same position: answered from the saved copy
    expect(page.locator("#net-text")).to_contain_text("Mất sóng")
    screenshot(page, "field_offline_reload")
    page.context.set_offline(False)
    assert page_watch.external_requests == []
    # Only the browser's own reports of requests that failed for want of a network (tiles
    # never seen before): no script error.
    assert [e for e in page_watch.console_errors if not OFFLINE_LOG.match(e)] == []


def test_photo_from_the_camera_is_downscaled_and_stored(
        open_field: Callable[..., Page], page_watch: PageWatch, spot: dict[str, Any],
        live_server: str) -> None:
    page = open_field(800, 1280)
    _locate(page, spot)
    assert page.get_attribute("#photo-input", "capture") == "environment"
    assert page.get_attribute("#photo-input", "accept") == "image/*"
    out = io.BytesIO()
    Image.effect_noise((2400, 1800), 60).convert("RGB").save(out, "JPEG", quality=92)
    original = out.getvalue()
    page.set_input_files("#photo-input", files=[
        {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": original}])
    expect(page.locator("#card-msg")).to_contain_text("Đã lưu ảnh vào hồ sơ", timeout=30_000)
    # the message comes first, then the card reloads with the new photo
    page.wait_for_function("() => GPMB_FIELD.card().case.photos.count >= 1", timeout=15_000)
    photos = page.evaluate("GPMB_FIELD.card().case.photos")
    stored = page.request.get(live_server + photos["latest"][0]["url"])
    assert stored.ok
    sent = stored.body()
    with Image.open(io.BytesIO(sent)) as img:
        assert img.format == "JPEG" and max(img.size) == 1600
    print(f"photo: {len(original)} bytes taken, {len(sent)} bytes sent")
    assert len(sent) < len(original) / 2
    assert page_watch.external_requests == [] and page_watch.console_errors == []
