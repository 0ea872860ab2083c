"""Cases over HTTP: list filters, search, paging, detail with ETag, redaction, GeoJSON,
concurrency (If-Match → 409 with the current state), idempotent retries, money,
resettlement and history. Bodies are validated against the response models."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from api.household_schemas import HouseholdOut
from api.routers.projects import ProjectOut
from api.schemas import (
    AllocationOut,
    CaseDetailOut,
    CasePageOut,
    EventResultOut,
    Feature,
    FeatureCollection,
    HistoryPageOut,
    PaymentResultOut,
    ProjectDetail,
)
from gis.core.domain import CaseStep
from tests.api.conftest import ApiWorld
from tests.papers import as_json, step_kwargs

TODAY = dt.date.today().isoformat()


def _case(world: ApiWorld, step: str, offset: int = 0, **extra: str) -> int:
    cond = " ".join(f"AND {k} {v}" for k, v in extra.items())
    return int(str(world.scalar(
        f"SELECT id FROM clearance_cases WHERE step = :s {cond} ORDER BY id OFFSET :o LIMIT 1",
        s=step, o=offset)))


def _payee(world: ApiWorld, case_id: int) -> int:
    """The first payee of the case's household that has an approved plan."""
    return int(str(world.scalar(
        "SELECT min(y.id) FROM compensation_payees y JOIN compensation_household_cases hc"
        " ON hc.household_id = y.household_id WHERE hc.case_id = :c AND EXISTS (SELECT 1 FROM"
        " compensation_decisions d WHERE d.household_id = y.household_id)", c=case_id)))


def test_projects_detail_and_alignments(client: TestClient, world: ApiWorld) -> None:
    listed = [ProjectOut(**p) for p in
              client.get("/api/projects", headers=world.auth("leader")).json()]
    assert {p.code for p in listed} >= {"CT-HNCL", "CA-LSN"}
    expressway = next(p for p in listed if p.code == "CT-HNCL")
    assert 0 < expressway.handed_over < expressway.cases
    assert 0 < expressway.paid_vnd <= expressway.approved_vnd
    detail = ProjectDetail.model_validate(client.get(
        f"/api/projects/{world.project_id}", headers=world.auth("leader")).json())
    assert detail.alignments and detail.milestones
    res = client.get(f"/api/projects/{world.project_id}/alignments",
                     headers=world.auth("field"))
    assert res.headers["content-type"].startswith("application/geo+json")
    fc = FeatureCollection.model_validate(res.json())
    lon, lat = fc.features[0].geometry.coordinates[0]
    assert 106 < lon < 107.5 and 21 < lat < 22.5  # WGS84, Lạng Sơn
    one = client.get(f"/api/alignments/{fc.features[0].id}?part=footprint",
                     headers=world.auth("field"))
    assert Feature.model_validate(one.json()).geometry.type == "MultiPolygon"
    assert client.get("/api/projects/999999", headers=world.auth("leader")).status_code == 404


