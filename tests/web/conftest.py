"""A real browser: Debian's Chromium driven by Playwright, offline by construction."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.web.browser import CHROMIUM, PageWatch, offline_context


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
