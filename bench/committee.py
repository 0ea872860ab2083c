"""Benchmark: the steering committee's page and the meeting pack (22 key projects).

    python bench/committee.py                         # /var/tmp/gpmb-1m if built, else 5,000
    python bench/committee.py --parcels 20000         # a throwaway demo of that size
    python bench/committee.py --base /var/tmp/gpmb-1m # the 1,000,000-parcel demo
    python bench/committee.py --url postgresql+psycopg://…

Starts a real ``gpmb serve`` on the database, signs in (creating the bench's leader account
once) and times over one keep-alive connection: ``/committee`` and one member's page (first
after start, then the median of the warm runs) and the meeting pack downloads
(``/committee/pack.xlsx`` and ``.pdf``). Then, in-process, the parts: the board, the pack's
content (month-end actuals for the year), the Excel and the PDF writers.
Targets (issue #12): page < 300 ms warm, pack < 5 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from rich.console import Console
from sqlalchemy import text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _cluster import bench_settings, create_database, persistent_url, throwaway_cluster  # noqa: E402
from map_page import ensure_user  # noqa: E402
from tiles import gpmb_server  # noqa: E402

from gis.committee.board import committee_board  # noqa: E402
from gis.committee.pack import meeting_pack  # noqa: E402
from gis.committee.pack_excel import pack_workbook  # noqa: E402
from gis.committee.pack_pdf import pack_pdf  # noqa: E402
from gis.db import migrate  # noqa: E402
from gis.db.cluster import EmbeddedCluster  # noqa: E402
from gis.db.engine import make_engine, session_factory  # noqa: E402
from gis.db.seed import seed_reference  # noqa: E402
from gis.demo.load import load_demo  # noqa: E402

AS_OF = dt.date(2026, 11, 21)
ONE_M = Path("/var/tmp/gpmb-1m")


def _ms(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def http_timings(base: str, cookies: dict[str, str], member: int, runs: int) -> None:
    """The page (first, warm median) and the pack downloads over one connection."""
    with httpx.Client(base_url=base, cookies=cookies, timeout=120) as client:
        client.get("/health").raise_for_status()
        for label, path in (("committee page", f"/committee?as_of={AS_OF}"),
                            ("member page", f"/committee/members/{member}?as_of={AS_OF}")):
            times = []
            for _ in range(runs + 1):
                started = time.perf_counter()
                client.get(path).raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
            print(f"  {label}: warm p50 {statistics.median(times[1:]):.0f} ms, p90 "
                  f"{sorted(times[1:])[int(0.9 * (runs - 1))]:.0f} ms (first after start "
                  f"{times[0]:.0f} ms; {runs} runs; target < 300 ms)")
        for kind in ("xlsx", "pdf"):
            times, size = [], 0
            for _ in range(3):
                started = time.perf_counter()
                res = client.get(f"/committee/pack.{kind}?as_of={AS_OF}")
                res.raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
                size = len(res.content)
            print(f"  meeting pack .{kind}: median {statistics.median(times):.0f} ms of 3 "
                  f"({size / 1024:.0f} KB; target < 5 s)")


def parts(url: str, runs: int) -> None:
    """In-process medians of the board, the pack's content and the two writers."""
    eng = make_engine(url, bench_settings(ROOT))
    try:
        with Session(eng) as s:
            parcels = s.execute(text("SELECT count(*) FROM parcels")).scalar_one()
            print(f"{parcels:,} parcels in the database")
            pack = meeting_pack(s, AS_OF)
            for label, work in (("board (22 projects, tasks)",
                                 lambda: committee_board(s, AS_OF)),
                                ("pack content (month-end actuals Jan–Nov)",
                                 lambda: meeting_pack(s, AS_OF)),
                                ("Excel writer", lambda: pack_workbook(pack)),
                                ("PDF writer", lambda: pack_pdf(pack))):
                n = runs if "board" in label else 3
                _ms(work)
                times = [_ms(work) for _ in range(n)]
                print(f"  {label}: median {statistics.median(times):.0f} ms ({n} runs)")
    finally:
        eng.dispose()


def _throwaway_demo(cluster_port: tuple[EmbeddedCluster, int, Path], parcels: int) -> str:
    cluster, port, base = cluster_port
    url = create_database(cluster, port, "bench_committee")
    eng = make_engine(url, bench_settings(base))
    migrate.upgrade(eng)
    with session_factory(eng).begin() as s:
        seed_reference(s)
    started = time.perf_counter()
    load_demo(eng, parcels=parcels, console=Console(quiet=True))
    eng.dispose()
    print(f"demo of {parcels:,} parcels loaded in {time.perf_counter() - started:.0f} s")
    return url


def run(url: str, runs: int) -> None:
    """Everything, on one database."""
    ensure_user(url)
    eng = make_engine(url, bench_settings(ROOT))
    with eng.connect() as conn:
        member = int(conn.execute(text("SELECT min(id) FROM committee_members")).scalar_one())
    eng.dispose()
    parts(url, runs)
    scratch = Path(tempfile.mkdtemp(prefix="gpmb-bench-committee-"))
    scratch.chmod(0o755)
    try:
        with gpmb_server(url, scratch, "serve") as (base, cookies, _pid):
            http_timings(base, cookies, member, runs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", type=Path, help="a persistent demo cluster (bench/_cluster.py)")
    ap.add_argument("--url", help="an existing database with the demo loaded")
    ap.add_argument("--parcels", type=int, help="build a throwaway demo of this size")
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    if args.url or args.base:
        run(args.url or persistent_url(args.base), args.runs)
        return
    if args.parcels is None and (ONE_M / "READY").exists():
        print(f"using the 1,000,000-parcel demo in {ONE_M}")
        run(persistent_url(ONE_M), args.runs)
        return
    with throwaway_cluster(durable=False) as cluster:
        run(_throwaway_demo(cluster, args.parcels or 5000), args.runs)


if __name__ == "__main__":
    main()
