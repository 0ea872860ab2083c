"""Browser-test helpers: what a page must not do, and screenshots kept as artifacts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, Page, Route

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


@dataclass
class PageWatch:
    """What a page did that it must not: leave the machine, or log errors."""

    external_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


def screenshot(page: Page, name: str) -> Path:
    """Keep a screenshot as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def offline_context(browser: Browser, watch: PageWatch, base_url: str,
                    cookies: dict[str, str], **options: Any) -> BrowserContext:
    """A browser context (Vietnamese unless ``locale`` says otherwise) signed in with
    ``cookies`` whose requests may not leave
    the machine: any non-loopback request is aborted and counted, and every page's console
    errors are recorded in ``watch``.

    The pages' Content-Security-Policy is bypassed by default: Playwright's
    ``wait_for_function`` evaluates its predicate with ``eval``, which the policy (rightly)
    forbids. ``test_csp_browser`` opens the pages with the policy enforced."""
    options.setdefault("viewport", {"width": 1366, "height": 850})
    options.setdefault("bypass_csp", True)
    options.setdefault("locale", "vi-VN")
    context = browser.new_context(**options)
    context.add_cookies([{"name": k, "value": v, "url": base_url} for k, v in cookies.items()])

    def guard(route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOOPBACK:
            route.continue_()
        else:
            watch.external_requests.append(route.request.url)
            route.abort()

    def watch_page(page: Page) -> None:
        page.on("console", lambda m: m.type == "error" and watch.console_errors.append(m.text))
        page.on("pageerror", lambda e: watch.console_errors.append(str(e)))

    context.route("**/*", guard)
    context.on("page", watch_page)
    return context


def open_tablet(browser: Browser, watch: PageWatch, base_url: str, cookies: dict[str, str],
                url: str, *, viewport: dict[str, int], gps: tuple[float, float, float],
                service_workers: str = "block") -> Page:
    """A touch context (see ``offline_context``) with the GPS at (lat, lon, accuracy m),
    on the field view at ``url``, once its map is up; close ``page.context`` after use."""
    lat, lon, accuracy = gps
    context = offline_context(
        browser, watch, base_url, cookies, viewport=viewport, has_touch=True,
        geolocation={"latitude": lat, "longitude": lon, "accuracy": accuracy},
        permissions=["geolocation"], service_workers=service_workers)
    page = context.new_page()
    page.goto(base_url + url)
    page.wait_for_function("() => window.GPMB_FIELD && GPMB_FIELD.map()")
    return page


def signed_in_context(browser: Browser, watch: PageWatch, base_url: str, username: str,
                      password: str) -> BrowserContext:
    """An offline context (see :func:`offline_context`) signed in as ``username``."""
    import httpx

    res = httpx.post(base_url + "/api/auth/login", timeout=30,
                     json={"username": username, "password": password})
    assert res.status_code == 200, res.text
    return offline_context(browser, watch, base_url, dict(res.cookies))
