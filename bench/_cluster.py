"""Shared helpers for the bench scripts: a throwaway or a persistent PostGIS cluster.

A *throwaway* cluster lives in a temporary folder and is removed at the end. A
*persistent* one (e.g. ``/var/tmp/gpmb-1m``) keeps a loaded demo between runs so the
1,000,000-parcel database is built once: ``python bench/_cluster.py build /var/tmp/gpmb-1m
--parcels 1000000`` loads it and writes the connection URL into ``<dir>/READY``;
other scripts call :func:`persistent_url` to reuse it (starting the server if stopped).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pwd
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
from rich.console import Console

from gis.core.settings import Settings
from gis.db import migrate
from gis.db.cluster import EmbeddedCluster, free_port
from gis.db.engine import make_engine, session_factory

READY = "READY"


def bench_settings(data_dir: Path) -> Settings:
    """Settings for a bench engine (test environment: no secret needed)."""
    return Settings(environment="test", data_dir=data_dir)


@contextlib.contextmanager
def throwaway_cluster(durable: bool = True) -> Iterator[tuple[EmbeddedCluster, int, Path]]:
    """A fresh cluster in a temporary folder; stopped and removed on exit."""
    base = Path(tempfile.mkdtemp(prefix="gpmb-bench-"))
    base.chmod(0o755)
    cluster = EmbeddedCluster(base, preferred_port=free_port(0), durable=durable)
    cluster.init()
    port = cluster.start()
    try:
        yield cluster, port, base
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


def create_database(cluster: EmbeddedCluster, port: int, name: str) -> str:
    """CREATE DATABASE ``name`` in the cluster; returns its SQLAlchemy URL."""
    with psycopg.connect(cluster.admin_dsn(port, "postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return cluster.url(port).rsplit("/", 1)[0] + f"/{name}"


def persistent_cluster(base: Path) -> EmbeddedCluster:
    """The cluster under ``base`` (``base/pg``), owned by the postgres user when we are root."""
    base.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        with contextlib.suppress(KeyError):
            pw = pwd.getpwnam("postgres")
            os.chown(base, pw.pw_uid, pw.pw_gid)
        base.chmod(0o755)
    return EmbeddedCluster(base, preferred_port=free_port(55432), durable=True)


def persistent_url(base: Path) -> str:
    """URL of a built persistent demo database (starts its server if it is stopped)."""
    ready = base / READY
    if not ready.exists():
        raise SystemExit(f"{ready} missing: build it with `python bench/_cluster.py build {base}`")
    cluster = persistent_cluster(base)
    port = cluster.start()
    url = cluster.url(port)
    if ready.read_text(encoding="utf-8").strip() != url:  # restarted on another port
        ready.write_text(url + "\n", encoding="utf-8")
    return url


def build(base: Path, parcels: int, seed: int, revision: str) -> str:
    """Initialise/start the cluster at ``base``, migrate, load the demo, write READY."""
    from gis.db.seed import seed_reference
    from gis.demo.load import load_demo

    cluster = persistent_cluster(base)
    cluster.init()
    port = cluster.start()
    url = cluster.url(port)
    engine = make_engine(url, bench_settings(base))
    try:
        migrate.upgrade(engine, revision)
        with session_factory(engine).begin() as session:
            seed_reference(session)
        started = time.perf_counter()
        result = load_demo(engine, parcels=parcels, seed=seed, console=Console(stderr=True))
        took = time.perf_counter() - started
        raw = psycopg.connect(cluster.admin_dsn(port), autocommit=True)
        with raw:
            raw.execute("VACUUM ANALYZE")
    finally:
        engine.dispose()
    print(f"loaded {result.parcels:,} parcels, {result.cases:,} cases in {took:.0f} s")
    (base / READY).write_text(url + "\n", encoding="utf-8")
    (base / READY).chmod(0o644)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="load the demo into a persistent cluster")
    b.add_argument("base", type=Path)
    b.add_argument("--parcels", type=int, default=1_000_000)
    b.add_argument("--seed", type=int, default=20250331)
    b.add_argument("--revision", default="head", help="migrate to this revision first")
    u = sub.add_parser("url", help="print the URL of a built persistent database")
    u.add_argument("base", type=Path)
    args = parser.parse_args()
    if args.cmd == "build":
        print(build(args.base, args.parcels, args.seed, args.revision))
    else:
        print(persistent_url(args.base))


if __name__ == "__main__":
    main()
