"""The project map's filters, Km labels and parcels outside the project in a real browser
(Debian's Chromium, offline): a filter moves the map to what it selects and the counter
and legend show the server's figures; nothing matching says so; no two Km labels overlap;
a parcel outside the footprint is found and explained."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page
from sqlalchemy import Engine, text

from gis.core.calendar import local_today
from tests.web.browser import PageWatch, screenshot
from tests.web.map_fixtures import BANG_MAC, CASES_SQL

MAP = "/projects/CT-HNCL/map"
_CASES = CASES_SQL


def _vn(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _open(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_function("window.GPMB && GPMB.map() && document.querySelector('.gpmb-km-label')")
    page.wait_for_load_state("networkidle")


def _summary_done(page: Page) -> None:
    page.wait_for_function("/^[0-9]+$/.test(document.body.dataset.summary || '')")
    page.wait_for_load_state("networkidle")


@pytest.fixture(scope="module")
def bang_mac_overdue(demo_engine: Engine) -> dict[str, Any]:
    """Bằng Mạc's overdue cases of the expressway: count, extent, per step, and the total."""
    late = f"p.commune_code = '{BANG_MAC}' AND d.due_on < :today"
    params = {"today": local_today()}
    with demo_engine.connect() as conn:
        row = conn.execute(text(f"""SELECT ST_YMin(b) AS s, ST_XMin(b) AS w,
            ST_YMax(b) AS no, ST_XMax(b) AS e FROM (SELECT ST_Extent(ST_Transform(p.geom, 4326))
            AS b {_CASES} AND {late}) x"""), params).one()
        n = conn.execute(text(f"SELECT count(*) {_CASES} AND {late}"), params).scalar_one()
        steps = dict(conn.execute(text(f"SELECT c.step::text, count(*) {_CASES} AND {late}"
                                       " GROUP BY 1"), params).all())
        total = conn.execute(text(f"SELECT count(*) {_CASES}")).scalar_one()
    return {"n": n, "bounds": (row.s, row.w, row.no, row.e), "steps": steps,
            "total": total}


_DRAWN = """() => {
    const ids = new Set();
    for (const t of Object.values(GPMB.map()._layers)) {
        if (!t._vectorTiles) continue;
        for (const tile of Object.values(t._vectorTiles))
            for (const f of Object.values(tile._features))
                if (f.feature.options.fillOpacity > 0.5) ids.add(f.feature.properties.parcel_id);
    }
    return ids.size; }"""
"""How many parcels the map draws as matching the filters (distinct ids over its tiles)."""


def test_commune_and_overdue_move_the_map_and_count_on_the_server(
        live_server: str, page: Page, page_watch: PageWatch,
        bang_mac_overdue: dict[str, Any]) -> None:
    _open(page, live_server + MAP)
    expected = bang_mac_overdue
    start_zoom = page.evaluate("GPMB.map().getZoom()")
    page.select_option("#filter-commune", BANG_MAC)
    page.check("#filter-overdue")
    _summary_done(page)
    # The view moved to the matching parcels: all of them inside, and closer than before.
    view = page.evaluate("""() => { const b = GPMB.map().getBounds();
        return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast(), GPMB.map().getZoom()]; }""")
    s, w, n, e = expected["bounds"]
    assert view[0] <= s and view[1] <= w and view[2] >= n and view[3] >= e
    assert view[4] > start_zoom
    # The counter and the legend are the server's figures, not the loaded tiles'.
    assert page.inner_text("#filter-count") == \
        f"Đang hiện {_vn(expected['n'])} / {_vn(expected['total'])} thửa"
    assert page.inner_text("#legend-total") == _vn(expected["n"])
    for step, count in expected["steps"].items():
        assert page.inner_text(f"#legend tr[data-step='{step}'] .count") == _vn(count)
    assert page.is_hidden("#filter-empty")
    # Close enough for parcels, and what the tiles draw there agrees with the count.
    assert view[4] >= 13
    page.wait_for_function(f"() => ({_DRAWN})() === {expected['n']}", timeout=15_000)
    assert "commune=" + BANG_MAC in page.evaluate("location.hash")
    screenshot(page, "project_map_filter_commune_overdue")
    assert page_watch.external_requests == [] and page_watch.console_errors == []


def test_nothing_matching_says_so(live_server: str, page: Page, page_watch: PageWatch,
                                  bang_mac_overdue: dict[str, Any]) -> None:
    _open(page, live_server + MAP)
    assert page.is_hidden("#filter-empty")
    for box in page.locator(".step-filter").all():
        if box.get_attribute("value") != "handed_over":
            box.uncheck()
    page.check("#filter-overdue")  # a handed-over case has no open deadline
    _summary_done(page)
    assert page.is_visible("#filter-empty")
    assert "Không có thửa nào khớp bộ lọc" in page.inner_text("#filter-empty")
    assert page.inner_text("#filter-count") == \
        f"Đang hiện 0 / {_vn(bang_mac_overdue['total'])} thửa"
    page.click("#filter-reset")
    _summary_done(page)
    assert page.is_hidden("#filter-empty")
    assert page.inner_text("#legend-total") == _vn(bang_mac_overdue["total"])
    assert page_watch.console_errors == []


def test_nothing_matching_in_english(live_server: str, page: Page) -> None:
    _open(page, f"{live_server}{MAP}?lang=en#step=handed_over&overdue=1")
    _summary_done(page)
    assert page.inner_text("#filter-empty").startswith("No parcel matches the filters")
    assert page.inner_text("#filter-count").startswith("Showing 0 / ")


