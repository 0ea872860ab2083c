"""Benchmark: parcel vector tiles — bare SQL vs our endpoint (uncached, cached) vs tipg.

    python bench/tiles.py --base /var/tmp/gpmb-1m     # the 1,000,000-parcel demo (persistent)
    python bench/tiles.py                             # 5,000-parcel demo, throwaway cluster
    python bench/tiles.py --url postgresql+psycopg://…  # any database with the demo loaded

Tiles: every z14 tile of the expressway corridor (project CT-HNCL) and samples at z10,
z12 (the per-commune overview) and z16. For each zoom, side by side in one run:

* ``sql``: the bare ``ST_AsMVT`` query of ``gis.maps.tiles`` through a warm prepared
  statement (psycopg ``prepare=True``), one connection per client — the limit;
* ``ours``: ``GET /tiles/parcels/{z}/{x}/{y}.pbf`` of a real ``gpmb serve`` with the
  tile cache off (``GPMB_TILE_CACHE_TILES=0``): every request renders;
* ``cached``: the same endpoint with the cache on, after one warming pass;
* ``tipg``: tipg 1.6.1 (``pip install -e .[bench]``) under uvicorn, on a view with the
  same rows and properties, extent 4096 and buffer 64, at
  ``/collections/bench.ct_hncl_parcels/tiles/WebMercatorQuad/{z}/{x}/{y}`` (only
  meaningful at z ≥ 13: tipg has no overview, so at z10/z12 it draws every parcel).

Prints p50/p95 at 1 client (the approaches interleaved tile by tile), tiles/s at 8
clients (threads with keep-alive ``http.client``; median of interleaved rounds), the CPU
time the server and PostgreSQL spend per tile (a figure that noise from other work on the
machine hardly moves), the ratios against the targets, and the EXPLAIN ANALYZE of a z14
tile (must use the GiST index). HTTP clients send ``Accept-Encoding: identity`` so
neither server compresses.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
import mapbox_vector_tile
import psycopg
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _cluster import (  # noqa: E402
    bench_settings,
    create_database,
    persistent_url,
    throwaway_cluster,
)

from gis.core.calendar import LOCAL_TZ  # noqa: E402
from gis.db import migrate  # noqa: E402
from gis.db.cluster import free_port  # noqa: E402
from gis.db.engine import make_engine, session_factory  # noqa: E402
from gis.maps import tiles  # noqa: E402
from tests.support import GPMB, gpmb_env  # noqa: E402

PROJECT = "CT-HNCL"
VIEW = "bench.ct_hncl_parcels"
USER = ("bench.tiles", "mat-khau-bench-tiles-2026")
NO_COMPRESSION = {"Accept-Encoding": "identity"}
Tile = tuple[int, int, int]


# ---- the database -------------------------------------------------------------------------

def corridor_tiles(url: str, zoom: int, sample: int) -> list[Tile]:
    """Tiles at ``zoom`` holding a case of the project (all, or ``sample`` evenly spread)."""
    eng = make_engine(url, bench_settings(ROOT))
    with eng.connect() as conn:
        rows = conn.execute(text("""
            SELECT ST_X(pt), ST_Y(pt) FROM (
              SELECT ST_Transform(ST_PointOnSurface(c.recovered_geom), 4326) AS pt
              FROM clearance_cases c JOIN projects j ON j.id = c.project_id
              WHERE j.code = :code) s"""), {"code": PROJECT}).all()
    eng.dispose()
    found = sorted({(zoom, *tiles.tile_for_lonlat(zoom, lon, lat)) for lon, lat in rows})
    if sample <= 0 or len(found) <= sample:
        return found
    step = len(found) / sample
    return [found[int(i * step)] for i in range(sample)]


def prepare_db(url: str) -> tuple[int, str]:
    """Migrate to head, add the bench user and tipg's view; (project id, libpq dsn)."""
    from gis.access.accounts import create_user
    from gis.core.domain import Role
    from gis.models import User

    eng = make_engine(url, bench_settings(ROOT))
    migrate.upgrade(eng)
    with session_factory(eng).begin() as s:
        if s.query(User).filter_by(username=USER[0]).first() is None:
            create_user(s, USER[0], Role.LEADER, USER[1], full_name="Đo hiệu năng")
    with eng.begin() as conn:
        pid = conn.scalar(text("SELECT id FROM projects WHERE code = :c"), {"c": PROJECT})
        # tipg serves tables and views: the same rows and properties as our project tiles.
        conn.execute(text("CREATE SCHEMA IF NOT EXISTS bench"))
        conn.execute(text(f"""
            CREATE OR REPLACE VIEW {VIEW} AS
            SELECT p.id AS parcel_id, c.id AS case_id, c.step::text AS step,
                   p.commune_code AS commune, p.sheet_no AS sheet, p.parcel_no AS parcel,
                   p.land_use_code AS land_use,
                   COALESCE(d.due_on < current_date, false) AS overdue, p.geom
            FROM parcels p JOIN clearance_cases c ON c.parcel_id = p.id
            LEFT JOIN case_next_deadlines d ON d.case_id = c.id
            WHERE c.project_id = {int(pid)}"""))
    eng.dispose()
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    return int(pid), dsn


