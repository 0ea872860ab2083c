"""A real browser: Debian's Chromium driven by Playwright, offline by construction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine, text

from tests.web.browser import CHROMIUM, PageWatch, offline_context
from tests.web.map_fixtures import BANG_MAC as MAP_COMMUNE
from tests.web.map_fixtures import CASES_SQL as MAP_CASES_SQL


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield b
        b.close()


@pytest.fixture
def page_watch() -> PageWatch:
    return PageWatch()


@pytest.fixture
def page(browser: Browser, page_watch: PageWatch, live_server: str,
         viewer_cookies: dict[str, str]) -> Iterator[Page]:
    """A signed-in (leader) page whose requests may not leave the machine."""
    context = offline_context(browser, page_watch, live_server, viewer_cookies)
    yield context.new_page()
    context.close()


@pytest.fixture
def not_overlaid(demo_engine: Engine) -> Iterator[Any]:
    """A parcel imported inside the expressway's footprint after its last overlay (no case
    yet), removed afterwards."""
    with demo_engine.begin() as conn:
        row = conn.execute(text(f"""
            INSERT INTO parcels (survey_id, commune_code, sheet_commune_code, sheet_no,
                                 parcel_no, land_use_code, legal_area_m2, geom)
            SELECT p.survey_id, p.commune_code, p.sheet_commune_code, 9999, 1, 'LUC', 12.6,
                   ST_Multi(ST_Buffer(ST_PointOnSurface(c.recovered_geom), 2))
            {MAP_CASES_SQL} AND p.commune_code = '{MAP_COMMUNE}' ORDER BY c.id LIMIT 1
            RETURNING id, sheet_no, parcel_no""")).one()
    try:
        yield row
    finally:
        with demo_engine.begin() as conn:
            conn.execute(text("DELETE FROM parcels WHERE id = :i"), {"i": row.id})
