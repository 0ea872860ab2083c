"""Load test: a real ``gpmb serve`` on the demo, hit by N readers and 2 writers at once.

    python bench/load.py                       # 8, 32 and 64 readers, 60 s each
    python bench/load.py --clients 32 --seconds 20
    python bench/load.py --data-dir /var/tmp/gpmb-load   # keep the demo between runs

Loopback only, bounded (each level runs ``--seconds``; every request has a 5 s timeout).
Readers cycle through a vector tile (z14–z16 under the expressway's parcels), a page of
the case list API and the project map page, signed in with a session cookie as the
browser is. Two writers add notes through the API with bearer tokens. A prober asks
``/health`` every 0.5 s. Printed per level: requests, timeouts (> 5 s or no answer), 503
shed, other errors, p50/p99 per kind, and the slowest /health answer — the targets are
0 timeouts and /health within 1 s throughout.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gis.db.cluster import EmbeddedCluster, free_port  # noqa: E402

TIMEOUT_S = 5.0


@dataclass
class Tally:
    """What the clients saw during one level."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    timeouts: int = 0
    health: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, status: int | None) -> None:
        with self.lock:
            if status is None or seconds > TIMEOUT_S:
                self.timeouts += 1
                return
            self.statuses[status] += 1
            self.latencies[kind].append(seconds)


def _request(conn: http.client.HTTPConnection, method: str, path: str,
             headers: dict[str, str], body: bytes | None = None) -> tuple[int | None, float]:
    started = time.perf_counter()
    try:
        conn.request(method, path, body=body, headers=headers)
        res = conn.getresponse()
        res.read()
        return res.status, time.perf_counter() - started
    except (OSError, http.client.HTTPException):
        conn.close()
        return None, time.perf_counter() - started


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


@contextlib.contextmanager
def demo_server(data_dir: Path | None) -> Iterator[tuple[str, str, EmbeddedCluster]]:
    """``gpmb serve`` with the demo on an embedded cluster; yields (base, admin password,
    cluster). A kept data dir remembers the password in ``bench-admin.txt``."""
    temp = data_dir is None
    data = Path(tempfile.mkdtemp(prefix="gpmb-load-")) if data_dir is None else data_dir
    data.mkdir(parents=True, exist_ok=True)
    data.chmod(0o755)
    port = free_port(0)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GPMB_", "DATABASE_URL"))}
    env.update({"GPMB_DATA_DIR": str(data), "GPMB_DB_PORT": str(free_port(0)),
                "NO_COLOR": "1", "COLUMNS": "200"})
    log_path = data / "serve.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            if proc.poll() is not None:
                raise SystemExit(log_path.read_text())
            conn = http.client.HTTPConnection(base, timeout=2)
            status, _ = _request(conn, "GET", "/health", {})
            if status == 200:
                break
            if time.monotonic() > deadline:
                raise SystemExit("gpmb serve did not come up")
            time.sleep(0.5)
        saved = data / "bench-admin.txt"
        found = re.search(r"mật khẩu (\S+) \(chỉ hiện một lần", log_path.read_text())
        if found:
            saved.write_text(found[1])
        yield base, saved.read_text().strip(), EmbeddedCluster(data)
    finally:
        proc.send_signal(2)
        proc.wait(timeout=60)
        if temp:
            shutil.rmtree(data, ignore_errors=True)


def _sign_in(base: str, password: str) -> tuple[str, str]:
    """(session cookie header, bearer token) of the admin account."""
    conn = http.client.HTTPConnection(base, timeout=10)
    body = json.dumps({"username": "admin", "password": password}).encode()
    conn.request("POST", "/api/auth/login", body=body,
                 headers={"Content-Type": "application/json"})
    res = conn.getresponse()
    res.read()
    cookies = [c.split(";")[0] for c in res.headers.get_all("set-cookie") or []]
    conn.request("POST", "/api/auth/token", body=body,
                 headers={"Content-Type": "application/json"})
    res = conn.getresponse()
    token = json.loads(res.read())["access_token"]
    return "; ".join(cookies), token


def _targets(cluster: EmbeddedCluster) -> tuple[list[str], list[int]]:
    """Tile paths under the expressway's cases, and case ids to write notes on."""
    port = cluster.running_port()
    assert port is not None
    with psycopg.connect(cluster.admin_dsn(port)) as conn:
        rows = conn.execute(
            "SELECT c.id, ST_X(ST_Transform(ST_PointOnSurface(p.geom), 4326)),"
            " ST_Y(ST_Transform(ST_PointOnSurface(p.geom), 4326))"
            " FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id"
            " JOIN projects j ON j.id = c.project_id WHERE j.code = 'CT-HNCL'"
            " ORDER BY c.id LIMIT 400").fetchall()
    tiles = sorted({_tile_of(lon, lat, z) for _, lon, lat in rows for z in (14, 15, 16)})
    return [f"/tiles/parcels/{z}/{x}/{y}.pbf?project=CT-HNCL" for z, x, y in tiles], \
        [r[0] for r in rows[:50]]