def drop_view(dsn: str) -> None:
    """Remove tipg's view again (the shared database stays as it was)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS bench CASCADE")


def explain(dsn: str, tile: Tile, project_id: int, today: dt.date) -> str:
    """EXPLAIN ANALYZE of one tile's query; checks that the GiST index is used."""
    sql, params = tiles.tile_query(*tile, project_id=project_id, today=today)
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params).fetchall()
    plan = "\n".join(r[0] for r in rows)
    uses = "ix_parcels_geom" in plan and "Seq Scan on parcels" not in plan
    return plan + f"\n=> GiST index ix_parcels_geom used: {'yes' if uses else 'NO'}"


# ---- servers ------------------------------------------------------------------------------

def _wait(base: str, path: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(log.read_text(errors="replace")[-3000:])
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(base + path, timeout=5).status_code == 200:
                return
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"{base} did not answer {path}")


@contextlib.contextmanager
def gpmb_server(url: str, scratch: Path, name: str, **env: str
                ) -> Iterator[tuple[str, dict[str, str], int]]:
    """A real ``gpmb serve``; yields its base URL, a signed-in session's cookies, its pid."""
    port = free_port(0)
    log = scratch / f"{name}.log"
    proc = subprocess.Popen([*GPMB, "serve", "--port", str(port), "--no-demo"],
                            env=gpmb_env(url, GPMB_DATA_DIR=str(scratch / name), **env),
                            stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base, "/health", proc, log)
        res = httpx.post(base + "/api/auth/login", timeout=30,
                         json={"username": USER[0], "password": USER[1]})
        res.raise_for_status()
        yield base, dict(res.cookies), proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextlib.contextmanager
def tipg_server(dsn: str, scratch: Path) -> Iterator[tuple[str, int]]:
    """tipg 1.6.1 under uvicorn (one process, like ``gpmb serve``) on the bench schema."""
    port = free_port(0)
    log = scratch / "tipg.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GPMB_", "TIPG_"))}
    env.update({"DATABASE_URL": dsn, "TIPG_DB_SCHEMAS": '["bench"]',
                "TIPG_DB_SPATIAL_EXTENT": "false", "TIPG_DB_DATETIME_EXTENT": "false",
                "TIPG_TILE_RESOLUTION": str(tiles.EXTENT), "TIPG_TILE_BUFFER": str(tiles.BUFFER),
                "TIPG_TILE_CLIP": "true", "TIPG_SET_MVT_LAYERNAME": "true"})
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "tipg.main:app", "--port",
                             str(port), "--log-level", "warning"], env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=scratch)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base, f"/collections/{VIEW}", proc, log)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# ---- measuring ----------------------------------------------------------------------------

Fetch = Callable[[Tile], int]  # returns the tile's size in bytes
Client = Callable[[], tuple[Fetch, Callable[[], None]]]  # a new client: (fetch, close)


