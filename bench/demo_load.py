"""Benchmark: `gpmb demo load` into a fresh database of a throwaway PostGIS cluster.

    python bench/demo_load.py                   # 5,000 parcels, 3 runs, median
    python bench/demo_load.py --parcels 1000000 --runs 1

Prints wall time (generation + COPY + overlay + history, all in one transaction), peak
RSS of this process, and database size.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

from _cluster import bench_settings, create_database, throwaway_cluster
from rich.console import Console
from sqlalchemy import text

from gis.db import migrate
from gis.db.engine import make_engine, session_factory
from gis.db.seed import seed_reference
from gis.demo.load import load_demo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parcels", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20250331)
    args = parser.parse_args()

    quiet = Console(quiet=True)
    times: list[float] = []
    with throwaway_cluster(durable=True) as (cluster, port, base):
        settings = bench_settings(base)
        for run in range(args.runs):
            url = create_database(cluster, port, f"bench_{run}")
            engine = make_engine(url, settings)
            migrate.upgrade(engine)
            with session_factory(engine).begin() as s:
                seed_reference(s)
            started = time.perf_counter()
            result = load_demo(engine, parcels=args.parcels, seed=args.seed, console=quiet)
            times.append(time.perf_counter() - started)
            with engine.connect() as conn:
                size = conn.execute(text(
                    "SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar_one()
            engine.dispose()
            print(f"run {run + 1}: {times[-1]:.1f} s — {result.parcels:,} parcels, "
                  f"{result.cases:,} cases, {result.events:,} events, "
                  f"{result.payments:,} payments; database {size}")
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"demo load, {args.parcels:,} parcels: median {statistics.median(times):.1f} s "
              f"over {len(times)} run(s); peak RSS {peak_mib:,.0f} MiB")


if __name__ == "__main__":
    main()
