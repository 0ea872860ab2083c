"""The scoped accounts of the authorization matrix's second axis (role × scope × route),
shared by ``test_matrix_scopes.py`` (API) and ``test_matrix_scopes_pages.py`` (pages, tiles,
field feeds); the fixtures are registered in ``conftest.py``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from gis.access.accounts import create_user
from gis.core.domain import Role
from gis.db.engine import session_factory

if TYPE_CHECKING:
    from tests.api.conftest import ApiWorld


def _password() -> str:
    # imported late: conftest.py registers this module's fixtures, so importing it at the
    # top would be circular
    from tests.api.conftest import PASSWORD

    return PASSWORD

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class Scoped:
    """A scoped account, a case inside and one outside its scope, and the SQL condition
    (over ``c`` cases, ``p`` parcels) that says what it may see."""

    username: str
    role: str
    inside: int
    outside: int
    condition: str

    def case_ids(self, world: ApiWorld) -> set[int]:
        """Every case the account may see."""
        with world.engine.connect() as conn:
            return set(conn.execute(text(
                "SELECT c.id FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id "
                f"WHERE {self.condition}")).scalars())


@dataclass(frozen=True)
class ScopeWorld:
    """The accounts of this module and the demo's places."""

    commune_a: str
    commune_b: str
    project_p: int
    project_q: int
    accounts: dict[str, Scoped]


def find_case(conn: Any, where: str, **params: Any) -> int:
    found = conn.execute(text(
        "SELECT c.id FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id "
        f"WHERE {where} ORDER BY c.id LIMIT 1"), params).scalar()
    assert found is not None, where
    return int(found)


@pytest.fixture(scope="session")
def scopes(api_engine: Engine, world: ApiWorld) -> ScopeWorld:
    """Commune A (most cases of CT-HNCL), commune B (another with cases), project P
    (CT-HNCL) and Q (CA-LSN); one account per scope kind."""
    with api_engine.connect() as conn:
        p = int(conn.execute(text("SELECT id FROM projects WHERE code = 'CT-HNCL'")).scalar_one())
        q = int(conn.execute(text("SELECT id FROM projects WHERE code = 'CA-LSN'")).scalar_one())
        communes = list(conn.execute(text(
            "SELECT p.commune_code FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id"
            " WHERE c.project_id = :p GROUP BY 1 ORDER BY count(*) DESC, 1"), {"p": p}).scalars())
        assert len(communes) >= 2, "the demo has cases in several communes"
        a, b = communes[0], communes[1]
        in_a = find_case(conn, "p.commune_code = :a AND c.project_id = :p", a=a, p=p)
        in_b = find_case(conn, "p.commune_code = :b", b=b)
        of_q = find_case(conn, "c.project_id = :q AND NOT EXISTS (SELECT 1 FROM clearance_cases o "
                     "WHERE o.parcel_id = c.parcel_id AND o.project_id = :p)", q=q, p=p)
    password = _password()
    with session_factory(api_engine).begin() as s:
        create_user(s, "sc.staff.xa", Role.STAFF, password, communes=[a])
        create_user(s, "sc.staff.duan", Role.STAFF, password, projects=["CT-HNCL"])
        create_user(s, "sc.field.xa", Role.FIELD, password, communes=[a])
    accounts = {
        "staff-commune": Scoped("sc.staff.xa", "staff", in_a, in_b, f"p.commune_code = '{a}'"),
        "staff-project": Scoped("sc.staff.duan", "staff", in_a, of_q, f"c.project_id = {p}"),
        "field-commune": Scoped("sc.field.xa", "field", in_a, in_b, f"p.commune_code = '{a}'"),
    }
    return ScopeWorld(a, b, p, q, accounts)


def bearer(client: TestClient, username: str) -> dict[str, str]:
    res = client.post("/api/auth/token", json={"username": username, "password": _password()})
    assert res.status_code == 201, res.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {res.json()['access_token']}"}


def cookie_session(client: TestClient, username: str) -> dict[str, str]:
    """Headers of a cookie session (the client keeps no cookies between accounts)."""
    client.cookies.clear()
    res = client.post("/api/auth/login", json={"username": username, "password": _password()})
    assert res.status_code == 200, res.text
    token = res.cookies.get("gpmb_session")
    client.cookies.clear()
    return {"Cookie": f"gpmb_session={token}", "X-CSRF-Token": res.json()["csrf_token"]}


@pytest.fixture(scope="session")
def outside_document(api_engine: Engine, scopes: ScopeWorld, api_app_client: TestClient,
                     world: ApiWorld) -> dict[str, int]:
    """A document (and a payment) on each account's outside case, recorded by the admin."""
    docs = {}
    admin = world.auth("admin")
    for name, acc in scopes.accounts.items():
        note = {"kind": "note", "occurred_on": "2026-01-05", "note": f"Ngoài phạm vi {name}"}
        res = api_app_client.post(f"/api/cases/{acc.outside}/events", json=note, headers=admin)
        assert res.status_code == 201, res.text
        event = res.json()["event_id"]
        res = api_app_client.post(f"/api/cases/{acc.outside}/events/{event}/documents",
                                  headers=admin, files={"file": ("qd.pdf", PDF, "application/pdf")})
        assert res.status_code == 201, res.text
        docs[name] = int(res.json()["id"])
    return docs


ACCOUNTS = ["staff-commune", "staff-project", "field-commune"]

def parcel_of(world: ApiWorld, case_id: int) -> int:
    return int(str(world.scalar("SELECT parcel_id FROM clearance_cases WHERE id = :c",
                                c=case_id)))


def assert_out_of_scope(res: Any) -> None:
    assert res.status_code == 403, res.text
    body = res.json()
    assert body["code"] == OUT_OF_SCOPE and body["extra"]["reason"] == OUT_OF_SCOPE
    assert "phân công" in body["detail"] or "phạm vi" in body["detail"]


def written(world: ApiWorld, case_id: int) -> tuple[object, ...]:
    with world.engine.connect() as conn:
        return tuple(conn.execute(text(
            "SELECT (SELECT count(*) FROM case_events WHERE case_id = :c),"
            " (SELECT count(*) FROM payments WHERE case_id = :c),"
            " (SELECT count(*) FROM case_documents WHERE case_id = :c),"
            " (SELECT count(*) FROM resettlement_allocations WHERE case_id = :c),"
            " (SELECT version FROM clearance_cases WHERE id = :c)"), {"c": case_id}).one())
