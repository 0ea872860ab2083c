"""Authorization matrix, second axis: role × scope × route — the API.

Accounts limited to one commune (staff, field) or one project (staff) of the API demo
(``scoped_world.py``): every route reading a single case, parcel, document or project outside
their scope answers 404 (ids cannot be probed), every list and export holds only their scope,
and every write outside it is refused with 403 ``out_of_scope`` and leaves nothing behind.
Pages, tiles and field feeds: ``test_matrix_scopes_pages.py``.
"""

from __future__ import annotations

import io
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from gis.core.domain import Role
from gis.db.engine import session_factory
from tests.api.conftest import ApiWorld
from tests.api.scoped_world import (
    ACCOUNTS,
    OUT_OF_SCOPE,
    PDF,
    ScopeWorld,
    assert_out_of_scope,
    bearer,
    parcel_of,
    written,
)


@pytest.mark.parametrize("name", ACCOUNTS)
def test_single_reads_outside_the_scope_are_not_found(
        client: TestClient, world: ApiWorld, scopes: ScopeWorld,
        outside_document: dict[str, int], name: str) -> None:
    acc = scopes.accounts[name]
    h = bearer(client, acc.username)
    out, parcel = acc.outside, parcel_of(world, acc.outside)
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
    assert client.get(f"/api/parcels/{parcel_of(world, acc.inside)}", headers=h).status_code == 200
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
    h = bearer(client, acc.username)
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
    assert parcels and parcel_of(world, acc.outside) not in visible
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
    from gis.access.scope import load_scope
    from gis.core.calendar import local_today
    from gis.progress import province_progress

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


@pytest.mark.parametrize("name", ["staff-commune", "staff-project"])
def test_staff_writes_outside_the_scope_areassert_out_of_scope(
        client: TestClient, world: ApiWorld, scopes: ScopeWorld, name: str) -> None:
    acc = scopes.accounts[name]
    h = bearer(client, acc.username)
    out = acc.outside
    version = int(str(world.scalar("SELECT version FROM clearance_cases WHERE id = :c", c=out)))
    event = world.scalar("SELECT min(id) FROM case_events WHERE case_id = :c", c=out)
    payment = world.scalar("SELECT min(p.id) FROM payments p JOIN clearance_cases c ON "
                           "c.id = p.case_id JOIN parcels pa ON pa.id = c.parcel_id "
                           f"WHERE NOT ({acc.condition.replace('p.', 'pa.')})")
    assert payment is not None
    before = written(world, out)
    note = {"kind": "note", "occurred_on": "2026-01-05", "note": "Ghi ngoài phạm vi"}
    assert_out_of_scope(client.post(f"/api/cases/{out}/events", json=note, headers=h))
    step = {"kind": "step", "to_step": "handed_over", "occurred_on": "2026-01-05",
            "version": version}
    assert_out_of_scope(client.post(f"/api/cases/{out}/events", json=step, headers=h))
    complaint = {"kind": "complaint_filed", "occurred_on": "2026-01-05", "note": "Khiếu nại"}
    assert_out_of_scope(client.post(f"/api/cases/{out}/events", json=complaint, headers=h))
    payee = world.scalar("SELECT min(y.id) FROM compensation_payees y JOIN "
                         "compensation_household_cases hc ON hc.household_id = y.household_id"
                         " WHERE hc.case_id = :c", c=out)
    pay = {"payee_id": payee, "amount_vnd": 1000, "paid_on": "2026-01-05", "method": "cash"}
    assert_out_of_scope(client.post(f"/api/cases/{out}/payments", json=pay, headers=h))
    household = world.scalar("SELECT min(household_id) FROM compensation_household_cases"
                             " WHERE case_id = :c", c=out)
    decision = {"kind": "approval", "decision_no": "9/QĐ-UBND", "decision_date": "2026-01-05",
                "signer": "Chủ tịch UBND xã", "version": 1, "items": [
                    {"case_id": out, "kind": "land", "quantity": 1, "unit": "khoản",
                     "unit_price_vnd": 1, "legal_ground": "Luật Đất đai 2024"}]}
    refused = client.post(f"/api/households/{household}/decisions", json=decision, headers=h)
    assert refused.status_code in (403, 404), refused.text  # never written
    if refused.status_code == 403:
        assert_out_of_scope(refused)
    assert_out_of_scope(client.post(f"/api/payments/{payment}/reversal", json={"reason": "Nhầm"},
                         headers=h))
    plot = world.scalar("SELECT min(id) FROM resettlement_plots")
    assert_out_of_scope(client.post("/api/resettlement/allocations", headers=h, json={
        "case_id": out, "plot_id": plot, "allocated_on": "2026-01-05"}))
    assert_out_of_scope(client.post(f"/api/cases/{out}/events/{event}/documents", headers=h,
                         files={"file": ("qd.pdf", PDF, "application/pdf")}))
    assert written(world, out) == before
    inside = client.post(f"/api/cases/{acc.inside}/events", json=note, headers=h)
    assert inside.status_code == 201, inside.text
    if name == "staff-project":
        plan = {"year": 2025, "amount_vnd": 1, "decision_no": "1/QĐ-UBND",
                "decision_date": "2025-01-02", "version": 0}
        assert_out_of_scope(client.post(f"/api/projects/{scopes.project_q}/disbursement/plans",
                             json=plan, headers=h))
    if name == "staff-commune":
        assert_out_of_scope(client.post("/api/imports", headers=h,
                             files={"file": ("x.gpkg", io.BytesIO(b"x"), "application/zip")}))


def test_bulk_steps_with_a_row_outside_the_scope_write_nothing(
        client: TestClient, world: ApiWorld, scopes: ScopeWorld) -> None:
    from openpyxl import Workbook

    acc = scopes.accounts["staff-commune"]
    h = bearer(client, acc.username)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Mã hồ sơ", "Bước", "Ngày"])
    sheet.append([acc.outside, "handed_over", "05/01/2026"])
    data = io.BytesIO()
    book.save(data)
    before = written(world, acc.outside)
    res = client.post("/api/cases/bulk-steps", headers=h, files={"file": (
        "buoc.xlsx", data.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    assert res.status_code in (403, 422), res.text
    assert OUT_OF_SCOPE in res.text
    assert written(world, acc.outside) == before


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
