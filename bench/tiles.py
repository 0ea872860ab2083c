"""Benchmark: parcel vector tiles of the corridor at z14 — HTTP endpoint vs bare SQL.

    python bench/tiles.py                      # demo of 5,000 parcels in a throwaway cluster
    python bench/tiles.py --parcels 100000 --zoom 14 --zoom 16
    python bench/tiles.py --url postgresql+psycopg://…   # an existing loaded database

For every tile of the expressway's corridor at each zoom (all of them, or a sample of
``--sample``), prints p50/p95 of:

* ``sql``: the bare ``ST_AsMVT`` query through a warm prepared statement (psycopg,
  ``prepare=True``) — the limit;
* ``http cold``: ``GET /tiles/parcels/{z}/{x}/{y}.pbf`` of a real ``gpmb serve``, first
  request of each tile (rendered by PostGIS);
* ``http warm``: the same again (served from the tile cache).

Single client, loopback only, bounded in count and time.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gis import tiles
from gis.db import migrate
from gis.db.cluster import EmbeddedCluster, free_port
from gis.db.engine import make_engine, session_factory
from gis.settings import Settings
from tests.support import GPMB, fresh_database, gpmb_env

PROJECT = "CT-HNCL"


def corridor_tiles(url: str, zoom: int, sample: int) -> list[tuple[int, int, int]]:
    """Tiles at ``zoom`` that hold a case of the project (evenly sampled)."""
    eng = make_engine(url, Settings(environment="test"))
    with eng.connect() as conn:
        rows = conn.execute(text("""
            SELECT DISTINCT ST_X(pt), ST_Y(pt) FROM (
              SELECT ST_Transform(ST_PointOnSurface(c.recovered_geom), 4326) AS pt
              FROM clearance_cases c JOIN projects j ON j.id = c.project_id
              WHERE j.code = :code) s"""), {"code": PROJECT}).all()
    eng.dispose()
    found = sorted({(zoom, *tiles.tile_for_lonlat(zoom, lon, lat)) for lon, lat in rows})
    step = max(1, len(found) // sample)
    return found[::step][:sample]


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) in milliseconds."""
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def bench_sql(url: str, zxy: list[tuple[int, int, int]]) -> list[float]:
    """Bare SQL timings through a warm prepared statement."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    sql = tiles.PROJECT_PARCELS_SQL.replace(":z", "%(z)s").replace(":x", "%(x)s")
    sql = sql.replace(":y", "%(y)s").replace(":margin", "%(margin)s")
    sql = sql.replace(":project_id", "%(project_id)s").replace(":overdue", "%(overdue)s")
    out: list[float] = []
    with psycopg.connect(dsn) as conn:
        pid = conn.execute("SELECT id FROM projects WHERE code = %s", [PROJECT]).fetchone()
        assert pid is not None
        params = {"margin": tiles.BUFFER / tiles.EXTENT, "project_id": pid[0], "overdue": []}
        for z, x, y in zxy[:3] * 3:  # warm the plan and the cache
            conn.execute(sql, {**params, "z": z, "x": x, "y": y}, prepare=True).fetchone()
        for z, x, y in zxy:
            t0 = time.perf_counter()
            conn.execute(sql, {**params, "z": z, "x": x, "y": y}, prepare=True).fetchone()
            out.append(time.perf_counter() - t0)
    return out


def bench_http(base: str, zxy: list[tuple[int, int, int]]) -> tuple[list[float], list[float]]:
    """HTTP timings, first (rendered) and second (cached) request of each tile."""
    cold: list[float] = []
    warm: list[float] = []
    with httpx.Client(base_url=base, timeout=30) as client:
        client.get(f"/tiles/parcels/{zxy[0][0]}/0/0.pbf", params={"project": PROJECT})
        for runs in (cold, warm):
            for z, x, y in zxy:
                t0 = time.perf_counter()
                response = client.get(f"/tiles/parcels/{z}/{x}/{y}.pbf",
                                      params={"project": PROJECT})
                runs.append(time.perf_counter() - t0)
                response.raise_for_status()
    return cold, warm


def serve(url: str, data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A real ``gpmb serve`` on ``url``; returns the process and its base URL."""
    port = free_port(0)
    proc = subprocess.Popen([*GPMB, "serve", "--port", str(port), "--no-demo"],
                            env=gpmb_env(url, GPMB_DATA_DIR=str(data_dir)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=Path(__file__).resolve().parents[1])
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("gpmb serve did not start")


def main() -> None:
    """Run the benchmark and print a table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--parcels", type=int, default=5000)
    ap.add_argument("--zoom", type=int, action="append")
    ap.add_argument("--sample", type=int, default=60)
    ap.add_argument("--url", help="an existing database with the demo loaded")
    args = ap.parse_args()
    zooms = args.zoom or [14]
    scratch = Path(tempfile.mkdtemp(prefix="gpmb-bench-tiles-"))
    scratch.chmod(0o755)
    cluster = None
    try:
        url = args.url
        if url is None:
            from gis.demo.load import load_demo
            from gis.seed import seed_reference

            cluster = EmbeddedCluster(scratch / "db", preferred_port=free_port(0), durable=False)
            cluster.init()
            cluster.start()
            url = fresh_database(cluster, "gpmb_bench")
            eng = make_engine(url, Settings(environment="test"))
            migrate.upgrade(eng)
            with session_factory(eng).begin() as s:
                seed_reference(s)
            load_demo(eng, parcels=args.parcels, seed=20250331)
            eng.dispose()
        proc, base = serve(url, scratch / "srv")
        try:
            print(f"{'zoom':>4} {'tiles':>5} {'sql p50':>8} {'sql p95':>8} {'cold p50':>9} "
                  f"{'cold p95':>9} {'warm p50':>9} {'warm p95':>9}   (ms)")
            for zoom in zooms:
                zxy = corridor_tiles(url, zoom, args.sample)
                sql = bench_sql(url, zxy)
                cold, warm = bench_http(base, zxy)
                print(f"{zoom:>4} {len(zxy):>5} {pct(sql, 50):8.1f} {pct(sql, 95):8.1f} "
                      f"{pct(cold, 50):9.1f} {pct(cold, 95):9.1f} "
                      f"{pct(warm, 50):9.1f} {pct(warm, 95):9.1f}")
                ratio = statistics.median(cold) / statistics.median(sql)
                print(f"     median ratio, cold HTTP / bare SQL: {ratio:.2f}")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
