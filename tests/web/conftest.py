"""A real browser: Debian's Chromium driven by Playwright, offline by construction."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

from tests.web.browser import CHROMIUM, LOOPBACK, PageWatch


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
    context = browser.new_context(locale="vi-VN", viewport={"width": 1366, "height": 850})
    context.add_cookies([{"name": k, "value": v, "url": live_server}
                         for k, v in viewer_cookies.items()])

    def guard(route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOOPBACK:
            route.continue_()
        else:
            page_watch.external_requests.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    p = context.new_page()
    p.on("console", lambda m: m.type == "error" and page_watch.console_errors.append(m.text))
    p.on("pageerror", lambda e: page_watch.console_errors.append(str(e)))
    yield p
    context.close()
