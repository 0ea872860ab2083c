"""Benchmark: taking a 5,000-parcel commune offline, and syncing 200 queued field actions.

    python bench/field_offline.py                  # throwaway cluster, 25,000-parcel demo
    python bench/field_offline.py --url postgresql+psycopg://…   # an existing demo database

Starts a real ``gpmb serve`` and drives headless Chromium (Playwright, ``/usr/bin/chromium``,
a 10" tablet viewport; every non-loopback request is aborted and counted) through the
field view as a field user assigned to the commune with the most parcels:

* **download**: the size shown before download (the estimate), then the download itself
  through the page (package of parcel cards into IndexedDB, z13–z18 tiles into Cache
  Storage, 6 tiles at a time) — wall time until the page says it is done, the gzipped
  package size, the tiles' count and total size as stored;
* **sync**: without signal, 200 actions are queued through the page's own queue (140
  notes, 40 inventory checks, 20 photos of 1600 × 1200 px compressed on the device); back
  online, the wall time until the server has acknowledged every one; then checks that
  each arrived exactly once.

Prints the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from playwright.sync_api import Route, sync_playwright
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _cluster import bench_settings, create_database, throwaway_cluster  # noqa: E402

from gis.db import migrate  # noqa: E402
from gis.db.cluster import free_port  # noqa: E402
from gis.db.engine import make_engine, session_factory  # noqa: E402
from tests.support import GPMB, gpmb_env  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
USER = ("bench.hientruong", "mat-khau-bench-hien-truong-2026")
ACTIONS = {"note": 140, "inventory": 40, "photo": 20}

QUEUE_200 = """async ([counts, caseIds]) => {
  const canvas = document.createElement('canvas');
  canvas.width = 1600; canvas.height = 1200;
  const g = canvas.getContext('2d');
  const img = g.createImageData(1600, 1200);
  for (let i = 0; i < img.data.length; i++) img.data[i] = (i * 2654435761) >>> 24;
  g.putImageData(img, 0, 0);
  const photo = await new Promise(r => canvas.toBlob(r, 'image/jpeg', 0.72));
  const stored = await GPMB_STORE.all('parcels');
  const cards = caseIds.map(id => stored.find(p => p.card.case && p.card.case.id === id).card);
  let n = 0;
  for (const [kind, count] of Object.entries(counts)) {
    for (let i = 0; i < count; i++, n++) {
      const card = cards[n % cards.length], c = card.case;
      await GPMB_SYNC.enqueue({kind, case_id: c.id, parcel_id: card.parcel_id, label: 'bench',
        base: {version: c.version, step: card.step, paid_vnd: c.paid_vnd,
               approved_vnd: c.approved_vnd, complaint_open: c.complaint_open,
               handover_date: c.handover_date},
        note: kind === 'inventory' ? null : 'bench ' + kind + ' ' + i,
        inventory_item: kind === 'inventory' ? 'Công trình phụ ' + i : null,
        inventory_found: kind === 'inventory' ? i % 2 === 0 : null},
        kind === 'photo' ? photo : null);
    }
  }
  return {queued: GPMB_SYNC.queue().length, photoBytes: photo.size};
}"""

STORED = """async () => {
  const cache = await caches.open(GPMB_STORE.TILE_CACHE);
  let bytes = 0, tiles = 0;
  for (const key of await cache.keys()) {
    bytes += (await (await cache.match(key)).arrayBuffer()).byteLength; tiles++;
  }
  return {tiles, bytes, parcels: (await GPMB_STORE.all('parcels')).length};
}"""


def prepare(url: str, parcels: int) -> tuple[str, list[int]]:
    """Migrate, load the demo if empty, add the field user; (commune, some case ids)."""
    from gis.access.accounts import create_user
    from gis.core.domain import Role
    from gis.db.seed import seed_reference
    from gis.demo.load import load_demo

    eng = make_engine(url, bench_settings(ROOT))
    migrate.upgrade(eng)
    with eng.connect() as conn:
        empty = conn.scalar(text("SELECT count(*) FROM parcels")) == 0
    if empty:
        with session_factory(eng).begin() as s:
            seed_reference(s)
        load_demo(eng, parcels=parcels)
    with eng.connect() as conn:
        commune, count = conn.execute(text("""SELECT commune_code, count(*) FROM parcels
            GROUP BY commune_code ORDER BY count(*) DESC LIMIT 1""")).one()
        cases = [r[0] for r in conn.execute(text("""SELECT c.id FROM clearance_cases c
            JOIN parcels p ON p.id = c.parcel_id WHERE p.commune_code = :m
            ORDER BY c.id LIMIT 50"""), {"m": commune})]
    with session_factory(eng).begin() as s:
        from gis.models import User
        if s.query(User).filter_by(username=USER[0]).first() is None:
            create_user(s, USER[0], Role.FIELD, USER[1], full_name="Đo hiệu năng hiện trường",
                        communes=[commune])
    eng.dispose()
    print(f"commune {commune}: {count:,} parcels, {len(cases)} cases used for the sync")
    return commune, cases


@contextlib.contextmanager
def server(url: str, scratch: Path) -> Iterator[str]:
    """A real ``gpmb serve`` on ``url``."""
    import subprocess

    port = free_port(0)
    log = scratch / "serve.log"
    proc = subprocess.Popen([*GPMB, "serve", "--port", str(port), "--no-demo"],
                            env=gpmb_env(url, GPMB_DATA_DIR=str(scratch / "srv")),
                            stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run(url: str, parcels: int) -> None:
    """Measure and print."""
    commune, cases = prepare(url, parcels)
    scratch = Path(tempfile.mkdtemp(prefix="gpmb-bench-field-"))
    external: list[str] = []
    try:
        with server(url, scratch) as base, sync_playwright() as pw:
            login = httpx.post(base + "/api/auth/login", timeout=30,
                               json={"username": USER[0], "password": USER[1]})
            login.raise_for_status()
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=["--no-sandbox", "--disable-gpu"])
            context = browser.new_context(locale="vi-VN", viewport={"width": 800,
                                                                    "height": 1280})
            context.add_cookies([{"name": k, "value": v, "url": base}
                                 for k, v in login.cookies.items()])

            def guard(route: Route) -> None:
                if route.request.url.startswith((base, "data:", "blob:")):
                    route.continue_()
                else:
                    external.append(route.request.url)
                    route.abort()

            context.route("**/*", guard)
            page = context.new_page()
            page.goto(base + "/field")
            page.wait_for_function("() => window.GPMB_FIELD && GPMB_FIELD.map()")
            page.click("#open-areas")
            page.select_option("#area-commune", commune)
            started = time.perf_counter()
            page.click("#area-estimate")
            page.wait_for_function("() => document.getElementById('area-size').textContent.length",
                                   timeout=300_000)
            estimate_s = time.perf_counter() - started
            shown = page.inner_text("#area-size")
            est = httpx.get(base + "/field/api/areas/estimate", cookies=login.cookies,
                            params={"kind": "commune", "commune": commune}, timeout=300).json()
            started = time.perf_counter()
            page.click("#area-download")
            page.wait_for_selector("#area-list li", timeout=1_800_000)
            download_s = time.perf_counter() - started
            stored = page.evaluate(STORED)
            print(f"size shown before download ({estimate_s:.1f} s): {shown}")
            print(f"download: {download_s:.1f} s for {stored['parcels']:,} parcels "
                  f"(package {est['package_bytes'] / 1e6:.2f} MB gzipped) and "
                  f"{stored['tiles']:,} tiles ({stored['bytes'] / 1e6:.2f} MB stored; "
                  f"estimated {est['tile_bytes'] / 1e6:.2f} MB)")

            context.set_offline(True)
            queued = page.evaluate(QUEUE_200, [ACTIONS, cases])
            assert queued["queued"] == sum(ACTIONS.values()), queued
            started = time.perf_counter()
            context.set_offline(False)
            page.wait_for_function("() => GPMB_FIELD.queue().length === 0 && GPMB_SYNC.idle()",
                                   timeout=1_800_000, polling=100)
            sync_s = time.perf_counter() - started
            browser.close()
        eng = make_engine(url, bench_settings(ROOT))
        with eng.connect() as conn:
            rows = conn.execute(text("""SELECT outcome, count(*) FROM field_actions a
                JOIN users u ON u.id = a.user_id WHERE u.username = :u GROUP BY outcome"""),
                {"u": USER[0]}).all()
            dupes = conn.scalar(text("""SELECT count(*) FROM (SELECT note FROM case_events
                WHERE note LIKE 'bench %' GROUP BY case_id, note HAVING count(*) > 1) d"""))
        eng.dispose()
        print(f"sync: {sync_s:.1f} s for {queued['queued']} queued actions "
              f"({ACTIONS['note']} notes, {ACTIONS['inventory']} inventory checks, "
              f"{ACTIONS['photo']} photos of {queued['photoBytes'] / 1024:.0f} KB) = "
              f"{sync_s / queued['queued'] * 1000:.0f} ms per action; "
              f"outcomes {dict(rows)}; duplicates {dupes}")
        print(f"requests leaving the machine: {len(external)}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="an existing database (the demo is loaded if empty)")
    parser.add_argument("--parcels", type=int, default=25_000,
                        help="demo size for a throwaway cluster (largest commune ≥ 5,000)")
    args = parser.parse_args()
    if args.url:
        run(args.url, args.parcels)
        return
    with throwaway_cluster(durable=False) as (cluster, port, _base):
        run(create_database(cluster, port, "gpmb_bench_field"), args.parcels)


if __name__ == "__main__":
    main()
