"""Session fixtures: a throwaway PostgreSQL + PostGIS cluster, migrated databases, the demo.

Nothing here mocks the database: every data test runs on the real server. If PostgreSQL
or PostGIS is missing the fixtures fail (they never skip).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gis.core.settings import Settings
from gis.db.cluster import EmbeddedCluster, free_port
from gis.db.engine import make_engine, session_factory
from tests.support import fresh_database, reference_engine, rolled_back, running_server

DEMO_PARCELS = 1500
DEMO_SEED = 20250331


@pytest.fixture(scope="session")
def scratch_dir() -> Iterator[Path]:
    """A world-traversable temp dir (the server runs as 'postgres' when tests run as root)."""
    base = Path(tempfile.mkdtemp(prefix="gpmb-test-"))
    base.chmod(0o755)
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster(scratch_dir: Path) -> Iterator[EmbeddedCluster]:
    """The session's cluster, fsync off (throwaway)."""
    cluster = EmbeddedCluster(scratch_dir / "session", preferred_port=free_port(0),
                              durable=False)
    cluster.init()
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def make_database(pg_cluster: EmbeddedCluster) -> Callable[[str], str]:
    """Factory: a new empty database in the session cluster, by name; returns its URL."""
    return lambda name: fresh_database(pg_cluster, name)


@pytest.fixture(scope="session")
def test_settings(scratch_dir: Path) -> Settings:
    """Settings for code under test (no embedded cluster of its own)."""
    return Settings(environment="test", data_dir=scratch_dir / "app", db_pool_size=4)


@pytest.fixture(scope="session")
def db_url(pg_cluster: EmbeddedCluster, test_settings: Settings) -> str:
    """An empty, migrated database with the reference data."""
    url = fresh_database(pg_cluster, "gpmb_test")
    reference_engine(url, test_settings).dispose()
    return url


@pytest.fixture(scope="session")
def engine(db_url: str, test_settings: Settings) -> Iterator[Engine]:
    """Engine on the migrated test database."""
    eng = make_engine(db_url, test_settings)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    with rolled_back(engine) as s:
        yield s


@pytest.fixture(scope="session")
def demo_url(pg_cluster: EmbeddedCluster, test_settings: Settings) -> str:
    """A database with the demo loaded (small, same code path as `gpmb demo load`)."""
    from gis.demo.load import load_demo

    url = fresh_database(pg_cluster, "gpmb_demo")
    eng = reference_engine(url, test_settings)
    load_demo(eng, parcels=DEMO_PARCELS, seed=DEMO_SEED)
    eng.dispose()
    return url


@pytest.fixture(scope="session")
def demo_engine(demo_url: str, test_settings: Settings) -> Iterator[Engine]:
    """Engine on the demo database (read-only use, please)."""
    eng = make_engine(demo_url, test_settings)
    yield eng
    eng.dispose()




@pytest.fixture(scope="session")
def live_server(demo_url: str, scratch_dir: Path) -> Iterator[str]:
    """`gpmb serve` for real (uvicorn, lifespan, engine) on the demo database."""
    with running_server(demo_url, scratch_dir / "srv", scratch_dir / "serve.log") as base:
        yield base


VIEWER = ("lanhdao.kiemthu", "mat-khau-lanh-dao-2026")
"""A leader account in the demo database, for page tests (pages need a signed-in user)."""


@pytest.fixture(scope="session")
def viewer_account(demo_engine: Engine) -> tuple[str, str]:
    """Create the leader account once in the demo database."""
    from gis.access.accounts import create_user
    from gis.core.domain import Role

    with session_factory(demo_engine).begin() as s:
        create_user(s, VIEWER[0], Role.LEADER, VIEWER[1], full_name="Lãnh đạo kiểm thử")
    return VIEWER


@pytest.fixture(scope="session")
def viewer_cookies(live_server: str, viewer_account: tuple[str, str]) -> dict[str, str]:
    """Session cookies of the leader account on the live server."""
    res = httpx.post(live_server + "/api/auth/login", timeout=30,
                     json={"username": viewer_account[0], "password": viewer_account[1]})
    assert res.status_code == 200, res.text
    return dict(res.cookies)


@pytest.fixture
def web(live_server: str, viewer_cookies: dict[str, str]) -> Iterator[httpx.Client]:
    """An HTTP client signed in as the leader account."""
    with httpx.Client(cookies=viewer_cookies, timeout=30) as client:
        yield client