def run_level(base: str, cookie: str, token: str, tiles: list[str], cases: list[int],
              readers: int, seconds: float) -> Tally:
    """One level: ``readers`` readers + 2 writers + the /health prober for ``seconds``."""
    tally = Tally()
    stop = threading.Event()
    page_headers = {"Cookie": cookie, "Accept-Encoding": "identity"}

    def reader(seed: int) -> None:
        rnd = random.Random(seed)
        conn = http.client.HTTPConnection(base, timeout=TIMEOUT_S)
        kinds = ["tile", "tile", "cases", "map"]
        while not stop.is_set():
            kind = rnd.choice(kinds)
            if kind == "tile":
                path = rnd.choice(tiles)
            elif kind == "cases":
                path = f"/api/cases?limit=50&offset={rnd.randrange(0, 500)}"
            else:
                path = "/projects/CT-HNCL/map"
            status, took = _request(conn, "GET", path, page_headers)
            tally.record(kind, took, status)
            if status is None:
                conn = http.client.HTTPConnection(base, timeout=TIMEOUT_S)

    def writer(seed: int) -> None:
        rnd = random.Random(seed)
        conn = http.client.HTTPConnection(base, timeout=TIMEOUT_S)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        while not stop.is_set():
            body = json.dumps({"kind": "note", "occurred_on": "2025-03-01",
                               "note": f"tải thử {rnd.random()}"}).encode()
            status, took = _request(conn, "POST", f"/api/cases/{rnd.choice(cases)}/events",
                                    headers, body)
            tally.record("write", took, status)
            if status is None:
                conn = http.client.HTTPConnection(base, timeout=TIMEOUT_S)
            time.sleep(0.05)

    def prober() -> None:
        while not stop.is_set():
            conn = http.client.HTTPConnection(base, timeout=TIMEOUT_S)
            status, took = _request(conn, "GET", "/health", {})
            with tally.lock:
                tally.health.append(took if status == 200 else math.inf)
            conn.close()
            time.sleep(0.5)

    threads = [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(readers)]
    threads += [threading.Thread(target=writer, args=(1000 + i,), daemon=True)
                for i in range(2)]
    threads.append(threading.Thread(target=prober, daemon=True))
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(timeout=TIMEOUT_S + 5)
    return tally


def _ms(values: list[float], q: float) -> str:
    if not values:
        return "—"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.0f}"


def report(readers: int, seconds: float, tally: Tally) -> None:
    """Print one level's figures."""
    total = sum(tally.statuses.values()) + tally.timeouts
    shed = tally.statuses.get(503, 0)
    errors = sum(n for s, n in tally.statuses.items() if s >= 400 and s != 503)
    print(f"\n{readers} readers + 2 writers, {seconds:.0f} s: {total} requests "
          f"({total / seconds:.0f}/s), timeouts {tally.timeouts}, 503 shed {shed}, "
          f"other errors {errors}")
    for kind in ("tile", "cases", "map", "write"):
        values = tally.latencies.get(kind, [])
        print(f"  {kind:6} n={len(values):6}  p50 {_ms(values, 0.5):>6} ms  "
              f"p99 {_ms(values, 0.99):>6} ms")
    answered = [h for h in tally.health if h != math.inf]
    failed = len(tally.health) - len(answered)
    print(f"  /health n={len(tally.health)}  median "
          f"{statistics.median(tally.health) * 1000:.0f} ms  worst answered "
          f"{max(answered, default=0) * 1000:.0f} ms  unanswered (> 5 s or not 200) {failed}")


def main() -> None:
    """Run the levels against a demo server of its own."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="*", default=[8, 32, 64])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    with demo_server(args.data_dir) as (base, password, cluster):
        cookie, token = _sign_in(base, password)
        tiles, cases = _targets(cluster)
        print(f"server http://{base}: {len(tiles)} tiles, {len(cases)} cases to write on")
        for readers in args.clients:
            report(readers, args.seconds, run_level(base, cookie, token, tiles, cases,
                                                    readers, args.seconds))


if __name__ == "__main__":
    main()
