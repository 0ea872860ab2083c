"""Benchmark: progress figures and reports on the demo, in a throwaway PostGIS cluster.

    python bench/progress.py                        # 5,000 parcels, 15 warm runs, medians
    python bench/progress.py --parcels 1000000 --runs 5
    python bench/progress.py --database-url postgresql+psycopg://…   # a loaded database
    python bench/progress.py --database-url "$(cat /var/tmp/gpmb-1m/READY)"   # 1M parcels

A database given by URL is only read (nothing is written to it).

Times (warm, median of N): the expressway's figures today, the province's figures today,
the expressway's figures as of a past date, the whole project dashboard (figures, curve,
milestones), the project's capital disbursement figures, the staff case list's data (all
cases, overdue only), the parcel count of /health and the Excel and PDF reports.
Targets (issue #5): figures < 200 ms each, as-of < 1 s, Excel for the expressway < 5 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
from rich.console import Console
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gis.capital.figures import disbursement_figures
from gis.cases.queries import CaseFilter, list_choices, overdue_among, search_cases, step_counts
from gis.core.settings import Settings
from gis.db import migrate
from gis.db.cluster import EmbeddedCluster, free_port
from gis.db.engine import make_engine, session_factory
from gis.db.seed import seed_reference
from gis.db.status import parcel_count
from gis.demo.load import load_demo
from gis.progress import progress_figures, project_progress
from gis.progress.overview import project_by_code
from gis.reports import Period, write_excel, write_pdf

PROJECT = "CT-HNCL"
TODAY = dt.date(2026, 11, 21)
PAST = dt.date(2025, 3, 31)


_CLOCK = os.sysconf("SC_CLK_TCK")


def _server_cpu_s(pid: int) -> float | None:
    """CPU seconds used so far by the database backend ``pid`` (None if not on this host)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _CLOCK


@dataclass(frozen=True)
class Timing:
    """Medians of one operation: wall clock, and CPU in the server and in this process.

    On a shared machine the wall clock includes waiting for a core; the CPU columns are
    the work itself (what the wall clock is on an idle machine with warm caches)."""

    wall_ms: float
    server_cpu_ms: float | None
    client_cpu_ms: float


def _median(runs: int, work: Callable[[], object], pid: int) -> Timing:
    work()  # warm-up: plans cached, pages in shared buffers
    wall, server, client = [], [], []
    for _ in range(runs):
        s0, c0, t0 = _server_cpu_s(pid), time.process_time(), time.perf_counter()
        work()
        wall.append((time.perf_counter() - t0) * 1000)
        client.append((time.process_time() - c0) * 1000)
        s1 = _server_cpu_s(pid)
        if s0 is not None and s1 is not None:
            server.append((s1 - s0) * 1000)
    return Timing(statistics.median(wall), statistics.median(server) if server else None,
                  statistics.median(client))


def _case_list(session: Session, f: CaseFilter) -> object:
    """What the staff case list (/cases) reads for one page of 50."""
    page = search_cases(session, f, limit=50, offset=0, today=TODAY)
    return (page, step_counts(session, f, TODAY), list_choices(session, f.project_id, f.scope),
            overdue_among(session, [c.id for c in page.items], TODAY))


def measure(engine: Engine, runs: int) -> dict[str, Timing]:
    """Medians of each timed operation."""
    with Session(engine) as s:
        pid = int(s.execute(text("SELECT pg_backend_pid()")).scalar_one())
        project_id = project_by_code(s, PROJECT).id
        cases = progress_figures(s, TODAY, project_id=project_id).total.parcels
        parcels = s.execute(text("SELECT count(*) FROM parcels")).scalar_one()
        print(f"{parcels:,} parcels; {PROJECT}: {cases:,} cases")
        few = max(3, runs // 3)
        out = {
            "figures, one project (today)":
                _median(runs, lambda: progress_figures(s, TODAY, project_id=project_id), pid),
            "figures, province (today)":
                _median(runs, lambda: progress_figures(s, TODAY), pid),
            f"figures, one project as of {PAST}":
                _median(runs, lambda: progress_figures(s, PAST, project_id=project_id), pid),
            f"figures, province as of {PAST}":
                _median(runs, lambda: progress_figures(s, PAST), pid),
            f"disbursement, one project as of {PAST}":
                _median(runs, lambda: disbursement_figures(s, project_id, PAST), pid),
            "project dashboard (figures, S-curve, milestones)":
                _median(runs, lambda: project_progress(s, PROJECT, TODAY), pid),
            "case list, page 1 (rows, step counts, filters, overdue marks)":
                _median(runs, lambda: _case_list(s, CaseFilter()), pid),
            "case list, overdue only":
                _median(runs, lambda: _case_list(s, CaseFilter(overdue=True)), pid),
            "/health parcel count": _median(runs, lambda: parcel_count(s.connection()), pid),
            f"Excel report, {PROJECT} (month)": _median(few, lambda: write_excel(
                s, PROJECT, PAST, io.BytesIO(), Period.MONTH), pid),
            f"PDF summary, {PROJECT}": _median(few, lambda: write_pdf(
                s, PROJECT, PAST, io.BytesIO()), pid),
        }
    return out


def _throwaway(parcels: int, seed: int, base: Path) -> tuple[EmbeddedCluster, str]:
    cluster = EmbeddedCluster(base, preferred_port=free_port(0), durable=False)
    cluster.init()
    port = cluster.start()
    with psycopg.connect(cluster.admin_dsn(port, "postgres"), autocommit=True) as c:
        c.execute('CREATE DATABASE "bench_progress"')
    url = cluster.url(port).rsplit("/", 1)[0] + "/bench_progress"
    engine = make_engine(url, Settings(environment="test", data_dir=base))
    migrate.upgrade(engine)
    with session_factory(engine).begin() as s:
        seed_reference(s)
    started = time.perf_counter()
    result = load_demo(engine, parcels=parcels, seed=seed, console=Console(quiet=True))
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    print(f"demo loaded in {time.perf_counter() - started:.1f} s: {result.parcels:,} parcels, "
          f"{result.cases:,} cases, {result.events:,} events, {result.payments:,} payments")
    return cluster, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parcels", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=20250331)
    parser.add_argument("--database-url", "--url", dest="url",
                        help="use this (loaded) database, read only, instead of a new cluster")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="gpmb-bench-"))
    base.chmod(0o755)
    cluster: EmbeddedCluster | None = None
    try:
        url = args.url
        if url is None:
            cluster, url = _throwaway(args.parcels, args.seed, base)
        engine = make_engine(url, Settings(environment="test", data_dir=base))
        try:
            results = measure(engine, args.runs)
        finally:
            engine.dispose()
        width = max(len(k) for k in results)
        print(f"medians of {args.runs} warm runs (reports: fewer); load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"  {'':<{width}}  {'wall':>9}  {'server CPU':>10}  {'client CPU':>10}")
        for name, t in results.items():
            server = f"{t.server_cpu_ms:7.1f} ms" if t.server_cpu_ms is not None else "       —  "
            print(f"  {name:<{width}}  {t.wall_ms:6.1f} ms  {server}  {t.client_cpu_ms:7.1f} ms")
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
