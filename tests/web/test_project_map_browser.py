"""The project map in a real browser (Debian's Chromium), offline: tiles load and parcels are
drawn, a click opens the right parcel's panel, filters and search work, the view is
shareable through the URL hash."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import Page, Response
from sqlalchemy import Engine, text

from tests.web.browser import PageWatch, screenshot

MAP = "/projects/CT-HNCL/map"


@pytest.fixture(scope="module")
def case(demo_engine: Engine) -> dict[str, Any]:
    """A paid case of the expressway with its parcel's inside point."""
    with demo_engine.connect() as conn:
        row = conn.execute(text("""
            SELECT c.id AS case_id, c.parcel_id, c.step::text AS step, c.paid_vnd,
                   p.sheet_no, p.parcel_no, m.name AS commune,
                   ST_X(pt) AS lon, ST_Y(pt) AS lat,
                   (SELECT count(*) FROM case_events e WHERE e.case_id = c.id) AS events
            FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
            JOIN communes m ON m.code = p.commune_code JOIN projects j ON j.id = c.project_id
            CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(p.geom), 4326) AS pt) g
            WHERE j.code = 'CT-HNCL' AND c.paid_vnd > 0 AND c.step <> 'handed_over'
            ORDER BY p.legal_area_m2 DESC LIMIT 1""")).mappings().one()
    return dict(row)


def _open(page: Page, url: str) -> list[Response]:
    tiles: list[Response] = []
    page.on("response", lambda r: tiles.append(r) if "/tiles/parcels/" in r.url else None)
    page.goto(url)
    page.wait_for_function("window.GPMB && GPMB.stats().features > 0", timeout=20_000)
    page.wait_for_load_state("networkidle")
    return tiles


def _painted_pixels(page: Page) -> int:
    """Non-transparent pixels on the vector-tile canvases (parcels really drawn)."""
    return int(page.evaluate("""() => {
        let n = 0;
        for (const c of document.querySelectorAll('.leaflet-tile-container canvas')) {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 3; i < d.length; i += 16) { if (d[i] > 0) n++; }
        }
        return n;
    }"""))


def _click_lonlat(page: Page, lat: float, lon: float) -> None:
    x, y = page.evaluate("""([lat, lon]) => {
        const m = GPMB.map(), p = m.latLngToContainerPoint([lat, lon]);
        const r = m.getContainer().getBoundingClientRect();
        return [p.x + r.left, p.y + r.top];
    }""", [lat, lon])
    page.mouse.click(x, y)


def test_map_loads_offline_and_draws_parcels(live_server: str, page: Page,
                                             page_watch: PageWatch,
                                             case: dict[str, Any]) -> None:
    started = time.monotonic()
    tiles = _open(page, f"{live_server}{MAP}#map=16/{case['lat']:.6f}/{case['lon']:.6f}")
    elapsed = time.monotonic() - started
    assert tiles and all(r.status in (200, 304) for r in tiles)
    # The shared view is set before the first tile is asked for: no tiles of another zoom.
    assert {r.url.split("/tiles/parcels/")[1].split("/")[0] for r in tiles} == {"16"}
    stats = page.evaluate("GPMB.stats()")
    assert stats["features"] > 10 and stats["known"] > 10
    assert _painted_pixels(page) > 1000
    assert page.locator("#legend tbody tr").count() == 9
    print(f"parcels drawn {elapsed:.2f}s after navigation; {stats}")
    screenshot(page, "project_map")
    assert page_watch.external_requests == []
    assert page_watch.console_errors == []


def test_overview_zoom_shows_commune_summaries(live_server: str, page: Page,
                                               page_watch: PageWatch) -> None:
    _open(page, f"{live_server}{MAP}")
    assert page.evaluate("GPMB.map().getZoom()") < 13
    assert page.evaluate("GPMB.stats().known") == 0  # no parcel polygons at low zoom
    assert page.locator(".gpmb-commune-label").count() >= 2
    screenshot(page, "project_map_overview")
    assert page_watch.external_requests == [] and page_watch.console_errors == []


