"""A writable API world: its own demo database (never the shared one), one account per
role, bearer tokens for each, and an in-process client on ``create_app``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api.app import create_app
from gis.access.accounts import create_user
from gis.core.domain import Role
from gis.core.settings import Settings
from gis.db.engine import session_factory
from tests.support import reference_engine, running_server

PASSWORD = "mat-khau-thu-nghiem"
ROLES = ("admin", "staff", "leader", "field")


@dataclass(frozen=True)
class ApiWorld:
    """The writable database and who is in it."""

    engine: Engine
    project_id: int
    tokens: dict[str, str]

    def auth(self, role: str) -> dict[str, str]:
        """Bearer headers for the account of ``role``."""
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def scalar(self, sql: str, **params: object) -> object:
        """One value from the database."""
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()


def load_api_world(url: str, settings: Settings) -> Engine:
    """Migrate ``url``, load a small demo and one account per role (field: CT-HNCL only;
    field2: CA-LSN only); return an engine on it."""
    from gis.demo.load import load_demo

    eng = reference_engine(url, settings)
    load_demo(eng, parcels=400, seed=20250331)
    with session_factory(eng).begin() as s:
        for role in ROLES:
            create_user(s, f"t.{role}", Role(role), PASSWORD, full_name=f"Thử {role}",
                        projects=["CT-HNCL"] if role == "field" else None)
        create_user(s, "t.field2", Role.FIELD, PASSWORD, projects=["CA-LSN"])
    return eng


def issue_tokens(client: TestClient | httpx.Client) -> dict[str, str]:
    """A bearer token for every account of ``load_api_world``."""
    tokens = {}
    for role in (*ROLES, "field2"):
        res = client.post("/api/auth/token", json={"username": f"t.{role}",
                                                   "password": PASSWORD})
        assert res.status_code == 201, res.text
        tokens[role] = res.json()["access_token"]
    client.cookies.clear()
    return tokens


@pytest.fixture(scope="session")
def api_engine(make_database: Callable[[str], str], test_settings: Settings
               ) -> Iterator[Engine]:
    """A small demo in a database of its own that API tests may write to."""
    eng = load_api_world(make_database("gpmb_api"), test_settings)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def api_app_client(api_engine: Engine, test_settings: Settings) -> Iterator[TestClient]:
    """One in-process client for the session (no cookies kept by tests using tokens)."""
    with TestClient(create_app(test_settings, engine=api_engine)) as c:
        yield c


@pytest.fixture(scope="session")
def world(api_engine: Engine, api_app_client: TestClient) -> ApiWorld:
    """Tokens for every role, and the demo's project ids."""
    tokens = issue_tokens(api_app_client)
    with api_engine.connect() as conn:
        hncl = conn.execute(text("SELECT id FROM projects WHERE code = 'CT-HNCL'")).scalar_one()
    return ApiWorld(api_engine, hncl, tokens)


@pytest.fixture
def client(api_app_client: TestClient) -> TestClient:
    """The session's client with no cookies left over."""
    api_app_client.cookies.clear()
    return api_app_client


def fresh_client(engine: Engine, settings: Settings) -> TestClient:
    """A client of its own (cookie tests), to be used in a ``with`` block."""
    return TestClient(create_app(settings, engine=engine))


@pytest.fixture(scope="session")
def api_server(api_engine: Engine, world: ApiWorld, scratch_dir: Path) -> Iterator[str]:
    """`gpmb serve` for real on the API database (the world's tokens work on it)."""
    url = api_engine.url.render_as_string(hide_password=False)
    with running_server(url, scratch_dir / "api-srv", scratch_dir / "api-serve.log") as base:
        yield base


from tests.api.scoped_world import outside_document, scopes  # noqa: E402  (fixtures)

__all__ = ["ApiWorld", "fresh_client", "outside_document", "scopes"]