def test_list_filters_search_and_paging(client: TestClient, world: ApiWorld) -> None:
    h = world.auth("leader")
    everything = CasePageOut.model_validate(client.get("/api/cases?limit=500", headers=h).json())
    assert everything.total == len(everything.items) == world.scalar(
        "SELECT count(*) FROM clearance_cases")
    page = CasePageOut.model_validate(client.get(
        f"/api/cases?project={world.project_id}&limit=10&offset=10", headers=h).json())
    assert page.total > 20 and len(page.items) == 10
    assert [c.id for c in page.items] == sorted(c.id for c in page.items)
    assert all(c.project_id == world.project_id for c in page.items)
    steps = CasePageOut.model_validate(client.get(
        "/api/cases?step=decided&step=paid&limit=500", headers=h).json())
    assert {c.step for c in steps.items} == {"decided", "paid"}
    commune = page.items[0].commune_code
    in_commune = CasePageOut.model_validate(client.get(
        f"/api/cases?commune={commune}&limit=500", headers=h).json())
    assert in_commune.total and all(c.commune_code == commune for c in in_commune.items)
    late = CasePageOut.model_validate(client.get("/api/cases?overdue=true&limit=500",
                                                 headers=h).json())
    on_time = CasePageOut.model_validate(client.get("/api/cases?overdue=false&limit=1",
                                                    headers=h).json())
    assert late.total + on_time.total == everything.total
    # "sheet/parcel" and a piece of a land user's name (trigram index)
    target = page.items[0]
    by_sheet = CasePageOut.model_validate(client.get(
        "/api/cases", params={"q": f"{target.sheet_no}/{target.parcel_no}"}, headers=h).json())
    assert target.id in {c.id for c in by_sheet.items}
    named = next(c for c in everything.items if c.holders)
    piece = named.holders[0].split()[-1].lower()
    by_name = CasePageOut.model_validate(client.get(
        "/api/cases", params={"q": piece, "limit": 500}, headers=h).json())
    assert named.id in {c.id for c in by_name.items}
    assert all(any(piece in n.lower() for n in c.holders) for c in by_name.items)
    assert client.get("/api/cases?limit=0", headers=h).status_code == 422


def test_detail_etag_and_personal_data(client: TestClient, world: ApiWorld) -> None:
    case_id = int(str(world.scalar(
        "SELECT c.id FROM clearance_cases c JOIN parcel_land_users pl ON pl.parcel_id = "
        "c.parcel_id JOIN land_users u ON u.id = pl.land_user_id WHERE u.citizen_id IS NOT "
        "NULL AND u.phone IS NOT NULL ORDER BY c.id LIMIT 1")))
    for role, visible in (("staff", True), ("admin", True), ("leader", False),
                          ("field", False)):
        res = client.get(f"/api/cases/{case_id}", headers=world.auth(role))
        case = CaseDetailOut.model_validate(res.json())
        assert res.headers["etag"] == f'"{case.version}"'
        assert case.events and case.holders
        holder = case.holders[0]
        assert (holder.citizen_id is not None) is visible, role
        assert (holder.phone is not None) is visible, role
        assert holder.personal_data_redacted is not visible
        parcel = client.get(f"/api/parcels/{case.parcel_id}", headers=world.auth(role))
        assert parcel.headers["content-type"].startswith("application/geo+json")
        props = Feature.model_validate(parcel.json()).properties
        assert (props["holders"][0]["citizen_id"] is not None) is visible
        assert "'citizen_id': '0" not in str(props) or visible
    assert client.get("/api/cases/2147483000", headers=world.auth("leader")).status_code == 404


def test_stale_version_gets_409_with_current_state(client: TestClient, world: ApiWorld) -> None:
    case_id = _case(world, "inventoried", **{"project_id =": str(world.project_id)})
    h = world.auth("staff")
    version = client.get(f"/api/cases/{case_id}", headers=h).json()["version"]
    note = {"kind": "note", "occurred_on": TODAY, "note": "Người khác vừa sửa"}
    assert client.post(f"/api/cases/{case_id}/events", json=note, headers=h).status_code == 201
    step = {"kind": "step", "to_step": "plan_posted", "occurred_on": TODAY,
            **as_json(step_kwargs(CaseStep.PLAN_POSTED, dt.date.fromisoformat(TODAY)))}
    res = client.post(f"/api/cases/{case_id}/events", json=step,
                      headers={**h, "If-Match": f'"{version}"'})
    assert res.status_code == 409
    assert res.headers["content-type"].startswith("application/problem+json")
    body = res.json()
    assert body["extra"]["reason"] == "stale_version"
    current = CaseDetailOut.model_validate(body["extra"]["current"])
    assert current.version == version + 1 and current.step == "inventoried"
    missing = client.post(f"/api/cases/{case_id}/events", json=step, headers=h)
    assert missing.status_code == 428
    ok = client.post(f"/api/cases/{case_id}/events", json={**step, "version": version + 1},
                     headers=h)
    assert ok.status_code == 201, ok.text
    assert EventResultOut.model_validate(ok.json()).step == "plan_posted"
    assert ok.headers["etag"] == f'"{version + 2}"'


