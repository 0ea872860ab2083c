"""The embedded cluster: first start, restart with data intact, and the bad cases."""

from __future__ import annotations

import socket
from pathlib import Path

import psycopg
import pytest

from gis.core.errors import ClusterError
from gis.db.cluster import EmbeddedCluster, free_port


def _cluster(base: Path, name: str, port: int | None = None) -> EmbeddedCluster:
    return EmbeddedCluster(base / name, preferred_port=port or free_port(0), durable=False)


def test_restart_keeps_data_and_never_reinitialises(scratch_dir: Path) -> None:
    cluster = _cluster(scratch_dir, "restart")
    assert cluster.init() is True
    port = cluster.start()
    assert cluster.status().state == "running"
    with psycopg.connect(cluster.admin_dsn(port), autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (v text)")
        conn.execute("INSERT INTO kept VALUES ('Lạng Sơn')")
    assert cluster.stop() is True
    assert cluster.status().state == "stopped"
    assert cluster.init() is False  # existing data directory: left alone
    port = cluster.start()
    with psycopg.connect(cluster.admin_dsn(port)) as conn:
        assert conn.execute("SELECT v FROM kept").fetchone() == ("Lạng Sơn",)
    cluster.stop()


def test_taken_port_moves_to_a_free_one(scratch_dir: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        cluster = _cluster(scratch_dir, "port", port=taken)
        cluster.init()
        port = cluster.start()
        try:
            assert port != taken
        finally:
            cluster.stop()


def test_non_postgres_directory_is_refused_untouched(scratch_dir: Path) -> None:
    cluster = _cluster(scratch_dir, "garbage")
    cluster.pgdata.mkdir(parents=True)
    (cluster.pgdata / "notes.txt").write_text("not a cluster")
    with pytest.raises(ClusterError, match="not a PostgreSQL data directory"):
        cluster.init()
    with pytest.raises(ClusterError):
        cluster.start()
    assert [p.name for p in cluster.pgdata.iterdir()] == ["notes.txt"]


def test_other_major_version_is_refused(scratch_dir: Path) -> None:
    cluster = _cluster(scratch_dir, "oldversion")
    cluster.init()
    (cluster.pgdata / "PG_VERSION").write_text("11\n")
    with pytest.raises(ClusterError, match="PostgreSQL 11"):
        cluster.start()


def test_corrupt_cluster_gives_a_clear_message(scratch_dir: Path) -> None:
    cluster = _cluster(scratch_dir, "corrupt")
    cluster.init()
    control = cluster.pgdata / "global" / "pg_control"
    control.write_bytes(b"\0" * control.stat().st_size)
    with pytest.raises(ClusterError) as info:
        cluster.start()
    assert "did not start" in str(info.value) or "corrupt" in str(info.value)
    assert (cluster.pgdata / "PG_VERSION").exists()  # nothing re-initialised
