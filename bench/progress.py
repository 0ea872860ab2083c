"""Benchmark: progress figures and reports on the demo, in a throwaway PostGIS cluster.

    python bench/progress.py                        # 5,000 parcels, 15 warm runs, medians
    python bench/progress.py --parcels 1000000 --runs 5
    python bench/progress.py --url postgresql+psycopg://…   # an already loaded database

Times (warm, median of N): the expressway's figures today, the province's figures today,
the expressway's figures as of a past date, the whole project dashboard (figures, curve,
milestones) and the Excel and PDF reports.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gis.db import migrate
from gis.db.cluster import EmbeddedCluster, free_port
from gis.db.engine import make_engine, session_factory
from gis.demo.load import load_demo
from gis.progress import progress_figures, project_progress
from gis.progress.overview import project_by_code
from gis.reports import Period, write_excel, write_pdf
from gis.seed import seed_reference
from gis.settings import Settings

PROJECT = "CT-HNCL"
TODAY = dt.date(2026, 11, 21)
PAST = dt.date(2025, 3, 31)


def _median_ms(runs: int, work: Callable[[], object]) -> float:
    work()  # warm-up: plans cached, pages in shared buffers
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(engine: Engine, runs: int) -> dict[str, float]:
    """Median milliseconds of each timed operation."""
    with Session(engine) as s:
        project_id = project_by_code(s, PROJECT).id
        cases = progress_figures(s, TODAY, project_id=project_id).total.parcels
        print(f"{PROJECT}: {cases:,} cases")
        out = {
            "figures, one project (today)":
                _median_ms(runs, lambda: progress_figures(s, TODAY, project_id=project_id)),
            "figures, province (today)": _median_ms(runs, lambda: progress_figures(s, TODAY)),
            f"figures, one project as of {PAST}":
                _median_ms(runs, lambda: progress_figures(s, PAST, project_id=project_id)),
            f"figures, province as of {PAST}":
                _median_ms(runs, lambda: progress_figures(s, PAST)),
            "project dashboard (figures, S-curve, milestones)":
                _median_ms(runs, lambda: project_progress(s, PROJECT, TODAY)),
            "Excel report (month)": _median_ms(max(3, runs // 3), lambda: write_excel(
                s, PROJECT, PAST, io.BytesIO(), Period.MONTH)),
            "PDF summary": _median_ms(max(3, runs // 3), lambda: write_pdf(
                s, PROJECT, PAST, io.BytesIO())),
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
    parser.add_argument("--url", help="use this (loaded) database instead of a new cluster")
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
        print(f"medians of {args.runs} warm runs (reports: fewer):")
        for name, ms in results.items():
            print(f"  {name:<{width}}  {ms:8.1f} ms")
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
