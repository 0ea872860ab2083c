"""Benchmark: OGC API – Features items pages of 1,000 parcels — ours vs tipg 1.6.1.

    python bench/features.py --base /var/tmp/gpmb-1m    # the 1,000,000-parcel demo
    python bench/features.py                            # 5,000-parcel demo, throwaway cluster
    python bench/features.py --url postgresql+psycopg://…

Both servers answer the same question, side by side in one run: a page of 1,000
parcels, in CRS84, from a given parcel id on (keyset):

* ``ours``: ``GET /ogc/collections/parcels/items?limit=1000&after={id}`` of a real
  ``gpmb serve`` (bearer token): features built as GeoJSON text by PostgreSQL, streamed;
* ``tipg``: tipg 1.6.1 (``pip install -e .[bench]``) under uvicorn, on a view with the
  same columns, ``/collections/bench.parcels/items?limit=1000&filter=id > {id}&sortby=id``
  (CQL2 text; the same keyset page, so neither pays for OFFSET).

Prints p50/p95 per page at 1 client (interleaved page by page), pages/s at 8 clients
(threads with keep-alive ``http.client``), the server + PostgreSQL CPU per page, and the
ratio against the target (≥ 2× tipg's throughput). ``Accept-Encoding: identity``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import tiles as tile_bench  # noqa: E402  (bench/tiles.py: servers and measuring)
from _cluster import create_database, persistent_url, throwaway_cluster  # noqa: E402

VIEW = "bench.parcels"
PAGE = 1000
Fetch = Callable[[int], int]
Client = Callable[[], tuple[Fetch, Callable[[], None]]]


def prepare_db(url: str) -> str:
    """tipg's view (the columns of our ``parcels`` collection) and the bench user; the
    libpq DSN."""
    tile_bench.prepare_db(url)  # migrates, adds the bench user, creates schema bench
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"""
            CREATE OR REPLACE VIEW {VIEW} AS
            SELECT p.id, p.survey_id, p.commune_code, p.sheet_commune_code, p.sheet_no,
                   p.parcel_no, p.land_use_code, p.legal_area_m2::float8 AS legal_area_m2,
                   p.address, p.updated_at, p.version, p.geom
            FROM parcels p""")
    return dsn


def start_ids(dsn: str, count: int) -> list[int]:
    """Page starts spread over the table (each has ≥ 1,000 parcels after it)."""
    with psycopg.connect(dsn) as conn:
        lo, hi = conn.execute("SELECT min(id), max(id) FROM parcels").fetchone() or (0, 0)
    rng = random.Random(20250331)
    return sorted(rng.randrange(int(lo), max(int(lo) + 1, int(hi) - 2 * PAGE))
                  for _ in range(count))


def http_pages(base: str, path: str, headers: dict[str, str]) -> Client:
    """Keep-alive HTTP/1.1 fetching ``path.format(id=…)``; checks 1,000 features came."""
    host, port = urlsplit(base).hostname or "127.0.0.1", urlsplit(base).port or 80

    def new() -> tuple[Fetch, Callable[[], None]]:
        conn = http.client.HTTPConnection(host, port, timeout=120)

        def fetch(start: int) -> int:
            conn.request("GET", path.format(id=start),
                         headers={"Accept-Encoding": "identity", **headers})
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"{response.status} {body[:300]!r}")
            return len(body)
        return fetch, conn.close
    return new


def check_same_page(ours: Client, theirs: Client, start: int, base_ours: str,
                    base_tipg: str, headers: dict[str, str]) -> str:
    """Both answer the same 1,000 parcel ids."""
    a = httpx.get(f"{base_ours}/ogc/collections/parcels/items?limit={PAGE}&after={start}",
                  headers=headers, timeout=120).json()
    b = httpx.get(f"{base_tipg}/collections/{VIEW}/items", timeout=120,
                  params={"limit": PAGE, "filter": f"id > {start}", "filter-lang": "cql2-text",
                          "sortby": "id"}).json()
    ids_a = [f["id"] for f in a["features"]]
    ids_b = [int(f["id"]) for f in b["features"]]
    return "same 1,000 ids" if ids_a == ids_b else f"DIFFERENT ({ids_a[:3]} vs {ids_b[:3]})"


def latencies(clients: dict[str, Client], starts: list[int]) -> dict[str, list[float]]:
    """Seconds per page, the approaches interleaved page by page."""
    opened = {name: make() for name, make in clients.items()}
    out: dict[str, list[float]] = {name: [] for name in clients}
    try:
        for start in starts:
            for name, (fetch, _close) in opened.items():
                t0 = time.perf_counter()
                fetch(start)
                out[name].append(time.perf_counter() - t0)
    finally:
        for _fetch, close in opened.values():
            close()
    return out


@contextlib.contextmanager
def servers(url: str, dsn: str, scratch: Path) -> Iterator[tuple[str, str, dict[str, str],
                                                                  list[int]]]:
    """Ours and tipg's, with the bearer header and the server pids."""
    with tile_bench.gpmb_server(url, scratch, "gpmb") as (base, _cookies, pid), \
            tile_bench.tipg_server(dsn, scratch) as (tipg_base, tipg_pid):
        res = httpx.post(base + "/api/auth/token", timeout=30,
                         json={"username": tile_bench.USER[0], "password": tile_bench.USER[1]})
        res.raise_for_status()
        yield base, tipg_base, {"Authorization": "Bearer " + res.json()["access_token"]}, \
            [pid, tipg_pid]


