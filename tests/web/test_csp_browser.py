"""The pages under their real Content-Security-Policy (not bypassed, unlike the other
browser tests): nothing they need is refused, and the map still draws its tiles."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.web.browser import PageWatch, offline_context

PAGES = ["/", "/dashboard", "/projects/CT-HNCL/dashboard", "/cases", "/field?project=CT-HNCL",
         "/field/conflicts", "/docs"]


@pytest.fixture
def strict_page_watch() -> PageWatch:
    return PageWatch()


def test_pages_work_under_the_enforced_policy(browser: Browser, strict_page_watch: PageWatch,
                                              live_server: str,
                                              viewer_cookies: dict[str, str]) -> None:
    context = offline_context(browser, strict_page_watch, live_server, viewer_cookies,
                              bypass_csp=False)
    try:
        page = context.new_page()
        response = page.goto(live_server + "/projects/CT-HNCL/map")
        assert response is not None and response.status == 200
        assert "default-src 'self'" in response.headers["content-security-policy"]
        # Drawn parcels: VectorGrid paints each tile on a canvas once its MVT is decoded.
        page.locator(".leaflet-tile-container canvas").first.wait_for(timeout=20_000)
        page.wait_for_load_state("networkidle")
        for path in PAGES:
            res = page.goto(live_server + path)
            assert res is not None and res.status == 200, path
            page.wait_for_load_state("networkidle")
        page.goto(live_server + "/docs")
        page.locator(".swagger-ui .opblock").first.wait_for(timeout=20_000)
    finally:
        context.close()
    refused = [m for m in strict_page_watch.console_errors if "Content Security Policy" in m]
    assert refused == []
    assert strict_page_watch.external_requests == []
