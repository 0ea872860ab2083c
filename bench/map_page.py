"""Benchmark: the project map page — HTML size and time until parcels are drawn.

    python bench/map_page.py --base /var/tmp/gpmb-1m    # the 1,000,000-parcel demo
    python bench/map_page.py --url postgresql+psycopg://…

Starts a real ``gpmb serve`` (tile cache on, and a second one with it off), signs in, and
in headless Chromium (Playwright, ``/usr/bin/chromium``; every non-loopback request
blocked and counted) opens ``/projects/CT-HNCL/map`` several times, each in a fresh
browser context (empty HTTP cache):

* the default view (the whole project: the per-commune overview at low zoom): time from
  navigation start to the first drawn feature;
* a shared link at z15 on the corridor (``#map=15/lat/lon``): time to the first drawn
  parcel (the first call of the parcel layer's style function, i.e. a parcel painted on
  the VectorGrid canvas) and to all visible tiles loaded.

Also times the page itself (GET over a keep-alive connection: the server's build time
plus the transfer on loopback). Touches the database only through ``gpmb serve`` (and
creates the bench sign-in once if it is missing).

Prints the HTML size and the medians. Targets: HTML < 300 KB, parcels within 1.5 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
from playwright.sync_api import Browser, Route, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _cluster import bench_settings, persistent_url  # noqa: E402
from tiles import PROJECT, USER, gpmb_server  # noqa: E402

from gis.db.engine import make_engine, session_factory  # noqa: E402

CHROMIUM = "/usr/bin/chromium"

# Records, in the page, when the first feature and the first parcel are drawn
# (performance.now() is measured from the navigation start).
PROBE = """
(() => {
  function tick() {
    const g = window.GPMB;
    if (g && g.stats) {
      try {
        const s = g.stats();
        if (s.features > 0 && window.__firstFeature === undefined) {
          window.__firstFeature = performance.now();
        }
        if (s.known > 0 && window.__firstParcel === undefined) {
          window.__firstParcel = performance.now();
        }
      } catch (e) { /* the grid is not attached yet */ }
    }
    if (document.body && document.body.dataset.tilesLoaded && window.__loaded === undefined) {
      window.__loaded = performance.now();
    }
    if (window.__firstParcel === undefined || window.__loaded === undefined) {
      requestAnimationFrame(tick);
    }
  }
  requestAnimationFrame(tick);
})();
"""


def ensure_user(url: str) -> None:
    """The bench's sign-in (created once; the database is otherwise only read, apart from
    what ``gpmb serve`` itself does: migrations and sessions)."""
    from gis.access.accounts import create_user
    from gis.core.domain import Role
    from gis.models import User

    eng = make_engine(url, bench_settings(ROOT))
    with session_factory(eng)() as s:
        known = s.query(User.id).filter_by(username=USER[0]).first() is not None
    if not known:
        with session_factory(eng).begin() as s:
            create_user(s, USER[0], Role.LEADER, USER[1], full_name="Đo hiệu năng")
    eng.dispose()


def page_build_ms(base: str, cookies: dict[str, str], path: str, runs: int
                  ) -> tuple[float, float, int]:
    """(first, median of the rest) ms to GET the page over one keep-alive connection —
    the server's time to build it plus the transfer of its HTML on loopback — and the
    HTML's size. The first is the first page the server builds (its caches empty)."""
    times: list[float] = []
    with httpx.Client(base_url=base, cookies=cookies, timeout=60) as client:
        client.get("/health").raise_for_status()  # the connection is open before timing
        for _run in range(runs + 1):
            started = time.perf_counter()
            page = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            page.raise_for_status()
    return times[0], statistics.median(times[1:]), len(page.content)