def run(url: str, args: argparse.Namespace, scratch: Path) -> dict[str, object]:
    """Measure both; return the figures."""
    dsn = prepare_db(url)
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT pg_backend_pid(), (SELECT count(*) FROM parcels)").fetchone()
        assert row is not None
        stat = Path(f"/proc/{row[0]}/stat").read_text()  # while the backend lives
    postmaster = int(stat.rsplit(")", 1)[1].split()[1])
    print(f"database: {row[1]:,} parcels; {args.clients} clients, {args.seconds:.0f} s per "
          f"throughput run; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
          file=sys.stderr)
    starts = start_ids(dsn, args.pages)
    try:
        with servers(url, dsn, scratch) as (base, tipg_base, auth, pids):
            filt = quote("id > {id}").replace("%7Bid%7D", "{id}")
            clients: dict[str, Client] = {
                "ours": http_pages(base, f"/ogc/collections/parcels/items?limit={PAGE}"
                                   "&after={id}", auth),
                "tipg": http_pages(tipg_base, f"/collections/{VIEW}/items?limit={PAGE}"
                                   f"&filter={filt}&filter-lang=cql2-text&sortby=id", {}),
            }
            same = check_same_page(clients["ours"], clients["tipg"], starts[0], base,
                                   tipg_base, auth)
            for client in clients.values():  # warm both (plans, caches)
                fetch, close = client()
                for s in starts[:3]:
                    fetch(s)
                close()
            lat = latencies(clients, starts)
            figures: dict[str, object] = {"pages": len(starts), "check": same}
            for name, client in clients.items():
                own = pids[0] if name == "ours" else pids[1]
                rate, cpu_ms = tile_bench.throughput(
                    lambda c=client: _as_tile_client(c), [(s, 0, 0) for s in starts],
                    args.clients, args.seconds,
                    lambda own=own: [own, *tile_bench.backend_pids(postmaster)])
                figures[name] = {"p50_ms": round(tile_bench.pct(lat[name], 50), 1),
                                 "p95_ms": round(tile_bench.pct(lat[name], 95), 1),
                                 "pages_per_s": round(rate, 2), "cpu_ms_per_page": round(cpu_ms),
                                 "bytes": clients[name]()[0](starts[0])}
    finally:
        tile_bench.drop_view(dsn)
    ours, tipg = figures["ours"], figures["tipg"]
    assert isinstance(ours, dict) and isinstance(tipg, dict)
    figures["throughput_ratio"] = round(ours["pages_per_s"] / tipg["pages_per_s"], 2)
    figures["p50_ratio"] = round(tipg["p50_ms"] / ours["p50_ms"], 2)
    return figures


def _as_tile_client(client: Client) -> tuple[Callable[[tuple[int, int, int]], int],
                                            Callable[[], None]]:
    fetch, close = client()
    return (lambda t: fetch(t[0])), close


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, help="persistent demo (bench/_cluster.py build)")
    parser.add_argument("--url", help="a database with the demo loaded")
    parser.add_argument("--parcels", type=int, default=5000, help="throwaway demo size")
    parser.add_argument("--pages", type=int, default=40, help="pages timed at 1 client")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0, help="per throughput run")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="gpmb-bench-features-"))
    scratch.chmod(0o755)
    if args.base or args.url:
        figures = run(args.url or persistent_url(args.base), args, scratch)
    else:
        from gis.db.seed import seed_reference
        from gis.demo.load import load_demo

        with throwaway_cluster(durable=False) as (cluster, port, _base):
            url = create_database(cluster, port, "bench")
            eng = tile_bench.make_engine(url, tile_bench.bench_settings(ROOT))
            tile_bench.migrate.upgrade(eng)
            with tile_bench.session_factory(eng).begin() as s:
                seed_reference(s)
            load_demo(eng, parcels=args.parcels, seed=20250331)
            eng.dispose()
            figures = run(url, args, scratch)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    ours, tipg = figures["ours"], figures["tipg"]
    assert isinstance(ours, dict) and isinstance(tipg, dict)
    print(f"page of {PAGE}: p50 ours {ours['p50_ms']} ms, tipg {tipg['p50_ms']} ms; "
          f"{args.clients} clients: ours {ours['pages_per_s']} pages/s, tipg "
          f"{tipg['pages_per_s']} pages/s = {figures['throughput_ratio']}× (target ≥ 2×); "
          f"{figures['check']}")


if __name__ == "__main__":
    main()