def sql_client(dsn: str, project_id: int, today: dt.date) -> Client:
    def new() -> tuple[Fetch, Callable[[], None]]:
        conn = psycopg.connect(dsn, autocommit=True)

        def fetch(t: Tile) -> int:
            sql, params = tiles.tile_query(*t, project_id=project_id, today=today)
            row = conn.execute(sql, params, prepare=True).fetchone()
            return len(row[0]) if row and row[0] else 0
        return fetch, conn.close
    return new


def http_client(base: str, path: str, cookies: dict[str, str] | None = None,
                params: dict[str, str] | None = None) -> Client:
    """Keep-alive HTTP/1.1 with the standard library: a light client, so the harness
    spends little of the shared CPU (httpx costs several times more per request)."""
    host, port = urlsplit(base).hostname or "127.0.0.1", urlsplit(base).port or 80
    headers = {"Accept-Encoding": "identity"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    query = ("?" + urlencode(params)) if params else ""

    def new() -> tuple[Fetch, Callable[[], None]]:
        conn = http.client.HTTPConnection(host, port, timeout=60)

        def fetch(t: Tile) -> int:
            z, x, y = t
            conn.request("GET", path.format(z=z, x=x, y=y) + query, headers=headers)
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"{response.status} {body[:200]!r}")
            return len(body)
        return fetch, conn.close
    return new


def latencies(clients: dict[str, Client], zxy: list[Tile], min_samples: int
              ) -> dict[str, tuple[list[float], int]]:
    """One client per approach, interleaved tile by tile (so load on the shared machine
    hits every approach alike), after a warming pass; seconds per tile and mean bytes."""
    open_ = {name: new() for name, new in clients.items()}
    try:
        sizes = {name: [fetch(t) for t in zxy] for name, (fetch, _c) in open_.items()}
        out: dict[str, list[float]] = {name: [] for name in open_}
        while len(out[next(iter(out))]) < min_samples:
            for t in zxy:
                for name, (fetch, _close) in open_.items():
                    t0 = time.perf_counter()
                    fetch(t)
                    out[name].append(time.perf_counter() - t0)
    finally:
        for _fetch, close in open_.values():
            close()
    return {n: (out[n], int(statistics.fmean(sizes[n])) if zxy else 0) for n in open_}


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of the given processes so far."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def backend_pids(postmaster: int) -> list[int]:
    """The server processes of one PostgreSQL cluster (children of its postmaster)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "stat").read_text().rsplit(")", 1)[1].split()[1] == str(postmaster):
                    found.append(int(entry.name))
    return found


def throughput(client: Client, zxy: list[Tile], clients: int, seconds: float,
               cpu_pids: Callable[[], list[int]]) -> tuple[float, float]:
    """Tiles per second with ``clients`` concurrent clients for ``seconds``, and the CPU
    milliseconds per tile spent by the server and the database (load-independent)."""
    counts = [0] * clients
    ready = threading.Barrier(clients + 1)
    stop = threading.Event()
    errors: list[BaseException] = []

    def run(i: int) -> None:
        fetch, close = client()
        try:
            fetch(zxy[i % len(zxy)])
            ready.wait()
            k = i * 7
            while not stop.is_set():
                fetch(zxy[k % len(zxy)])
                counts[i] += 1
                k += 1
        except BaseException as exc:  # reported below
            errors.append(exc)
            with contextlib.suppress(threading.BrokenBarrierError):
                ready.abort()
        finally:
            close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for th in threads:
        th.start()
    ready.wait()
    pids = cpu_pids()
    c0, t0 = cpu_seconds(pids), time.perf_counter()
    time.sleep(seconds)
    stop.set()
    elapsed, c1 = time.perf_counter() - t0, cpu_seconds(pids)
    for th in threads:
        th.join()
    if errors:
        raise errors[0]
    done = max(1, sum(counts))
    return done / elapsed, 1000 * (c1 - c0) / done


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) in milliseconds."""
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def same_features(ours: bytes, theirs: bytes) -> str:
    """Feature counts of our tile and tipg's, for the record."""
    a = mapbox_vector_tile.decode(ours).get("parcels", {}).get("features", []) if ours else []
    layers = mapbox_vector_tile.decode(theirs) if theirs else {}
    b = next(iter(layers.values()), {}).get("features", []) if layers else []
    return f"{len(a)} vs {len(b)}"


