"""The parcel dossier in a real browser (Debian's Chromium), offline: the map's parcel panel
links to it, the page renders, and printed (print media, A4) it drops the page chrome and
keeps the dossier — Chromium's own print to PDF holds the title with its diacritics."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page
from sqlalchemy import Engine, text

from tests.web.browser import PageWatch, screenshot
from tests.web.test_project_map_browser import MAP, _click_lonlat, _open


@pytest.fixture(scope="module")
def case(demo_engine: Engine) -> dict[str, Any]:
    """A paid case of the expressway with its parcel's inside point."""
    with demo_engine.connect() as conn:
        row = conn.execute(text("""
            SELECT c.id AS case_id, c.parcel_id, p.sheet_no, p.parcel_no, m.name AS commune,
                   ST_X(pt) AS lon, ST_Y(pt) AS lat
            FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
            JOIN communes m ON m.code = p.commune_code JOIN projects j ON j.id = c.project_id
            CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(p.geom), 4326) AS pt) g
            WHERE j.code = 'CT-HNCL' AND c.paid_vnd > 0
            ORDER BY p.legal_area_m2 DESC LIMIT 1""")).mappings().one()
    return dict(row)


def test_the_map_panel_links_to_a_dossier_that_prints_on_a4(
        live_server: str, page: Page, page_watch: PageWatch, case: dict[str, Any],
        tmp_path: Path) -> None:
    _open(page, f"{live_server}{MAP}#map=18/{case['lat']:.6f}/{case['lon']:.6f}")
    _click_lonlat(page, case["lat"], case["lon"])
    page.wait_for_selector("#parcel-panel:not([hidden]) #panel-dossier-link")
    href = f"/cases/{case['case_id']}/dossier"
    assert page.get_attribute("#panel-dossier-link", "href") == href
    page.click("#panel-dossier-link")
    page.wait_for_url(f"**{href}")
    title = f"HỒ SƠ THỬA ĐẤT SỐ {case['parcel_no']}, TỜ BẢN ĐỒ SỐ {case['sheet_no']}"
    assert page.inner_text("#dossier-title") == title
    assert case["commune"] in page.inner_text(".dossier-sub")
    assert page.locator(".dossier-section").count() >= 6
    assert page.locator(".dossier-table").count() >= 4
    assert page.is_visible(".topbar") and page.is_visible("#dossier-print")
    screenshot(page, "dossier")
    page.emulate_media(media="print")
    assert not page.is_visible(".topbar") and not page.is_visible(".dossier-actions")
    assert page.is_visible("#dossier-title")
    # nothing is cut off at the A4 width (210 mm less the 12 mm margins ≈ 703 px)
    page.set_viewport_size({"width": 703, "height": 1000})
    assert page.evaluate("document.documentElement.scrollWidth") <= 703
    out = tmp_path / "in.pdf"
    out.write_bytes(page.pdf(prefer_css_page_size=True))
    pdftotext = shutil.which("pdftotext") or "/usr/bin/pdftotext"
    printed = " ".join(subprocess.run([pdftotext, str(out), "-"], capture_output=True,
                                      text=True, check=True).stdout.split())
    assert title in printed and "GPMB Lạng Sơn" not in printed.split(title)[0]
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True,
                          check=True).stdout
    assert "595.276 x 841.89 pts (A4)" in info or "(A4)" in info
    assert page_watch.external_requests == [] and page_watch.console_errors == []