def _km_boxes(page: Page, selector: str = ".gpmb-km-label") -> list[dict[str, Any]]:
    boxes: list[dict[str, Any]] = page.evaluate("""(selector) =>
        Array.from(document.querySelectorAll('.leaflet-tooltip-pane ' + selector))
          .filter(el => getComputedStyle(el).visibility !== 'hidden')
          .map(el => { const r = el.getBoundingClientRect();
                       return {l: r.left, t: r.top, r: r.right, b: r.bottom,
                               text: el.textContent}; })""", selector)
    return boxes


def _overlapping(boxes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(a["text"], b["text"]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if a["l"] < b["r"] and b["l"] < a["r"] and a["t"] < b["b"] and b["t"] < a["b"]]


def test_km_labels_never_overlap(live_server: str, page: Page,
                                 page_watch: PageWatch) -> None:
    _open(page, live_server + MAP)
    labels = page.locator(".gpmb-km-label").count()
    shown = _km_boxes(page)
    assert len(shown) >= 3, shown
    assert _overlapping(shown) == []
    names = _km_boxes(page, ".gpmb-commune-label")
    assert len(names) >= 2
    assert [pair for pair in _overlapping(names + shown) if pair[1].startswith("Km")
            and not pair[0].startswith("Km")] == []
    screenshot(page, "project_map_km_labels")
    # Closer in, more of them fit, still none on another.
    page.evaluate("GPMB.map().setZoom(GPMB.map().getZoom() + 2, {animate: false})")
    page.wait_for_function(f"Number(document.body.dataset.kmLabels) > {len(shown)}")
    closer = _km_boxes(page)
    assert len(shown) < len(closer) <= labels
    assert _overlapping(closer) == []
    assert page_watch.console_errors == []


@pytest.fixture(scope="module")
def outside_parcel(demo_engine: Engine) -> Any:
    """A parcel of the expressway's communes outside its footprint, whose sheet/parcel
    number no case of the expressway has."""
    with demo_engine.connect() as conn:
        return conn.execute(text(f"""
            WITH project AS (SELECT p.id, p.commune_code, p.sheet_no, p.parcel_no {_CASES})
            SELECT o.id, o.sheet_no, o.parcel_no, ST_Y(pt) AS lat, ST_X(pt) AS lon
            FROM parcels o
            CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(o.geom), 4326) AS pt) g
            WHERE o.commune_code IN (SELECT commune_code FROM project)
              AND NOT EXISTS (SELECT 1 FROM project x WHERE x.sheet_no = o.sheet_no
                              AND x.parcel_no = o.parcel_no)
            ORDER BY o.id LIMIT 1""")).one()


def test_a_parcel_outside_the_project_is_found_and_explained(
        live_server: str, page: Page, page_watch: PageWatch, outside_parcel: Any) -> None:
    _open(page, live_server + MAP)
    note = page.locator("#outside-note")
    assert note.is_visible() and int(note.get_attribute("data-outside") or 0) > 0
    assert "nằm ngoài phạm vi thu hồi của dự án" in note.inner_text()
    page.fill("#search-q", f"{outside_parcel.sheet_no}/{outside_parcel.parcel_no}")
    page.click("#search-form button[type=submit]")
    page.wait_for_selector("#search-outside")
    assert page.inner_text("#search-outside") == "Thửa này nằm ngoài phạm vi dự án"
    page.wait_for_selector("#panel-outside")
    assert page.get_attribute("#parcel-panel", "data-parcel-id") == str(outside_parcel.id)
    page.wait_for_function("GPMB.map().getZoom() >= 16", timeout=10_000)
    page.wait_for_timeout(800)  # the fly animation ends
    centre = page.evaluate("(() => { const c = GPMB.map().getCenter(); return [c.lat, c.lng]; })()")
    assert abs(centre[0] - outside_parcel.lat) < 0.002
    assert abs(centre[1] - outside_parcel.lon) < 0.002
    # Its outline is drawn (it is in no tile of this map).
    assert page.locator(".leaflet-overlay-pane path[stroke='#7c3aed']").count() == 1
    screenshot(page, "project_map_outside_parcel")
    page.click("#panel-close")
    assert page.locator(".leaflet-overlay-pane path[stroke='#7c3aed']").count() == 0
    assert page_watch.external_requests == [] and page_watch.console_errors == []


def test_outside_parcel_in_english(live_server: str, page: Page, outside_parcel: Any) -> None:
    _open(page, f"{live_server}{MAP}?lang=en")
    assert "lie outside the project's recovery footprint" in page.inner_text("#outside-note")
    page.fill("#search-q", f"{outside_parcel.sheet_no}/{outside_parcel.parcel_no}")
    page.click("#search-form button[type=submit]")
    page.wait_for_selector("#panel-outside")
    assert page.inner_text("#search-outside") == "This parcel lies outside the project area"
    assert "does not cross this parcel" in page.inner_text("#panel-body")


def test_a_parcel_imported_after_the_overlay_says_to_run_it(
        live_server: str, page: Page, not_overlaid: Any) -> None:
    _open(page, live_server + MAP)
    note = page.locator("#not-overlaid-note")
    assert note.is_visible() and "gpmb import overlay CT-HNCL" in note.inner_text()
    page.fill("#search-q", "9999/1")
    page.click("#search-form button[type=submit]")
    page.wait_for_selector("#panel-outside[data-in-footprint='1']")
    assert page.inner_text("#search-outside") == "Chưa có hồ sơ GPMB của dự án cho thửa này"
    assert "chạy lại chồng xếp" in page.inner_text("#panel-body")
