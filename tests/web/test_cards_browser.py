"""Dashboard cards with huge amounts in a real browser (Debian's Chromium), on a real
`gpmb serve` over a writable demo database: money is shown in compact Vietnamese units
("… tỷ đồng") with the exact figure in the card's title, and no card's text overflows it,
on a desktop and on a phone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import text

from gis.core.settings import Settings
from tests.support import running_server
from tests.web.browser import PageWatch, screenshot, signed_in_context
from tests.web.test_cases_http import PASSWORD, CasesWorld, build_world

HUGE = 987_654_321_987_654_321
"""Added to one case's approved land amount: about 987 million tỷ đồng."""


@pytest.fixture(scope="module")
def world(make_database: Callable[[str], str], test_settings: Settings
          ) -> Iterator[CasesWorld]:
    w = build_world(make_database, test_settings, "gpmb_cards_browser")
    with w.engine.begin() as conn:
        conn.execute(text("UPDATE clearance_cases SET approved_land_vnd = approved_land_vnd"
                          " + :huge WHERE id = (SELECT min(c.id) FROM clearance_cases c JOIN"
                          " projects j ON j.id = c.project_id WHERE j.code = 'CT-HNCL')"),
                     {"huge": HUGE})
    yield w
    w.engine.dispose()


@pytest.fixture
def leader_page(browser: Browser, page_watch: PageWatch, world: CasesWorld,
                scratch_dir: Path) -> Iterator[tuple[str, Page]]:
    """A real server on the world's database and a leader's page on it."""
    with running_server(world.url, scratch_dir / "srv-cards",
                        scratch_dir / "serve-cards.log") as server:
        context = signed_in_context(browser, page_watch, server, "hs.leader", PASSWORD)
        yield server, context.new_page()
        context.close()


OVERFLOWING = """() => [...document.querySelectorAll('.card, .card *')]
    .filter(e => e.scrollWidth > e.clientWidth + 0.5 && getComputedStyle(e).display !== 'inline')
    .map(e => e.className + ': ' + e.textContent.trim() + ' ' + e.scrollWidth + '>'
              + e.clientWidth)"""


@pytest.mark.parametrize("width", [1366, 390])
def test_cards_with_huge_amounts_never_overflow(leader_page: tuple[str, Page],
                                                page_watch: PageWatch, width: int) -> None:
    server, page = leader_page
    page.set_viewport_size({"width": width, "height": 900})
    for path in ("/dashboard", "/projects/CT-HNCL/dashboard"):
        page.goto(server + path)
        page.wait_for_selector(".cards .card")
        cards = page.locator(".card")
        assert cards.count() >= 6
        assert page.evaluate(OVERFLOWING) == [], path
        huge = page.locator(".card", has_text="Còn phải chi trả").first
        assert "tỷ đồng" in huge.inner_text()
        exact = huge.get_attribute("title") or ""
        assert exact.endswith(" đồng") and len(exact.replace(".", "").split()[0]) >= 18
        assert exact.split()[0] not in huge.inner_text()  # the long figure is in the title
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        screenshot(page, f"cards-huge-{width}-{path.strip('/').replace('/', '-')}")
    assert page_watch.external_requests == [] and page_watch.console_errors == []


def test_compact_units_round_half_up_in_integers() -> None:
    from web.templating import compact_vnd

    assert compact_vnd(1_234_550_000_000) == (1234.6, "tỷ")
    assert compact_vnd(1_234_549_999_999) == (1234.5, "tỷ")
    assert compact_vnd(12_340_000) == (12.3, "tr")
    assert compact_vnd(999_999_999) == (1.0, "tỷ")
    assert compact_vnd(999_949_999) == (999.9, "tr")
    assert compact_vnd(950_000) == (950_000.0, "")
    assert compact_vnd(-2_500_000_000) == (-2.5, "tỷ")
    assert compact_vnd(HUGE) == (987_654_322.0, "tỷ")