def test_idempotent_retries_write_once(client: TestClient, world: ApiWorld) -> None:
    case_id = _case(world, "plan_approved")
    h = {**world.auth("staff"), "Idempotency-Key": "may-tinh-bang-42"}
    before = world.scalar("SELECT count(*) FROM payments WHERE case_id = :c", c=case_id)
    payee = _payee(world, case_id)
    pay = {"payee_id": payee, "amount_vnd": 1_000_000, "paid_on": TODAY, "method": "cash",
           "voucher_no": "PC-1"}
    nobody = client.post(f"/api/cases/{case_id}/payments", json={
        k: v for k, v in pay.items() if k != "payee_id"}, headers=world.auth("staff"))
    assert nobody.status_code == 422 and nobody.json()["errors"][0]["loc"] == [
        "body", "payee_id"]
    first = client.post(f"/api/cases/{case_id}/payments", json=pay, headers=h)
    assert first.status_code == 201, first.text
    again = client.post(f"/api/cases/{case_id}/payments", json=pay, headers=h)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert world.scalar("SELECT count(*) FROM payments WHERE case_id = :c",
                        c=case_id) == before + 1
    other = client.post(f"/api/cases/{case_id}/payments", json={**pay, "amount_vnd": 2},
                        headers=h)
    assert other.status_code == 409
    assert other.json()["extra"]["reason"] == "idempotency_key_reused"
    result = PaymentResultOut.model_validate(first.json())
    floats = client.post(f"/api/cases/{case_id}/payments", json={**pay, "amount_vnd": 1.5},
                         headers=world.auth("staff"))
    assert floats.status_code == 422 and floats.json()["code"] == "validation_error"
    # a reversal, also idempotent
    rh = {**world.auth("staff"), "Idempotency-Key": "dao-1"}
    rev = client.post(f"/api/payments/{result.payment_id}/reversal",
                      json={"reason": "Nhập nhầm"}, headers=rh)
    assert rev.status_code == 201, rev.text
    assert PaymentResultOut.model_validate(rev.json()).paid_vnd == result.paid_vnd - 1_000_000
    assert client.post(f"/api/payments/{result.payment_id}/reversal",
                       json={"reason": "Nhập nhầm"}, headers=rh).json() == rev.json()
    twice = client.post(f"/api/payments/{result.payment_id}/reversal",
                        json={"reason": "Nhập nhầm"}, headers=world.auth("staff"))
    assert twice.status_code == 409