def test_click_on_a_parcel_opens_its_panel(live_server: str, page: Page,
                                           page_watch: PageWatch,
                                           case: dict[str, Any]) -> None:
    _open(page, f"{live_server}{MAP}#map=18/{case['lat']:.6f}/{case['lon']:.6f}")
    _click_lonlat(page, case["lat"], case["lon"])
    page.wait_for_selector("#parcel-panel:not([hidden]) #panel-title")
    panel = page.locator("#parcel-panel")
    assert panel.get_attribute("data-parcel-id") == str(case["parcel_id"])
    assert page.inner_text("#panel-title") == f"Tờ {case['sheet_no']} · Thửa {case['parcel_no']}"
    assert page.inner_text("#panel-commune") == case["commune"]
    assert page.get_attribute("#panel-step", "data-step") == case["step"]
    paid = page.inner_text("#panel-paid").replace(".", "")
    assert int(paid) == case["paid_vnd"]
    assert page.locator("#panel-history li").count() == case["events"]
    assert page.get_attribute("#panel-case-link", "href") == f"/cases/{case['case_id']}"
    assert f"p={case['parcel_id']}" in page.evaluate("location.hash")
    screenshot(page, "project_map_panel")
    assert page_watch.external_requests == [] and page_watch.console_errors == []


def test_shared_link_restores_view_and_panel(live_server: str, page: Page,
                                             case: dict[str, Any]) -> None:
    _open(page, f"{live_server}{MAP}#map=17/{case['lat']:.6f}/{case['lon']:.6f}"
                f"&p={case['parcel_id']}&overdue=1")
    page.wait_for_selector("#parcel-panel:not([hidden]) #panel-title")
    assert page.evaluate("GPMB.map().getZoom()") == 17
    assert page.is_checked("#filter-overdue")
    assert page.get_attribute("#parcel-panel", "data-parcel-id") == str(case["parcel_id"])


def test_filters_restyle_the_parcels(live_server: str, page: Page, page_watch: PageWatch,
                                     case: dict[str, Any]) -> None:
    _open(page, f"{live_server}{MAP}#map=16/{case['lat']:.6f}/{case['lon']:.6f}")
    before = _painted_pixels(page)
    for box in page.locator(".step-filter").all():
        if box.get_attribute("value") != "handed_over":
            box.uncheck()
    # A filter moves the map to what it selects: back to the parcel's street to count.
    page.wait_for_function("/^[0-9]+$/.test(document.body.dataset.summary || '')")
    page.evaluate(f"GPMB.map().setView([{case['lat']}, {case['lon']}], 16, {{animate: false}})")
    page.wait_for_load_state("networkidle")
    counts = page.evaluate("""() => {
        const steps = {}; let shown = 0;
        for (const t of Object.values(GPMB.map()._layers)) {
            if (!t._vectorTiles) continue;
            for (const tile of Object.values(t._vectorTiles))
                for (const f of Object.values(tile._features)) {
                    const o = f.feature.options;
                    if (o.fillOpacity > 0.5) { shown++; steps[f.feature.properties.step] = 1; }
                }
        }
        return {shown, steps: Object.keys(steps)};
    }""")
    assert counts["steps"] == ["handed_over"] and counts["shown"] > 0
    assert "step=handed_over" in page.evaluate("location.hash")
    assert "Đang hiện" in page.inner_text("#filter-count")
    page.select_option("#filter-commune", index=1)
    page.click("#filter-reset")
    assert page.evaluate("location.hash").count("step=") == 0
    assert _painted_pixels(page) >= before * 0.9
    assert page_watch.console_errors == []


def test_search_flies_to_the_parcel(live_server: str, page: Page, page_watch: PageWatch,
                                    case: dict[str, Any]) -> None:
    _open(page, f"{live_server}{MAP}")
    page.fill("#search-q", f"{case['sheet_no']}/{case['parcel_no']}")
    page.click("#search-form button[type=submit]")
    hit = page.locator(f".search-hit[data-parcel-id='{case['parcel_id']}']")
    hit.wait_for()
    hit.click()
    page.wait_for_function(f"document.getElementById('parcel-panel').dataset.parcelId"
                           f" === '{case['parcel_id']}'", timeout=10_000)
    assert page.evaluate("GPMB.map().getZoom()") >= 16
    centre = page.evaluate("(() => { const c = GPMB.map().getCenter(); return [c.lat, c.lng]; })()")
    assert abs(centre[0] - case["lat"]) < 0.002 and abs(centre[1] - case["lon"]) < 0.002
    screenshot(page, "project_map_search")
    assert page_watch.external_requests == [] and page_watch.console_errors == []