def corridor_point(url: str) -> tuple[float, float]:
    """A point on the corridor (a parcel of the project's median case), as (lat, lon)."""
    eng = make_engine(url, bench_settings(ROOT))
    with eng.connect() as conn:
        lat, lon = conn.execute(text("""
            SELECT ST_Y(pt), ST_X(pt) FROM (
              SELECT ST_Transform(ST_PointOnSurface(c.recovered_geom), 4326) AS pt
              FROM clearance_cases c JOIN projects j ON j.id = c.project_id
              WHERE j.code = :code ORDER BY c.id
              OFFSET (SELECT count(*) / 2 FROM clearance_cases c2 JOIN projects j2
                      ON j2.id = c2.project_id WHERE j2.code = :code) LIMIT 1) s"""),
            {"code": PROJECT}).one()
    eng.dispose()
    return float(lat), float(lon)


def measure(browser: Browser, base: str, cookies: dict[str, str], path: str,
            wait_for: str) -> tuple[float, float | None, int]:
    """One visit in a fresh context: (ms to ``wait_for``, ms to all tiles loaded,
    blocked non-loopback requests)."""
    blocked = 0

    def guard(route: Route) -> None:
        nonlocal blocked
        if urlparse(route.request.url).hostname in {"127.0.0.1", "localhost"}:
            route.continue_()
        else:
            blocked += 1
            route.abort()

    context = browser.new_context(viewport={"width": 1366, "height": 768})
    context.add_cookies([{"name": k, "value": v, "url": base} for k, v in cookies.items()])
    context.add_init_script(PROBE)
    page = context.new_page()
    page.route("**/*", guard)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(base + path, wait_until="commit")
    page.wait_for_function(f"window.{wait_for} !== undefined", timeout=60_000)
    first = float(page.evaluate(f"window.{wait_for}"))
    loaded = None
    try:
        page.wait_for_function("window.__loaded !== undefined", timeout=15_000)
        loaded = float(page.evaluate("window.__loaded"))
    except PlaywrightError:  # a view whose tiles never finish is reported without it
        loaded = None
    context.close()
    if errors:
        print("    console errors:", errors[:3])
    return first, loaded, blocked


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", type=Path, help="a persistent demo cluster (bench/_cluster.py)")
    ap.add_argument("--url", help="an existing database with the demo loaded")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    if not (args.url or args.base):
        ap.error("give --base or --url (a database with the demo loaded)")
    url = args.url or persistent_url(args.base)
    ensure_user(url)
    lat, lon = corridor_point(url)
    scratch = Path(tempfile.mkdtemp(prefix="gpmb-bench-map-"))
    scratch.chmod(0o755)
    page_path = f"/projects/{PROJECT}/map"
    shared = f"{page_path}#map=15/{lat:.5f}/{lon:.5f}"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            for label, env in (("tile cache on", {}),
                               ("tile cache off", {"GPMB_TILE_CACHE_TILES": "0"})):
                with gpmb_server(url, scratch, label.replace(" ", "-"), **env) as (
                        base, cookies, _pid):
                    first_ms, build_ms, size = page_build_ms(base, cookies, page_path,
                                                             args.runs)
                    print(f"{label}: HTML of {page_path}: {size / 1024:.0f} KB "
                          f"({size:,} bytes; target < 300 KB)")
                    print(f"  page GET (build + transfer, keep-alive): median {build_ms:.0f} ms"
                          f" ({args.runs} runs; the first after start, caches empty: "
                          f"{first_ms:.0f} ms)")
                    for name, path, what in (
                            ("default view, first feature", page_path, "__firstFeature"),
                            ("z15 shared link, first parcel", shared, "__firstParcel")):
                        firsts: list[float] = []
                        loads: list[float] = []
                        blocked = 0
                        for _run in range(args.runs):
                            first, loaded, b = measure(browser, base, cookies, path, what)
                            firsts.append(first)
                            blocked += b
                            if loaded is not None:
                                loads.append(loaded)
                        load_txt = (f"; all tiles loaded: median {statistics.median(loads):.0f}"
                                    " ms" if loads else "")
                        print(f"  {name}: median {statistics.median(firsts):.0f} ms "
                              f"(first visit {firsts[0]:.0f} ms, min {min(firsts):.0f}, max "
                              f"{max(firsts):.0f}; {args.runs} runs){load_txt}; "
                              f"non-loopback requests blocked: {blocked}")
        finally:
            browser.close()
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
