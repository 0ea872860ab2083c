"""Authorization matrix, second axis: role × scope × route.

Accounts limited to one commune (staff, field) or one project (staff) of the API demo:
every route that reads a single case, parcel, document or project outside their scope
answers 404 (ids cannot be probed), every list, export, tile and field feed holds only
their scope, and every write outside it is refused with 403 ``out_of_scope`` and leaves
nothing behind. API routes are called with bearer tokens, pages and their feeds with the
session cookie, all on the real demo in PostGIS.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from gis import tiles
from gis.accounts import create_user
from gis.db.engine import session_factory
from gis.domain import Role
from tests.api.conftest import PASSWORD, ApiWorld

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


def _case(conn: Any, where: str, **params: Any) -> int:
    found = conn.execute(text(
        "SELECT c.id FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id "
        f"WHERE {where} ORDER BY c.id LIMIT 1"), params).scalar()
    assert found is not None, where
    return int(found)


@pytest.fixture(scope="module")
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
        in_a = _case(conn, "p.commune_code = :a AND c.project_id = :p", a=a, p=p)
        in_b = _case(conn, "p.commune_code = :b", b=b)
        of_q = _case(conn, "c.project_id = :q AND NOT EXISTS (SELECT 1 FROM clearance_cases o "
                     "WHERE o.parcel_id = c.parcel_id AND o.project_id = :p)", q=q, p=p)
    with session_factory(api_engine).begin() as s:
        create_user(s, "sc.staff.xa", Role.STAFF, PASSWORD, communes=[a])
        create_user(s, "sc.staff.duan", Role.STAFF, PASSWORD, projects=["CT-HNCL"])
        create_user(s, "sc.field.xa", Role.FIELD, PASSWORD, communes=[a])
    accounts = {
        "staff-commune": Scoped("sc.staff.xa", "staff", in_a, in_b, f"p.commune_code = '{a}'"),
        "staff-project": Scoped("sc.staff.duan", "staff", in_a, of_q, f"c.project_id = {p}"),
        "field-commune": Scoped("sc.field.xa", "field", in_a, in_b, f"p.commune_code = '{a}'"),
    }
    return ScopeWorld(a, b, p, q, accounts)


def _bearer(client: TestClient, username: str) -> dict[str, str]:
    res = client.post("/api/auth/token", json={"username": username, "password": PASSWORD})
    assert res.status_code == 201, res.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {res.json()['access_token']}"}


def _session(client: TestClient, username: str) -> dict[str, str]:
    """Headers of a cookie session (the client keeps no cookies between accounts)."""
    client.cookies.clear()
    res = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert res.status_code == 200, res.text
    token = res.cookies.get("gpmb_session")
    client.cookies.clear()
    return {"Cookie": f"gpmb_session={token}", "X-CSRF-Token": res.json()["csrf_token"]}


@pytest.fixture(scope="module")
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


@pytest.fixture
def client(api_app_client: TestClient) -> Iterator[TestClient]:
    api_app_client.cookies.clear()
    yield api_app_client
    api_app_client.cookies.clear()


def _parcel(world: ApiWorld, case_id: int) -> int:
    return int(str(world.scalar("SELECT parcel_id FROM clearance_cases WHERE id = :c",
                                c=case_id)))


@pytest.mark.parametrize("name", ACCOUNTS)
def test_single_reads_outside_the_scope_are_not_found(
        client: TestClient, world: ApiWorld, scopes: ScopeWorld,
        outside_document: dict[str, int], name: str) -> None:
    acc = scopes.accounts[name]
    h = _bearer(client, acc.username)
    out, parcel = acc.outside, _parcel(world, acc.outside)
    for path in (f"/api/cases/{out}", f"/api/cases/{out}/history",
                 f"/api/cases/{out}/documents", f"/api/documents/{outside_document[name]}",
                 f"/api/parcels/{parcel}"):
        res = client.get(path, headers=h)
        assert res.status_code == 404, (path, res.status_code)
        assert res.json()["code"] == "not_found"
    missing = client.get("/api/documents/2147483000", headers=h).json()
    assert client.get(f"/api/documents/{outside_document[name]}", headers=h).json()[
        "detail"].replace(str(outside_document[name]), "") == missing["detail"].replace(
        "2147483000", "")  # the same answer as for an id that does not exist
    assert client.get(f"/api/cases/{acc.inside}", headers=h).status_code == 200
    assert client.get(f"/api/parcels/{_parcel(world, acc.inside)}", headers=h).status_code == 200
    row = world.scalar("SELECT p.commune_code || '/' || p.sheet_no || '/' || p.parcel_no "
                       "FROM parcels p WHERE p.id = :p", p=parcel)
    commune, sheet, number = str(row).split("/")
    found = client.get(f"/api/parcels?commune={commune}&sheet={sheet}&parcel={number}",
                       headers=h).json()
    assert all(parcel != f["id"] for f in found["features"])
    if name == "staff-project":
        assert client.get(f"/api/projects/{scopes.project_q}", headers=h).status_code == 404
        assert client.get(f"/api/projects/{scopes.project_q}/alignments",
                          headers=h).status_code == 404
        res = client.get(f"/api/projects/{scopes.project_q}/disbursement", headers=h)
        assert res.status_code == 404


@pytest.mark.parametrize("name", ACCOUNTS)
def test_lists_and_exports_hold_only_the_scope(
        client: TestClient, world: ApiWorld, scopes: ScopeWorld,
        outside_document: dict[str, int], name: str) -> None:
    acc = scopes.accounts[name]
    h = _bearer(client, acc.username)
    me = client.get("/api/auth/me", headers=h).json()
    assert (me["projects"], me["communes"]) == (
        ([scopes.project_p], None) if name == "staff-project" else (None, [scopes.commune_a]))
    allowed = acc.case_ids(world)
    page = client.get("/api/cases?limit=500", headers=h).json()
    assert page["total"] == len(allowed) and {c["id"] for c in page["items"]} == allowed
    assert acc.outside not in allowed
    other = client.get(f"/api/cases?limit=500&commune={scopes.commune_b}", headers=h).json()
    assert {c["id"] for c in other["items"]} <= allowed
    waiting = client.get("/api/resettlement/waiting", headers=h).json()
    assert {c["id"] for c in waiting} <= allowed
    held = client.get("/api/resettlement/allocations", headers=h).json()
    assert {a["case_id"] for a in held} <= allowed
    projects = {p["id"]: p for p in client.get("/api/projects", headers=h).json()}
    assert sum(p["cases"] for p in projects.values()) == len(allowed)
    if name == "staff-project":
        assert set(projects) == {scopes.project_p}
    res = client.get("/api/exports/cases?format=geojson&crs=EPSG:4326", headers=h)
    assert res.status_code == 200, res.text
    exported = json.loads(res.content)["features"]
    assert int(res.headers["X-Feature-Count"]) == len(exported) == len(allowed)
    res = client.get("/api/exports/parcels?format=geojson&crs=EPSG:4326", headers=h)
    parcels = json.loads(res.content)["features"]
    with world.engine.connect() as conn:
        visible = set(conn.execute(text(
            "SELECT c.parcel_id FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id "
            f"WHERE {acc.condition}")).scalars())
    assert parcels and _parcel(world, acc.outside) not in visible
    communes = {f["properties"]["MaXa"] for f in parcels}
    if name != "staff-project":
        assert communes == {scopes.commune_a}
    else:
        assert len(parcels) == len(visible)
    if name == "staff-project":
        res = client.get(f"/api/exports/cases?format=geojson&project={scopes.project_q}",
                         headers=h)
        assert res.status_code == 422 and res.json()["code"] == "unknown_project"
    if name != "field-commune":  # the admin wrote on every account's outside case
        url = "/api/users/t.admin/history?limit=500"
        everything = {e["case_id"] for e in client.get(url, headers=world.auth("admin"))
                      .json()["items"]}
        scoped = {e["case_id"] for e in client.get(url, headers=h).json()["items"]}
        assert acc.outside in everything and scoped <= allowed


@pytest.mark.parametrize("name", ACCOUNTS)
def test_dashboard_figures_count_only_the_scope(
        api_engine: Engine, world: ApiWorld, scopes: ScopeWorld, name: str) -> None:
    from gis.access import load_scope
    from gis.progress import province_progress
    from gis.workflow.calendar import local_today

    acc = scopes.accounts[name]
    with session_factory(api_engine)() as s:
        user_id = s.execute(text("SELECT id FROM users WHERE username = :u"),
                            {"u": acc.username}).scalar_one()
        progress = province_progress(s, local_today(), load_scope(s, user_id, Role(acc.role)))
    area = world.scalar("SELECT sum(c.recovered_area_m2) FROM clearance_cases c JOIN parcels p"
                        f" ON p.id = c.parcel_id WHERE {acc.condition}")
    every = world.scalar("SELECT sum(recovered_area_m2) FROM clearance_cases")
    assert abs(float(progress.figures.total.area_m2) - float(str(area))) < 1
    assert float(str(area)) < float(str(every))
    if name == "staff-project":
        assert [p.id for p, _ in progress.projects] == [scopes.project_p]
    else:
        assert set(progress.figures.by_commune) == {scopes.commune_a}


def _refused(res: Any) -> None:
    assert res.status_code == 403, res.text
    body = res.json()
    assert body["code"] == OUT_OF_SCOPE and body["extra"]["reason"] == OUT_OF_SCOPE
    assert "phân công" in body["detail"] or "phạm vi" in body["detail"]


def _counts(world: ApiWorld, case_id: int) -> tuple[object, ...]:
    with world.engine.connect() as conn:
        return tuple(conn.execute(text(
            "SELECT (SELECT count(*) FROM case_events WHERE case_id = :c),"
            " (SELECT count(*) FROM payments WHERE case_id = :c),"
            " (SELECT count(*) FROM case_documents WHERE case_id = :c),"
            " (SELECT count(*) FROM resettlement_allocations WHERE case_id = :c),"
            " (SELECT version FROM clearance_cases WHERE id = :c)"), {"c": case_id}).one())


@pytest.mark.parametrize("name", ["staff-commune", "staff-project"])
def test_staff_writes_outside_the_scope_are_refused(
        client: TestClient, world: ApiWorld, scopes: ScopeWorld, name: str) -> None:
    acc = scopes.accounts[name]
    h = _bearer(client, acc.username)
    out = acc.outside
    version = int(str(world.scalar("SELECT version FROM clearance_cases WHERE id = :c", c=out)))
    event = world.scalar("SELECT min(id) FROM case_events WHERE case_id = :c", c=out)
    payment = world.scalar("SELECT min(p.id) FROM payments p JOIN clearance_cases c ON "
                           "c.id = p.case_id JOIN parcels pa ON pa.id = c.parcel_id "
                           f"WHERE NOT ({acc.condition.replace('p.', 'pa.')})")
    assert payment is not None
    before = _counts(world, out)
    note = {"kind": "note", "occurred_on": "2026-01-05", "note": "Ghi ngoài phạm vi"}
    _refused(client.post(f"/api/cases/{out}/events", json=note, headers=h))
    step = {"kind": "step", "to_step": "handed_over", "occurred_on": "2026-01-05",
            "version": version}
    _refused(client.post(f"/api/cases/{out}/events", json=step, headers=h))
    complaint = {"kind": "complaint_filed", "occurred_on": "2026-01-05", "note": "Khiếu nại"}
    _refused(client.post(f"/api/cases/{out}/events", json=complaint, headers=h))
    pay = {"amount_vnd": 1000, "paid_on": "2026-01-05", "method": "cash"}
    _refused(client.post(f"/api/cases/{out}/payments", json=pay, headers=h))
    amounts = {"land": 1, "structures": 0, "crops": 0, "support": 0, "resettlement": 0,
               "version": version}
    _refused(client.put(f"/api/cases/{out}/amounts", json=amounts, headers=h))
    _refused(client.post(f"/api/payments/{payment}/reversal", json={"reason": "Nhầm"},
                         headers=h))
    plot = world.scalar("SELECT min(id) FROM resettlement_plots")
    _refused(client.post("/api/resettlement/allocations", headers=h, json={
        "case_id": out, "plot_id": plot, "allocated_on": "2026-01-05"}))
    _refused(client.post(f"/api/cases/{out}/events/{event}/documents", headers=h,
                         files={"file": ("qd.pdf", PDF, "application/pdf")}))
    assert _counts(world, out) == before
    inside = client.post(f"/api/cases/{acc.inside}/events", json=note, headers=h)
    assert inside.status_code == 201, inside.text
    if name == "staff-project":
        plan = {"year": 2025, "amount_vnd": 1, "decision_no": "1/QĐ-UBND",
                "decision_date": "2025-01-02", "version": 0}
        _refused(client.post(f"/api/projects/{scopes.project_q}/disbursement/plans",
                             json=plan, headers=h))
    if name == "staff-commune":
        _refused(client.post("/api/imports", headers=h,
                             files={"file": ("x.gpkg", io.BytesIO(b"x"), "application/zip")}))


def test_bulk_steps_with_a_row_outside_the_scope_write_nothing(
        client: TestClient, world: ApiWorld, scopes: ScopeWorld) -> None:
    from openpyxl import Workbook

    acc = scopes.accounts["staff-commune"]
    h = _bearer(client, acc.username)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Mã hồ sơ", "Bước", "Ngày"])
    sheet.append([acc.outside, "handed_over", "05/01/2026"])
    data = io.BytesIO()
    book.save(data)
    before = _counts(world, acc.outside)
    res = client.post("/api/cases/bulk-steps", headers=h, files={"file": (
        "buoc.xlsx", data.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    assert res.status_code in (403, 422), res.text
    assert OUT_OF_SCOPE in res.text
    assert _counts(world, acc.outside) == before


def _tile_features(client: TestClient, h: dict[str, str], world: ApiWorld, parcel: int,
                   query: str = "") -> list[dict[str, Any]]:
    row = world.scalar(
        "SELECT ST_X(pt) || ',' || ST_Y(pt) FROM (SELECT ST_Transform(ST_PointOnSurface(geom),"
        " 4326) AS pt FROM parcels WHERE id = :p) s", p=parcel)
    lon, lat = (float(v) for v in str(row).split(","))
    x, y = tiles.tile_for_lonlat(16, lon, lat)
    res = client.get(f"/tiles/parcels/16/{x}/{y}.pbf{query}", headers=h)
    assert res.status_code == 200, res.text
    layer = mapbox_vector_tile.decode(res.content).get("parcels", {"features": []})
    return list(layer["features"])


@pytest.mark.parametrize("name", ACCOUNTS)
def test_pages_tiles_and_field_feeds_hold_only_the_scope(
        client: TestClient, world: ApiWorld, scopes: ScopeWorld, name: str) -> None:
    acc = scopes.accounts[name]
    h = {**_session(client, acc.username), "Accept": "text/html"}
    out, parcel = acc.outside, _parcel(world, acc.outside)
    assert client.get(f"/cases/{out}", headers=h).status_code == 404
    assert client.get(f"/cases/{acc.inside}", headers=h).status_code == 200
    for case_id, shown in ((out, False), (acc.inside, True)):
        where = world.scalar("SELECT p.sheet_no || '/' || p.parcel_no FROM clearance_cases c "
                             "JOIN parcels p ON p.id = c.parcel_id WHERE c.id = :c", c=case_id)
        listing = client.get("/cases", params={"q": str(where), "per": "100"}, headers=h).text
        assert (f'href="/cases/{case_id}"' in listing) is shown
    assert client.get(f"/projects/CT-HNCL/map/parcels/{parcel}", headers=h).status_code == 404
    assert client.get(f"/field/api/parcels/{parcel}", headers=h).status_code == 404
    row = world.scalar("SELECT commune_code || '/' || sheet_no || '/' || parcel_no "
                       "FROM parcels WHERE id = :p", p=parcel)
    commune, sheet, number = str(row).split("/")
    hits = client.get(f"/field/api/lookup?commune={commune}&sheet={sheet}&parcel={number}",
                      headers=h).json()["results"]
    assert all(hit["parcel_id"] != parcel for hit in hits)
    point = world.scalar("SELECT ST_Y(pt) || ',' || ST_X(pt) FROM (SELECT ST_Transform("
                         "ST_PointOnSurface(geom), 4326) AS pt FROM parcels WHERE id = :p) s",
                         p=parcel)
    lat, lon = str(point).split(",")
    here = client.get(f"/field/api/locate?lat={lat}&lon={lon}&radius=300", headers=h).json()
    assert here["card"] is None or here["card"]["parcel_id"] != parcel
    allowed = acc.case_ids(world)
    assert all(n["case_id"] in allowed for n in here["nearby"])
    features = _tile_features(client, h, world, parcel)
    assert all(f["properties"]["parcel_id"] != parcel for f in features)
    assert all(f["properties"].get("case_id") in allowed for f in features
               if name == "staff-project")
    if name != "staff-project":
        assert {f["properties"]["commune"] for f in features} <= {scopes.commune_a}
    inside = _tile_features(client, h, world, _parcel(world, acc.inside))
    assert any(f["properties"]["parcel_id"] == _parcel(world, acc.inside) for f in inside)
    if name == "staff-project":
        assert client.get("/projects/CA-LSN/map", headers=h).status_code == 404
        assert client.get("/projects/CA-LSN/dashboard", headers=h).status_code == 404
        assert client.get("/projects/CA-LSN/cases", headers=h).status_code == 404
        assert client.get("/projects/CT-HNCL/dashboard", headers=h).status_code == 200
    else:
        res = client.get("/projects/CT-HNCL/reports/summary.pdf", headers=h)
        assert res.status_code == 403 and res.json()["code"] == OUT_OF_SCOPE


@pytest.mark.parametrize("name", ["staff-commune", "staff-project"])
def test_page_forms_outside_the_scope_are_refused(
        client: TestClient, world: ApiWorld, scopes: ScopeWorld, name: str) -> None:
    acc = scopes.accounts[name]
    h = _session(client, acc.username)
    out = acc.outside
    before = _counts(world, out)
    version = str(before[-1])
    form = {"csrf_token": h["X-CSRF-Token"], "version": version, "kind": "complaint_filed",
            "occurred_on": "2026-01-05", "note": "Ngoài phạm vi", "idem": f"scope-{name}"}
    res = client.post(f"/cases/{out}/side-events", data=form,
                      headers={"Cookie": h["Cookie"], "Accept": "text/html"})
    assert res.status_code == 403 and "phân công" in res.text
    assert _counts(world, out) == before


def test_field_user_scoped_to_a_commune_writes_only_there(
        client: TestClient, world: ApiWorld, scopes: ScopeWorld) -> None:
    acc = scopes.accounts["field-commune"]
    h = _session(client, acc.username)
    before = _counts(world, acc.outside)
    res = client.post(f"/field/api/cases/{acc.outside}/notes", json={"note": "Ngoài xã"},
                      headers=h)
    assert res.status_code == 403 and res.json()["code"] == OUT_OF_SCOPE
    assert _counts(world, acc.outside) == before
    res = client.post(f"/field/api/cases/{acc.inside}/notes", json={"note": "Trong xã"},
                      headers=h)
    assert res.status_code == 201, res.text


def test_unscoped_staff_and_admin_see_the_whole_province(
        client: TestClient, world: ApiWorld, scopes: ScopeWorld) -> None:
    with world.engine.connect() as conn:
        every = conn.execute(text("SELECT count(*) FROM clearance_cases")).scalar_one()
    for role in ("staff", "admin", "leader"):
        page = client.get("/api/cases?limit=1", headers=world.auth(role)).json()
        assert page["total"] == every
        for acc in scopes.accounts.values():
            assert client.get(f"/api/cases/{acc.outside}",
                              headers=world.auth(role)).status_code == 200
