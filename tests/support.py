"""Helpers shared by the tests (importable, unlike conftest)."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gis.core.settings import Settings
from gis.db import migrate
from gis.db.cluster import EmbeddedCluster, free_port
from gis.db.engine import make_engine, session_factory


def fresh_database(cluster: EmbeddedCluster, name: str) -> str:
    """Create (or recreate) an empty database in the session cluster; return its URL."""
    port = cluster.running_port()
    assert port is not None
    with psycopg.connect(cluster.admin_dsn(port, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return cluster.url(port).rsplit("/", 1)[0] + f"/{name}"


def reference_engine(url: str, settings: Settings) -> Engine:
    """An engine on the database at ``url``, migrated to head, with the reference data
    (communes, land-use codes…)."""
    from gis.db.seed import seed_reference

    eng = make_engine(url, settings)
    migrate.upgrade(eng)
    with session_factory(eng).begin() as s:
        seed_reference(s)
    return eng


def cli_database(make_database: Callable[[str], str], settings: Settings,
                 name: str) -> tuple[str, str]:
    """For tests of the real ``gpmb`` command: database ``name`` with the reference data
    (its URL), and the commune at the design's test point."""
    url = make_database(name)
    eng = reference_engine(url, settings)
    with session_factory(eng).begin() as s:
        code = commune_at_test_point(s)
    eng.dispose()
    return url, code


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back at the end: its commits only
    release savepoints, so the database is left as it was."""
    with engine.connect() as conn:
        trans = conn.begin()
        with Session(bind=conn, join_transaction_mode="create_savepoint") as s:
            yield s
        trans.rollback()


def gpmb_env(database_url: str | None = None, **extra: str) -> dict[str, str]:
    """Environment for running the real ``gpmb`` command in a subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GPMB_", "DATABASE_URL"))}
    env.update({"GPMB_ENVIRONMENT": "test", "COLUMNS": "200", "NO_COLOR": "1", **extra})
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


GPMB = [sys.executable, "-m", "api.cli"]


def run_gpmb(url: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real ``gpmb`` command on ``url``, output captured."""
    return subprocess.run([*GPMB, *args], capture_output=True, text=True, cwd=cwd,
                          env=gpmb_env(url), timeout=180)


def commune_at_test_point(session: Session) -> str:
    """The commune holding the design's test point (E 449262, N 2417472)."""
    return str(session.execute(text(
        "SELECT code FROM communes WHERE ST_Contains(boundary,"
        " ST_SetSRID(ST_MakePoint(449262.451, 2417472.355), 9215))")).scalar_one())


@contextmanager
def serving(database_url: str | None, data_dir: Path, log_path: Path, *,
            demo: bool = False, tls_ca: Path | None = None,
            command: Sequence[str] = (), cwd: Path | None = None, **extra_env: str
            ) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``gpmb serve`` for real (uvicorn, lifespan, engine) on ``database_url`` (None: the
    embedded cluster under ``data_dir``); yields its base URL and process once ``/health``
    answers, and stops it with Ctrl+C afterwards (unless a test killed it). With ``tls_ca``
    it serves HTTPS (``--tls``), checked against that CA certificate. ``command`` is the
    ``gpmb`` to run (default: this checkout's ``python -m api.cli``), from ``cwd``."""
    port = free_port(0)
    tls = ["--tls"] if tls_ca else []
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=tls_ca) if tls_ca else True
    with log_path.open("w") as log:
        proc = subprocess.Popen([*(command or GPMB), "serve", "--port", str(port),
                                 *([] if demo else ["--no-demo"]), *tls], cwd=cwd,
                                env=gpmb_env(database_url, GPMB_DATA_DIR=str(data_dir),
                                             **extra_env),
                                stdout=log, stderr=subprocess.STDOUT)
        base = f"{'https' if tls_ca else 'http'}://127.0.0.1:{port}"
        deadline = time.monotonic() + (240 if demo else 60)
        while True:
            if proc.poll() is not None:
                raise RuntimeError(log_path.read_text())
            try:
                if httpx.get(base + "/health", timeout=2, verify=verify).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("gpmb serve did not answer /health in time")
            time.sleep(0.3)
        try:
            yield base, proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                proc.wait(timeout=30)


@contextmanager
def running_server(database_url: str | None, data_dir: Path, log_path: Path, *,
                   demo: bool = False, tls_ca: Path | None = None,
                   command: Sequence[str] = (), cwd: Path | None = None,
                   **extra_env: str) -> Iterator[str]:
    """``gpmb serve`` for real; yields its base URL (see :func:`serving`)."""
    with serving(database_url, data_dir, log_path, demo=demo, tls_ca=tls_ca,
                 command=command, cwd=cwd, **extra_env) as (base, _proc):
        yield base
