"""Benchmark: large parcel imports end to end, the way staff run them — the real ``gpmb
import parcels`` command (dry run, then the import) and the upload API of a running
``gpmb serve`` (POST /api/imports = upload + dry run, then POST …/confirm).

    python bench/import_upload.py                       # 50,000 and 100,000 parcels, 3 runs
    python bench/import_upload.py --parcels 50000 --runs 1

Each run imports into a fresh copy of a template database (reference data + the
expressway project), so every confirm writes all the parcels. Issue 16 asks for ≤ 60 s for
the dry run and for the confirm, each, at 50,000–100,000 parcels. Prints every time and the
medians.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _cluster import bench_settings, throwaway_cluster  # noqa: E402
from import_parcels import _surveyor_file, _template  # noqa: E402

from gis.access.accounts import create_user  # noqa: E402
from gis.core.domain import Role  # noqa: E402
from gis.db.engine import make_engine, session_factory  # noqa: E402
from tests.support import GPMB, gpmb_env, running_server  # noqa: E402

PASSWORD = "mat-khau-bench-2026"


def _copy(cluster: object, port: int, name: str) -> str:
    admin = cluster.admin_dsn(port, "postgres")  # type: ignore[attr-defined]
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}"')
        c.execute(f'CREATE DATABASE "{name}" TEMPLATE "bench_tpl"')
    return str(cluster.url(port).rsplit("/", 1)[0] + f"/{name}")  # type: ignore[attr-defined]


def _cli(url: str, data: Path, gpkg: Path, *extra: str) -> float:
    t0 = time.perf_counter()
    done = subprocess.run([*GPMB, "import", "parcels", str(gpkg), "--survey", "bench", *extra],
                          env=gpmb_env(url, GPMB_DATA_DIR=str(data)), capture_output=True,
                          text=True, timeout=900)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(done.stdout[-2000:] + done.stderr[-2000:])
    return elapsed


def _upload(base: str, gpkg: Path) -> tuple[float, float, dict[str, int]]:
    with httpx.Client(base_url=base, timeout=900) as client:
        res = client.post("/api/auth/token", json={"username": "bench.staff",
                                                   "password": PASSWORD})
        res.raise_for_status()
        auth = {"Authorization": f"Bearer {res.json()['access_token']}"}
        t0 = time.perf_counter()
        with gpkg.open("rb") as fh:
            up = client.post("/api/imports", headers=auth,
                             files={"file": (gpkg.name, fh, "application/geopackage+sqlite3")},
                             data={"survey": "bench"})
        checked = time.perf_counter() - t0
        if up.status_code != 201:
            raise RuntimeError(f"upload answered {up.status_code}: {up.text[:2000]}")
        body = up.json()
        if not body["dry_run"]["ok"]:
            raise RuntimeError(str(body["dry_run"]["rejection"]))
        t1 = time.perf_counter()
        done = client.post(f"/api/imports/{body['id']}/confirm", headers=auth,
                           json={"check_id": body["dry_run"]["check_id"]})
        confirmed = time.perf_counter() - t1
        if done.status_code != 200:
            raise RuntimeError(f"confirm answered {done.status_code}: {done.text[:2000]}")
        return checked, confirmed, body["dry_run"]["counts"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parcels", type=int, nargs="+", default=[50_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20250331)
    parser.add_argument("--paths", nargs="+", choices=("cli", "api"), default=["cli", "api"])
    args = parser.parse_args()
    with throwaway_cluster() as (cluster, port, base):
        settings = bench_settings(base)
        _template(cluster, port, settings)
        tpl = make_engine(cluster.url(port).rsplit("/", 1)[0] + "/bench_tpl", settings)
        with session_factory(tpl).begin() as s:
            create_user(s, "bench.staff", Role.STAFF, PASSWORD, full_name="Bench")
        tpl.dispose()
        summary = []
        for n in args.parcels:
            gpkg = base / f"thua_dat_{n}.gpkg"
            _surveyor_file(n, args.seed, gpkg)
            times: dict[str, list[float]] = {k: [] for k in
                                             ("cli dry run", "cli import", "upload + dry run",
                                              "confirm")}
            counts: dict[str, int] = {}
            for run in range(args.runs):
                if "cli" in args.paths:
                    url = _copy(cluster, port, f"bench_cli_{run}")
                    times["cli dry run"].append(_cli(url, base / "cli", gpkg, "--dry-run"))
                    times["cli import"].append(_cli(url, base / "cli", gpkg))
                if "api" in args.paths:
                    url = _copy(cluster, port, f"bench_api_{run}")
                    data = base / f"srv_{n}_{run}"
                    log = base / f"serve_{n}_{run}.log"
                    try:
                        with running_server(url, data, log) as server:
                            checked, confirmed, counts = _upload(server, gpkg)
                    except RuntimeError:
                        print(log.read_text()[-3000:])
                        raise
                    times["upload + dry run"].append(checked)
                    times["confirm"].append(confirmed)
                    shutil.rmtree(data, ignore_errors=True)
                print(f"{n:,} parcels, run {run + 1}: " + ", ".join(
                    f"{k} {v[-1]:.1f} s" for k, v in times.items() if v)
                    + f" (would insert {counts.get('inserted', 0):,})", flush=True)
            medians = {k: statistics.median(v) for k, v in times.items() if v}
            summary.append((n, medians))
        for n, medians in summary:
            print(f"{n:,} parcels, medians of {args.runs}: " + ", ".join(
                f"{k} {v:.1f} s" for k, v in medians.items()))


if __name__ == "__main__":
    tempfile.tempdir = None
    main()
