"""Faults during a confirmed import, against a real ``gpmb serve``: the client gives up
(its statement is cancelled in PostgreSQL at once), the server is killed with ``kill -9``
(PostgreSQL notices the dead client and releases the survey's import lock), another import
holds the lock (refused after a bounded wait, never waiting for ever). Each time nothing
is written, and the next import goes through."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gis.access.accounts import create_user
from gis.core.domain import Role
from gis.core.errors import Conflict
from gis.core.settings import Settings
from gis.db.engine import session_factory
from gis.ingest import locks
from tests.gis.ingest.helpers import parcel_frame, write
from tests.support import commune_at_test_point, reference_engine, run_gpmb, serving

SURVEY = "Đo đạc sự cố"
PASSWORD = "mat-khau-su-co-2026"
LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('gpmb-import:' || :n))"


@pytest.fixture(scope="module")
def fault_db(make_database: Callable[[str], str], test_settings: Settings
             ) -> Iterator[tuple[str, Engine, str]]:
    url = make_database("gpmb_import_faults")
    eng = reference_engine(url, test_settings)
    with session_factory(eng).begin() as s:
        commune = commune_at_test_point(s)
        create_user(s, "su.co", Role.STAFF, PASSWORD, full_name="Cán bộ sự cố")
    yield url, eng, commune
    eng.dispose()


def _parcels(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM parcels")).scalar_one())


def _waiting_on_the_lock(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query LIKE '%pg_advisory_xact_lock%'"))
            .scalar_one())


def _until(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def _checked_upload(base: str, path: Path) -> tuple[dict[str, str], str, str]:
    token = httpx.post(f"{base}/api/auth/token", timeout=30,
                       json={"username": "su.co", "password": PASSWORD}).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    with path.open("rb") as fh:
        up = httpx.post(f"{base}/api/imports", headers=auth, timeout=60,
                        files={"file": (path.name, fh)}, data={"survey": SURVEY})
    assert up.status_code == 201, up.text
    body = up.json()
    assert body["dry_run"]["ok"], body["dry_run"]
    return auth, body["id"], body["dry_run"]["check_id"]


def _holding_the_lock(engine: Engine) -> tuple[Session, Callable[[], None]]:
    session = Session(engine)
    session.execute(text(LOCK_SQL), {"n": SURVEY})
    return session, session.rollback


def test_abandoned_confirm_is_cancelled_and_a_killed_server_releases_the_lock(
        fault_db: tuple[str, Engine, str], tmp_path: Path) -> None:
    url, engine, commune = fault_db
    path = write(parcel_frame(commune, 449000, 2417400, n=30), tmp_path / "su_co.gpkg")
    with serving(url, tmp_path / "data", tmp_path / "serve.log") as (base, proc):
        auth, upload, check = _checked_upload(base, path)
        holder, release = _holding_the_lock(engine)  # the confirm will wait on the lock
        try:
            with pytest.raises(httpx.ReadTimeout):  # the client gives up after 1 s
                httpx.post(f"{base}/api/imports/{upload}/confirm", headers=auth,
                           json={"check_id": check}, timeout=1.0)
            # the server noticed and cancelled the waiting statement in PostgreSQL
            assert _until(lambda: _waiting_on_the_lock(engine) == 0, 5)
            state = httpx.get(f"{base}/api/imports/{upload}", headers=auth, timeout=30).json()
            assert state["status"] == "checked" and _parcels(engine) == 0
            # now the server dies (kill -9) while its confirm waits on the lock
            ok = httpx.post(f"{base}/api/imports/{upload}/check", headers=auth, timeout=60,
                            json={"survey": SURVEY})
            check = ok.json()["dry_run"]["check_id"]
            with pytest.raises(httpx.ReadTimeout):
                httpx.post(f"{base}/api/imports/{upload}/confirm", headers=auth,
                           json={"check_id": check}, timeout=1.0)
            assert _waiting_on_the_lock(engine) == 1
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            assert _until(lambda: _waiting_on_the_lock(engine) == 0,
                          locks.CLIENT_CHECK_S + 5)
        finally:
            release()
            holder.close()
    assert _parcels(engine) == 0
    res = run_gpmb(url, "import", "parcels", str(path), "--survey", SURVEY)
    assert res.returncode == 0, res.stdout + res.stderr
    assert _parcels(engine) == 30


def test_a_patient_client_is_not_cancelled(fault_db: tuple[str, Engine, str],
                                          tmp_path: Path) -> None:
    """A confirm that waits (here 3 s on the lock another import holds) goes through."""
    url, engine, commune = fault_db
    path = write(parcel_frame(commune, 449000, 2419400, n=5, sheet=11), tmp_path / "cho.gpkg")
    with serving(url, tmp_path / "data", tmp_path / "serve.log") as (base, _proc):
        auth, upload, check = _checked_upload(base, path)
        holder, release = _holding_the_lock(engine)
        timer = threading.Timer(3.0, release)
        timer.start()
        try:
            t0 = time.monotonic()
            res = httpx.post(f"{base}/api/imports/{upload}/confirm", headers=auth,
                             json={"check_id": check}, timeout=60)
            assert res.status_code == 200, res.text
            assert time.monotonic() - t0 >= 2.5 and res.json()["committed"]["inserted"] == 5
        finally:
            timer.join()
            holder.close()
    assert "abandoned" not in (tmp_path / "serve.log").read_text()


def test_a_statement_of_a_killed_client_stops_in_postgresql(
        fault_db: tuple[str, Engine, str], tmp_path: Path) -> None:
    """A client killed mid-statement (here a long sleep standing for a long INSERT)."""
    url, engine, _ = fault_db
    script = tmp_path / "long.py"
    script.write_text(
        "import sys\nfrom sqlalchemy import create_engine, text\nfrom sqlalchemy.orm import "
        "Session\nfrom gis.ingest.locks import lock_survey_import\n"
        f"e = create_engine({url!r})\nwith Session(e) as s:\n"
        f"    lock_survey_import(s, {SURVEY!r})\n"
        "    s.execute(text('SELECT pg_sleep(120)'))\n")
    child = subprocess.Popen([sys.executable, str(script)], env={**os.environ,
                             "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    try:
        assert _until(lambda: _active_sleeps(engine) == 1, 30)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        assert _until(lambda: _active_sleeps(engine) == 0, locks.CLIENT_CHECK_S + 5)
    finally:
        if child.poll() is None:
            child.kill()
    with Session(engine) as s:  # the lock is free at once
        t0 = time.monotonic()
        locks.lock_survey_import(s, SURVEY)
        assert time.monotonic() - t0 < 1
        s.rollback()


def _active_sleeps(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND query LIKE 'SELECT pg_sleep(120)%' AND state = 'active'")).scalar_one())


def test_a_second_import_waits_a_bounded_time(fault_db: tuple[str, Engine, str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _, engine, _ = fault_db
    monkeypatch.setattr(locks, "LOCK_WAIT_S", 1)
    holder, release = _holding_the_lock(engine)
    try:
        with Session(engine) as s:
            t0 = time.monotonic()
            with pytest.raises(Conflict) as info:
                locks.lock_survey_import(s, SURVEY)
            assert 0.9 < time.monotonic() - t0 < 5
            assert info.value.extra["reason"] == "import_running"
            assert SURVEY in info.value.message_vi
    finally:
        release()
        holder.close()
