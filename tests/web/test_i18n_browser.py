"""The English switch in a real browser (Debian's Chromium, offline): on the project map it
keeps the view, the filters and the open parcel, and the map's legend, layers, filters,
search and parcel panel come out in English; the shared link works in both languages."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

import pytest
from playwright.sync_api import Page
from sqlalchemy import Engine, text

from tests.web.browser import PageWatch, screenshot

MAP = "/projects/CT-HNCL/map"


@pytest.fixture(scope="module")
def case(demo_engine: Engine) -> dict[str, Any]:
    """A case of the expressway with payments and history, and its parcel's inside point."""
    with demo_engine.connect() as conn:
        row = conn.execute(text("""
            SELECT c.parcel_id, c.step::text AS step, p.sheet_no, p.parcel_no,
                   p.commune_code, p.land_use_code, ST_X(pt) AS lon, ST_Y(pt) AS lat,
                   (SELECT count(*) FROM case_events e WHERE e.case_id = c.id) AS events,
                   (SELECT count(*) FROM payments y WHERE y.case_id = c.id) AS payments
            FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
            JOIN projects j ON j.id = c.project_id
            CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(p.geom), 4326) AS pt) g
            WHERE j.code = 'CT-HNCL' AND c.paid_vnd > 0
            ORDER BY p.legal_area_m2 DESC LIMIT 1""")).mappings().one()
    return dict(row)


def _hash(page: Page) -> dict[str, str]:
    return dict(parse_qsl(page.evaluate("location.hash").lstrip("#")))


def _filters(page: Page) -> dict[str, Any]:
    return page.evaluate("""() => ({
        steps: [...document.querySelectorAll('.step-filter')].filter(b => b.checked)
                 .map(b => b.value).sort(),
        commune: document.getElementById('filter-commune').value,
        landUse: document.getElementById('filter-landuse').value,
        overdue: document.getElementById('filter-overdue').checked})""")


def _ready(page: Page) -> None:
    page.wait_for_function("window.GPMB && GPMB.stats().features > 0", timeout=20_000)
    page.wait_for_function("!document.getElementById('parcel-panel').hidden"
                           " && !document.getElementById('parcel-panel').dataset.loading")


def test_switching_to_english_keeps_the_map_view_and_filters(
        live_server: str, page: Page, page_watch: PageWatch, case: dict[str, Any]) -> None:
    steps = sorted({case["step"], "handed_over"})
    view = (f"#map=17/{case['lat']:.5f}/{case['lon']:.5f}&p={case['parcel_id']}"
            f"&step={','.join(steps)}&commune={case['commune_code']}&lu={case['land_use_code']}")
    page.goto(f"{live_server}{MAP}{view}")
    _ready(page)
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert page.inner_text("#legend tr[data-step=handed_over] label") == "Đã bàn giao mặt bằng"
    filters, shown = _filters(page), _hash(page)
    assert filters == {"steps": steps, "commune": case["commune_code"],
                       "landUse": case["land_use_code"], "overdue": False}

    with page.expect_navigation():
        page.click(".lang-switch")
    _ready(page)
    # English, at the same place with the same filters and the same parcel open...
    assert page.evaluate("document.documentElement.lang") == "en"
    assert _hash(page) == shown and _filters(page) == filters
    assert "lang=" not in page.evaluate("location.search")  # the cookie keeps the choice
    assert {c["name"]: c["value"] for c in page.context.cookies()}["gpmb_lang"] == "en"
    # ...and the legend, layers, filters, panel and search speak English.
    assert page.inner_text("#legend tr[data-step=handed_over] label") == "Site handed over"
    assert page.inner_text(".legend h2").startswith("Clearance step")
    layers = page.text_content(".leaflet-control-layers") or ""
    assert "Parcels by clearance step" in layers and "Plain background (works offline)" in layers
    assert page.get_attribute(".leaflet-control-zoom-in", "title") == "Zoom in"
    assert page.inner_text("#filter-count").startswith("Showing ")
    title = f"Sheet {case['sheet_no']} · Parcel {case['parcel_no']}"
    assert page.inner_text("#panel-title") == title
    panel = page.inner_text("#panel-body")
    assert f"Case history ({case['events']})" in panel
    assert f"Payments ({case['payments']})" in panel and "Land user(s)" in panel
    # Amounts the English way (1,234,567 VND), days as they are typed: 05/03/2025.
    assert page.locator("#panel-payments td.n").first.inner_text().endswith(" VND")
    history_day = page.locator("#panel-history time").first.inner_text()
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", history_day), history_day
    page.fill("#search-q", f"{case['sheet_no']}/{case['parcel_no']}")
    page.click("#search-form button[type=submit]")
    page.wait_for_selector(".search-hit")
    assert page.inner_text(".search-hit strong").startswith(f"Sheet {case['sheet_no']} · Parcel")
    screenshot(page, "project_map_en")

    # The view shared from the English page has no language in it...
    page.click("#share-link")
    shared = page.input_value("#share-url")
    assert "lang=" not in shared and f"p={case['parcel_id']}" in shared

    # ...switching back keeps everything too, and the shared link opens in Vietnamese.
    with page.expect_navigation():
        page.click(".lang-switch")
    _ready(page)
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert _filters(page) == filters
    page.goto("about:blank")
    page.goto(shared)
    _ready(page)
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert _filters(page) == filters and _hash(page)["p"] == str(case["parcel_id"])
    assert page.inner_text("#panel-title") == f"Tờ {case['sheet_no']} · Thửa {case['parcel_no']}"

    assert page_watch.external_requests == []
    assert page_watch.console_errors == []
