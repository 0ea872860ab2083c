"""Faults from outside, against a real ``gpmb serve`` on its own embedded cluster: the
database stopped and started again (cleanly with ``gpmb db stop``/``start``, and killed
with an immediate shutdown) under a write load. No accepted write may be lost or applied
twice, the cluster must come back on the same port, and the running app must recover
by itself."""

from __future__ import annotations

import re
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest

from gis.db.cluster import EmbeddedCluster, free_port
from tests.support import GPMB, gpmb_env, running_server


@dataclass
class Server:
    base: str
    token: str
    data_dir: Path
    env: dict[str, str]
    cluster: EmbeddedCluster

    def gpmb(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*GPMB, *args], env=self.env, capture_output=True, text=True,
                              timeout=120)


@pytest.fixture(scope="module")
def server(scratch_dir: Path) -> Iterator[Server]:
    data_dir = scratch_dir / "faults"
    port = str(free_port(0))
    extra = {"GPMB_DATA_DIR": str(data_dir), "GPMB_DB_PORT": port,
             "GPMB_DEMO_PARCELS": "300"}
    log = scratch_dir / "faults-serve.log"
    with running_server(None, data_dir, log, demo=True, GPMB_DB_PORT=port,
                        GPMB_DEMO_PARCELS="300") as base:
        found = re.search(r"mật khẩu (\S+) \(chỉ hiện một lần", log.read_text())
        assert found, log.read_text()
        res = httpx.post(base + "/api/auth/token",
                         json={"username": "admin", "password": found[1]})
        assert res.status_code == 201, res.text
        yield Server(base, res.json()["access_token"], data_dir,
                     gpmb_env(None, **extra), EmbeddedCluster(data_dir))


@dataclass
class Writers:
    """Threads adding notes through the API, each retried with its Idempotency-Key until
    the server accepts it: what was accepted must be in the database exactly once."""

    server: Server
    case_id: int
    stop: threading.Event = field(default_factory=threading.Event)
    accepted: dict[str, int] = field(default_factory=dict)
    refused: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.server.token}"}
        with httpx.Client(base_url=self.server.base, timeout=10) as http:
            while not self.stop.is_set():
                key = uuid.uuid4().hex
                while True:
                    try:
                        res = http.post(f"/api/cases/{self.case_id}/events",
                                        headers={**headers, "Idempotency-Key": key},
                                        json={"kind": "note", "occurred_on": "2025-03-01",
                                              "note": f"fault {key}"})
                    except httpx.HTTPError:
                        res = None
                    if res is not None and res.status_code in (200, 201):
                        with self.lock:
                            self.accepted[key] = res.json()["event_id"]
                        break
                    if res is not None:
                        with self.lock:
                            self.refused[res.status_code] = self.refused.get(
                                res.status_code, 0) + 1
                    if self.stop.is_set() and res is not None and res.status_code != 503:
                        break
                    time.sleep(0.1)


def _first_case(server: Server) -> int:
    res = httpx.get(server.base + "/api/cases?limit=1",
                    headers={"Authorization": f"Bearer {server.token}"})
    assert res.status_code == 200, res.text
    return int(res.json()["items"][0]["id"])


def _wait_healthy(server: Server, within_s: float = 30) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within_s:
        try:
            if httpx.get(server.base + "/health", timeout=2).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the app did not recover")


@pytest.mark.parametrize("how", ["gpmb db stop", "immediate"])
def test_database_restart_under_writes_loses_nothing(server: Server, how: str) -> None:
    port_before = server.cluster.running_port()
    assert port_before is not None
    writers = Writers(server, _first_case(server))
    threads = [threading.Thread(target=writers.run) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(2)
    if how == "immediate":
        proc = server.cluster._run(["pg_ctl", "stop", "-D", str(server.cluster.pgdata),
                                    "-m", "immediate", "-w"])
        assert proc.returncode == 0
    else:
        assert server.gpmb("db", "stop").returncode == 0
    time.sleep(2)  # writes answered 503 while it is down
    down = httpx.get(server.base + "/health", timeout=5)
    assert down.status_code == 503
    started = server.gpmb("db", "start")
    assert started.returncode == 0, started.stderr
    assert server.cluster.running_port() == port_before  # the same port, recorded
    _wait_healthy(server)
    time.sleep(2)  # writes go through again, with no restart of the app
    writers.stop.set()
    for t in threads:
        t.join(timeout=60)
    assert writers.accepted, writers.refused
    with psycopg.connect(server.cluster.admin_dsn(port_before)) as conn:
        rows = conn.execute(
            "SELECT id, note FROM case_events WHERE case_id = %s AND note LIKE 'fault %%'",
            (writers.case_id,)).fetchall()
    stored: dict[str, list[int]] = {}
    for event_id, note in rows:
        stored.setdefault(note.removeprefix("fault "), []).append(event_id)
    for key, event_id in writers.accepted.items():
        assert stored.get(key) == [event_id], key  # there, and exactly once
    assert set(writers.refused) <= {503}


def test_cluster_keeps_its_port_with_connections_lingering(scratch_dir: Path) -> None:
    """Connections closed by the server's shutdown leave the port in TIME_WAIT; the
    restart must still take the recorded port rather than wander to another one."""
    cluster = EmbeddedCluster(scratch_dir / "port-kept", preferred_port=free_port(0),
                              durable=False)
    cluster.init()
    port = cluster.start()
    assert cluster.recorded_port() == port
    conns = [psycopg.connect(cluster.admin_dsn(port)) for _ in range(5)]
    for conn in conns:
        conn.execute("SELECT 1")
    cluster.stop()
    for conn in conns:
        conn.close()
    try:
        assert cluster.start() == port
        assert cluster.current_port() == port
    finally:
        cluster.stop()