# ---- main ---------------------------------------------------------------------------------

def run(url: str, args: argparse.Namespace, scratch: Path) -> None:
    project_id, dsn = prepare_db(url)
    today = dt.datetime.now(LOCAL_TZ).date()
    zooms = args.zoom or [10, 12, 14, 16]
    sets = {z: corridor_tiles(url, z, 0 if z == 14 else args.sample) for z in zooms}
    sizes_line = ", ".join(f"z{z}: {len(t)}" for z, t in sets.items())
    with psycopg.connect(dsn) as conn:
        n_parcels = conn.execute("SELECT count(*) FROM parcels").fetchone()
        n_cases = conn.execute("SELECT count(*) FROM clearance_cases WHERE project_id = %s",
                               [project_id]).fetchone()
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()
        assert n_parcels is not None and n_cases is not None and backend is not None
        stat = Path(f"/proc/{backend[0]}/stat").read_text()  # while the backend lives
    postmaster = int(stat.rsplit(")", 1)[1].split()[1])
    print(f"database: {n_parcels[0]:,} parcels, {n_cases[0]:,} cases of {PROJECT}; "
          f"tiles {sizes_line}; {args.clients} clients, {args.rounds} x {args.seconds:.1f} s "
          f"rounds; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    tile_path = "/tiles/parcels/{z}/{x}/{y}.pbf"
    tipg_path = "/collections/" + VIEW + "/tiles/WebMercatorQuad/{z}/{x}/{y}"
    Row = dict[str, tuple[float, float, float, float, int]]
    results: dict[int, Row] = {}
    try:
        with gpmb_server(url, scratch, "uncached", GPMB_TILE_CACHE_TILES="0") as (b1, c1, p1), \
                gpmb_server(url, scratch, "cached") as (b2, c2, p2), \
                tipg_server(dsn, scratch) as (b3, p3):
            clients: dict[str, Client] = {
                "sql": sql_client(dsn, project_id, today),
                "ours": http_client(b1, tile_path, c1, {"project": PROJECT}),
                "cached": http_client(b2, tile_path, c2, {"project": PROJECT}),
                "tipg": http_client(b3, tipg_path),
            }
            server_pid = {"sql": None, "ours": p1, "cached": p2, "tipg": p3}
            for z, zxy in sets.items():
                chosen = {n: c for n, c in clients.items() if n != "tipg"
                          or z >= tiles.DETAIL_MIN_ZOOM or args.tipg_low}
                for client in chosen.values():  # warm every pooled connection
                    throughput(client, zxy, args.clients, 0.5, list)
                lat = latencies(chosen, zxy, args.samples)
                rates: dict[str, list[tuple[float, float]]] = {n: [] for n in chosen}
                for _round in range(args.rounds):
                    for name, client in chosen.items():
                        pid = server_pid[name]
                        rates[name].append(throughput(
                            client, zxy, args.clients, args.seconds,
                            lambda pid=pid: backend_pids(postmaster) + ([pid] if pid else [])))
                results[z] = {}
                for name in chosen:
                    times, size = lat[name]
                    tps = statistics.median(r[0] for r in rates[name])
                    cpu = statistics.median(r[1] for r in rates[name])
                    results[z][name] = (pct(times, 50), pct(times, 95), tps, cpu, size)
                    print(f"  z{z} {name:<7} p50 {pct(times, 50):7.1f} ms  p95 "
                          f"{pct(times, 95):7.1f} ms  {tps:7.0f} tiles/s  "
                          f"{cpu:6.2f} CPU ms/tile  {size:>7,} B", flush=True)
            probe = sets.get(14, next(iter(sets.values())))[0]
            with httpx.Client(headers=NO_COMPRESSION, timeout=60) as h:
                ours = h.get(b1 + tile_path.format(z=probe[0], x=probe[1], y=probe[2]),
                             params={"project": PROJECT}, cookies=c1).content
                theirs = h.get(b3 + tipg_path.format(z=probe[0], x=probe[1], y=probe[2])
                               ).content
    finally:
        drop_view(dsn)
    report(results, args, probe, same_features(ours, theirs))
    z14 = sets.get(14, next(iter(sets.values())))
    busiest = max(z14, key=lambda t: sum(1 for u in z14 if abs(u[1] - t[1]) <= 1))
    print("\nEXPLAIN ANALYZE of the z14 tile", busiest, "(project layer):")
    print(explain(dsn, busiest, project_id, today))


def report(results: dict[int, dict[str, tuple[float, float, float, float, int]]],
           args: argparse.Namespace, probe: Tile, features: str) -> None:
    """The side-by-side table and the ratios against the targets."""
    names = ["sql", "ours", "cached", "tipg"]
    print(f"\n{'':>4}   p50 / p95 ms at 1 client, tiles/s at {args.clients} clients "
          "(median of rounds), server+database CPU ms per tile")
    print(f"{'zoom':>4} | " + " | ".join(f"{n:^30}" for n in names))
    for z, row in results.items():
        cells = []
        for n in names:
            if n in row:
                p50, p95, tps, cpu, _size = row[n]
                cells.append(f"{p50:6.1f} {p95:6.1f} {tps:7.0f} {cpu:6.2f}  ")
            else:
                cells.append(f"{'—':^30}")
        print(f"{z:>4} | " + " | ".join(cells))
    print(f"\nratios (targets: ours p50 / sql p50 ≤ 1.5; ours tiles/s ÷ tipg ≥ 2 at "
          f"{args.clients} clients)")
    for z, row in results.items():
        line = (f"  z{z}: ours/sql p50 {row['ours'][0] / row['sql'][0]:.2f}, "
                f"cached/sql p50 {row['cached'][0] / row['sql'][0]:.2f}")
        if "tipg" in row:
            t = row["tipg"]
            line += (f"; tiles/s ours/tipg {row['ours'][2] / t[2]:.2f}, cached/tipg "
                     f"{row['cached'][2] / t[2]:.2f}; CPU per tile tipg/ours "
                     f"{t[3] / row['ours'][3]:.2f}, tipg/cached {t[3] / row['cached'][3]:.1f}")
        print(line)
    print(f"  features in tile {probe}, ours vs tipg: {features}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", type=Path, help="a persistent demo cluster (bench/_cluster.py)")
    ap.add_argument("--url", help="an existing database with the demo loaded")
    ap.add_argument("--parcels", type=int, default=5000, help="throwaway demo size")
    ap.add_argument("--zoom", type=int, action="append", help="zooms (default 10 12 14 16)")
    ap.add_argument("--sample", type=int, default=40, help="tiles sampled at z ≠ 14")
    ap.add_argument("--samples", type=int, default=120, help="1-client timings per zoom")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=2.0, help="per throughput run")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved throughput rounds")
    ap.add_argument("--tipg-low", action="store_true", help="also run tipg at z < 13")
    args = ap.parse_args()
    import tempfile

    scratch = Path(tempfile.mkdtemp(prefix="gpmb-bench-tiles-"))
    scratch.chmod(0o755)
    try:
        if args.url or args.base:
            run(args.url or persistent_url(args.base), args, scratch)
            return
        from gis.db.seed import seed_reference
        from gis.demo.load import load_demo

        with throwaway_cluster(durable=False) as (cluster, port, _base):
            url = create_database(cluster, port, "gpmb_bench")
            eng = make_engine(url, bench_settings(ROOT))
            migrate.upgrade(eng)
            with session_factory(eng).begin() as s:
                seed_reference(s)
            load_demo(eng, parcels=args.parcels, seed=20250331)
            eng.dispose()
            run(url, args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)  # server logs and data dirs


if __name__ == "__main__":
    main()