def test_events_idempotent_and_amounts(client: TestClient, world: ApiWorld) -> None:
    case_id = _case(world, "plan_approved", offset=1)
    h = {**world.auth("field"), "Idempotency-Key": "ghi-chu-1"}
    project = world.scalar("SELECT project_id FROM clearance_cases WHERE id = :c", c=case_id)
    if project != world.project_id:
        h = {**world.auth("staff"), "Idempotency-Key": "ghi-chu-1"}
    note = {"kind": "note", "occurred_on": TODAY, "note": "Hộ vắng nhà"}
    a = client.post(f"/api/cases/{case_id}/events", json=note, headers=h)
    b = client.post(f"/api/cases/{case_id}/events", json=note, headers=h)
    assert a.status_code == b.status_code == 201 and a.json() == b.json()
    assert world.scalar("SELECT count(*) FROM case_events WHERE idempotency_key = 'ghi-chu-1'"
                        ) == 1
    case = CaseDetailOut.model_validate(client.get(f"/api/cases/{case_id}",
                                                   headers=world.auth("staff")).json())
    households = [HouseholdOut.model_validate(h) for h in client.get(
        f"/api/cases/{case_id}/households", headers=world.auth("leader")).json()]
    planned = next(h for h in households if h.approved_vnd > 0)
    current = next(d for d in planned.decisions
                   if d.in_force and any(i.case_id == case_id for i in d.items))
    commune = world.scalar("SELECT m.name FROM clearance_cases c JOIN parcels p ON p.id ="
                           " c.parcel_id JOIN communes m ON m.code = p.commune_code"
                           " WHERE c.id = :c", c=case_id)
    issuer = ({"issuer_level": "district", "issuer_unit": "UBND huyện Cao Lộc"}
              if current.decision_date < dt.date(2025, 7, 1) else
              {"issuer_level": "commune", "issuer_unit": f"UBND xã {commune}"})
    amended = {"kind": "amendment", "amends_decision_id": current.id,
               "decision_no": "77/QĐ-UBND", "decision_date": current.decision_date.isoformat(),
               "signer": current.signer, **issuer, "items": [
                   {"case_id": case_id, "kind": "land", "quantity": "120.5", "unit": "m²",
                    "unit_price_vnd": 61_000, "legal_ground": "Bảng giá đất tỉnh Lạng Sơn"},
                   {"case_id": case_id, "kind": "support_job", "quantity": "120.5",
                    "unit": "m²", "unit_price_vnd": 91_500, "legal_ground": "NĐ 88/2024"}]}
    stale = client.post(f"/api/households/{planned.id}/decisions", json=amended,
                        headers={**world.auth("staff"), "If-Match": f'"{planned.version + 5}"'})
    assert stale.status_code == 409 and stale.json()["extra"]["reason"] == "stale_version"
    res = client.post(f"/api/households/{planned.id}/decisions", json=amended,
                      headers={**world.auth("staff"), "If-Match": f'"{planned.version}"'})
    if case.paid_vnd <= 7_350_500 + 11_025_750:
        assert res.status_code == 201, res.text
        assert world.scalar("SELECT approved_total_vnd FROM clearance_cases WHERE id = :c",
                            c=case_id) == 7_350_500 + 11_025_750
        after = HouseholdOut.model_validate(client.get(
            f"/api/households/{planned.id}", headers=world.auth("staff")).json())
        assert [d.in_force for d in after.decisions if d.id == current.id] == [False]
        assert after.version == planned.version + 1
    history = HistoryPageOut.model_validate(client.get(
        f"/api/cases/{case_id}/history", headers=world.auth("leader")).json())
    assert {e.source for e in history.items} >= {"event", "audit"}
    audit = next(e for e in history.items if e.source == "audit")
    assert audit.before and "recovered_geom" not in audit.before
    mine = HistoryPageOut.model_validate(client.get(
        "/api/users/t.staff/history?limit=5", headers=world.auth("leader")).json())
    assert mine.total >= 1 and len(mine.items) <= 5


def test_resettlement_allocation_with_history(client: TestClient, world: ApiWorld) -> None:
    h = world.auth("staff")
    waiting = client.get("/api/resettlement/waiting", headers=h).json()
    assert waiting, "the demo has households waiting for a plot"
    case_id = waiting[0]["id"]
    area = client.get("/api/resettlement/areas", headers=h).json()[0]
    assert area["free_plots"] > 0
    plots = client.get(f"/api/resettlement/areas/{area['id']}/plots", headers=h).json()
    free = next(p for p in plots if p["allocated_case_id"] is None)
    body = {"case_id": case_id, "plot_id": free["id"], "allocated_on": TODAY,
            "decision_no": "77/QĐ-UBND"}
    res = client.post("/api/resettlement/allocations", json=body, headers=h)
    assert res.status_code == 201, res.text
    allocation = AllocationOut.model_validate(res.json())
    again = client.post("/api/resettlement/allocations", json=body, headers=h)
    assert again.status_code == 409
    released = client.post(f"/api/resettlement/allocations/{allocation.id}/release",
                           json={"released_on": TODAY}, headers=h)
    assert released.status_code == 200 and released.json()["released_on"] == TODAY
    history = client.get(f"/api/resettlement/allocations?case={case_id}", headers=h).json()
    assert [a["id"] for a in history][-1] == allocation.id
    assert client.get(f"/api/resettlement/areas/{area['id']}/plots",
                      headers=world.auth("leader")).status_code == 200
