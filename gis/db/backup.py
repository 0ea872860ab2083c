"""Backup and restore with pg_dump / pg_restore, never leaving a half-restored database."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import psycopg
from sqlalchemy import create_engine
from sqlalchemy.engine import URL, make_url

from gis.core.errors import GpmbError, InvalidInput
from gis.db.cluster import find_pg_bin
from gis.db.postgis import register_storage_crs


class BackupError(GpmbError):
    """pg_dump or pg_restore failed."""

    code = "backup_failed"
    message_vi = "Sao lưu/khôi phục cơ sở dữ liệu không thành công."


def _libpq(url: str) -> tuple[dict[str, str], str]:
    """(environment with PGPASSWORD, dbname) for the client tools."""
    u = make_url(url)
    env = dict(os.environ)
    env.update({"PGHOST": u.host or "127.0.0.1", "PGPORT": str(u.port or 5432),
                "PGUSER": u.username or "", "PGCONNECT_TIMEOUT": "10"})
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    return env, u.database or "gpmb"


def _run(args: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run(args, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {proc.stderr.strip()[-2000:]}")
    return proc.stdout


def _run_sql(url: URL, sql: str | None) -> None:
    """Run ``sql`` on ``url``, then (re-)register EPSG:9215 there."""
    eng = create_engine(url)
    try:
        with eng.begin() as conn:
            if sql:
                conn.exec_driver_sql(sql)
            else:
                register_storage_crs(conn)
    finally:
        eng.dispose()


def backup(url: str, target: Path) -> Path:
    """Write a custom-format dump of the database to ``target`` (file or directory)."""
    if target.is_dir() or not target.suffix:
        target.mkdir(parents=True, exist_ok=True)
        target = target / f"gpmb-{dt.datetime.now():%Y%m%d-%H%M%S}.dump"
    target.parent.mkdir(parents=True, exist_ok=True)
    env, dbname = _libpq(url)
    tmp = target.with_suffix(target.suffix + ".part")
    _run([str(find_pg_bin() / "pg_dump"), "-Fc", "-Z", "6", "-f", str(tmp), dbname], env)
    tmp.replace(target)  # a backup file exists only once it is complete
    return target


def restore(url: str, source: Path) -> None:
    """Replace the database with a dump: restored into a fresh database, then swapped in."""
    if not source.is_file():
        raise InvalidInput(f"backup file not found: {source}",
                           message_vi=f"Không tìm thấy tệp sao lưu: {source}")
    bin_dir = find_pg_bin()
    env, dbname = _libpq(url)
    listing = _run([str(bin_dir / "pg_restore"), "-l", str(source)], env)
    # Extensions are created (with EPSG:9215 registered) before the data comes in.
    keep = [ln for ln in listing.splitlines() if " EXTENSION " not in ln]
    staging = f"{dbname}_restore"
    admin = make_url(url).set(database="postgres", drivername="postgresql")
    admin_dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{staging}"')
        conn.execute(f'CREATE DATABASE "{staging}"')
    staging_url = make_url(url).set(database=staging)
    _run_sql(staging_url, "CREATE EXTENSION postgis; CREATE EXTENSION pg_trgm")
    list_file = source.with_suffix(".restore-list")
    list_file.write_text("\n".join(keep) + "\n", encoding="utf-8")
    try:
        _run([str(bin_dir / "pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction",
              "-L", str(list_file), "-d", staging, str(source)], env)
    except BackupError:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{staging}"')
        raise
    finally:
        list_file.unlink(missing_ok=True)
    # The dump carries spatial_ref_sys's EPSG:9215 row when PostGIS dumped it; make sure.
    _run_sql(staging_url, None)
    old = f"{dbname}_before_restore_{dt.datetime.now():%Y%m%d%H%M%S}"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = %s AND pid <> pg_backend_pid()", (dbname,))
        conn.execute(f'ALTER DATABASE "{dbname}" RENAME TO "{old}"')
        conn.execute(f'ALTER DATABASE "{staging}" RENAME TO "{dbname}"')
        conn.execute(f'DROP DATABASE "{old}"')
