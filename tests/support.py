"""Helpers shared by the tests (importable, unlike conftest)."""

from __future__ import annotations

import os
import sys

import psycopg

from gis.db.cluster import EmbeddedCluster


def fresh_database(cluster: EmbeddedCluster, name: str) -> str:
    """Create (or recreate) an empty database in the session cluster; return its URL."""
    port = cluster.running_port()
    assert port is not None
    with psycopg.connect(cluster.admin_dsn(port, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return cluster.url(port).rsplit("/", 1)[0] + f"/{name}"


def gpmb_env(database_url: str | None = None, **extra: str) -> dict[str, str]:
    """Environment for running the real ``gpmb`` command in a subprocess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GPMB_", "DATABASE_URL"))}
    env.update({"GPMB_ENVIRONMENT": "test", "COLUMNS": "200", "NO_COLOR": "1", **extra})
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


GPMB = [sys.executable, "-m", "api.cli"]
