"""Authorization matrix: every role (and anonymous) × every endpoint.

Allowed roles must get past authentication and authorization (any status but 401/403:
requests are built so that writes stop at a domain check and change little); refused roles
get 403; anonymous callers get 401.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import PASSWORD, ApiWorld

ALL = frozenset({"admin", "staff", "leader", "field"})
WRITERS = frozenset({"admin", "staff"})
READERS = frozenset({"admin", "staff", "leader"})
ADMIN = frozenset({"admin"})
_seq = itertools.count()


@dataclass(frozen=True)
class Endpoint:
    """One route, how to call it, and who may."""

    method: str
    path: str
    allowed: frozenset[str]
    json: dict[str, Any] | None = None
    files: bool = False
    headers: dict[str, str] = field(default_factory=dict)


def endpoints(w: ApiWorld) -> list[Endpoint]:
    """Every API route of the app with a request that exercises its checks."""
    case = w.scalar("SELECT c.id FROM clearance_cases c WHERE c.project_id = :p "
                    "AND c.step = 'notified' ORDER BY c.id LIMIT 1", p=w.project_id)
    parcel = w.scalar("SELECT parcel_id FROM clearance_cases WHERE id = :c", c=case)
    sheet = w.scalar("SELECT commune_code || '/' || sheet_no || '/' || parcel_no FROM parcels "
                     "WHERE id = :p", p=parcel)
    commune, sheet_no, parcel_no = str(sheet).split("/")
    alignment = w.scalar("SELECT min(id) FROM alignments")
    area = w.scalar("SELECT min(id) FROM resettlement_areas")
    note = {"kind": "note", "occurred_on": "2026-01-05", "note": "Ma trận quyền"}
    pay = {"payee_id": 2147483000, "amount_vnd": 1000, "paid_on": "2026-01-05",
           "method": "cash"}
    household = w.scalar("SELECT min(household_id) FROM compensation_household_cases"
                         " WHERE case_id = :c", c=case)
    event = w.scalar("SELECT min(id) FROM case_events WHERE case_id <> :c", c=case)
    doc = w.scalar("SELECT coalesce(min(id), 2147483000) FROM case_documents")
    decision = {"decision_no": "1/QĐ-UBND", "decision_date": "2026-01-05", "signer": "x",
                "version": 1, "items": [{"case_id": case, "kind": "land", "quantity": "1",
                                         "unit": "m²", "unit_price_vnd": 1,
                                         "legal_ground": "x"}]}
    return [
        Endpoint("GET", "/api/auth/me", ALL),
        Endpoint("GET", "/api/projects", ALL),
        Endpoint("GET", f"/api/projects/{w.project_id}", ALL),
        Endpoint("GET", f"/api/projects/{w.project_id}/alignments", ALL),
        Endpoint("GET", f"/api/alignments/{alignment}", ALL),
        Endpoint("GET", f"/api/parcels?commune={commune}&sheet={sheet_no}&parcel={parcel_no}",
                 ALL),
        Endpoint("GET", f"/api/parcels/{parcel}", ALL),
        Endpoint("GET", "/api/cases?limit=5", ALL),
        Endpoint("GET", f"/api/cases/{case}", ALL),
        Endpoint("GET", f"/api/cases/{case}/history", ALL),
        Endpoint("POST", f"/api/cases/{case}/events", ALL - {"leader"}, json=note),
        Endpoint("POST", f"/api/cases/{case}/payments", WRITERS, json=pay),
        Endpoint("POST", "/api/payments/2147483000/reversal", WRITERS, json={"reason": "x"}),
        Endpoint("GET", f"/api/cases/{case}/households", ALL),
        Endpoint("POST", f"/api/cases/{case}/households", WRITERS),
        Endpoint("GET", f"/api/households/{household}", ALL),
        Endpoint("POST", f"/api/households/{household}/decisions", WRITERS, json=decision),
        Endpoint("POST", f"/api/households/{household}/payees", WRITERS,
                 json={"kind": "heir", "full_name": "x", "version": 1}),
        Endpoint("POST", f"/api/households/{household}/payments", WRITERS, json={
            "payee_id": 2147483000, "amount_vnd": 1, "paid_on": "2026-01-05"}),
        Endpoint("POST", "/api/cases/bulk-steps", WRITERS, files=True),
        Endpoint("POST", f"/api/cases/{case}/events/{event}/documents", ALL - {"leader"},
                 files=True),
        Endpoint("GET", f"/api/cases/{case}/documents", ALL),
        Endpoint("GET", f"/api/documents/{doc}", ALL),
        Endpoint("GET", "/api/resettlement/areas", ALL),
        Endpoint("GET", f"/api/resettlement/areas/{area}/plots", ALL),
        Endpoint("GET", "/api/resettlement/allocations", ALL),
        Endpoint("GET", "/api/resettlement/waiting", ALL),
        Endpoint("POST", "/api/resettlement/allocations", WRITERS,
                 json={"case_id": case, "plot_id": 2147483000, "allocated_on": "2026-01-05"}),
        Endpoint("POST", "/api/resettlement/allocations/2147483000/release", WRITERS,
                 json={"released_on": "2026-01-05"}),
        *import_endpoints(),
        Endpoint("GET", "/api/users", frozenset({"admin"})),
        Endpoint("POST", "/api/users", frozenset({"admin"}),
                 json={"username": "", "role": "leader", "password": PASSWORD}),
        Endpoint("GET", "/api/users/t.staff/history", ALL - {"field"}),
        Endpoint("GET", f"/api/exports/parcels?format=xlsx&project={w.project_id}"
                 "&step=handed_over", ALL),
        Endpoint("GET", f"/api/exports/cases?format=kml&project={w.project_id}"
                 "&step=plan_approved", ALL),
        Endpoint("GET", f"/api/projects/{w.project_id}/disbursement?as_of=2025-12-31", ALL),
        Endpoint("GET", f"/api/projects/{w.project_id}/disbursement/records?year=2025", ALL),
        Endpoint("POST", f"/api/projects/{w.project_id}/disbursement/plans", WRITERS,
                 json={"year": 2025, "amount_vnd": 1, "decision_no": "1/QĐ-UBND",
                       "decision_date": "2025-01-02", "version": 0}),
        Endpoint("POST", f"/api/projects/{w.project_id}/disbursement/entries", WRITERS,
                 json={"amount_vnd": 10**15, "disbursed_on": "2025-03-02"}),
        Endpoint("POST", "/api/disbursement/entries/2147483000/reversal", WRITERS,
                 json={"reason": "x"}),
        Endpoint("PUT", f"/api/projects/{w.project_id}/disbursement/targets/2025", WRITERS,
                 json={"months": [{"month": 1, "cumulative_pct": 1}],
                       "committed_on": "2025-01-02", "version": 0}),
        Endpoint("GET", "/api/disbursement/national-rates?year=2025", ALL),
        Endpoint("PUT", "/api/disbursement/national-rates/2025/1", WRITERS,
                 json={"rate_pct": 1, "published_on": "2025-02-06", "version": 0}),
        Endpoint("POST", "/api/auth/logout", ALL),
        *committee_endpoints(w),
    ]


def committee_endpoints(w: ApiWorld) -> list[Endpoint]:
    """The committee's routes: readers are admin/staff/leader (and linked users), writers the
    standing agency (none of the matrix accounts is linked to it) and admin."""
    task = w.scalar("SELECT min(id) FROM committee_tasks")
    stale = {"version": 999}
    return [
        Endpoint("GET", "/api/committee/board", READERS),
        Endpoint("GET", "/api/committee/register/2026", READERS),
        Endpoint("POST", "/api/committee/register/2026/CT-HNCL", ADMIN,
                 json={"action": "change", "decision_no": "sai", "decision_date": "2026-02-01",
                       "version": 1}),
        Endpoint("GET", "/api/committee/plans/2026/CT-HNCL", READERS),
        Endpoint("POST", "/api/committee/plans/2026/CT-HNCL", ADMIN,
                 json={"months": [{"month": 1, "handed_over_ha": 2},
                                  {"month": 2, "handed_over_ha": 1}],
                       "submitted_on": "2026-02-01", "version": 2}),
        Endpoint("GET", "/api/committee/tasks", READERS),
        Endpoint("POST", "/api/committee/meetings", ADMIN,
                 json={"held_on": "2999-01-01", "kind": "ad_hoc", "title": "Họp"}),
        Endpoint("POST", "/api/committee/meetings/2147483000/tasks", ADMIN,
                 json={"body": "Việc", "unit_id": 1, "due_on": "2026-12-01"}),
        Endpoint("POST", f"/api/committee/tasks/{task}/progress", ADMIN,
                 json={"note": "Tiến độ", **stale}),
        Endpoint("POST", f"/api/committee/tasks/{task}/done", ADMIN,
                 json={"done_on": "2026-07-01", "evidence_no": "1/BC-X",
                       "evidence_date": "2026-07-01", **stale}),
        Endpoint("POST", f"/api/committee/tasks/{task}/reopen", ADMIN,
                 json={"reason": "Chưa đủ", **stale}),
        Endpoint("GET", f"/api/committee/tasks/{task}/cases", READERS),
    ]


def import_endpoints() -> list[Endpoint]:
    """The staff import routes; the upload id names no upload (404 past the role check)."""
    base = "/api/imports/" + "0" * 32
    return [
        Endpoint("POST", "/api/imports", WRITERS, files=True),
        Endpoint("GET", base, WRITERS),
        Endpoint("POST", f"{base}/check", WRITERS, json={}),
        Endpoint("POST", f"{base}/confirm", WRITERS, json={"check_id": "x"}),
        Endpoint("GET", f"{base}/report.xlsx", WRITERS),
        Endpoint("GET", f"{base}/report.geojson", WRITERS),
    ]


def _call(client: TestClient, ep: Endpoint, headers: dict[str, str]) -> int:
    kwargs: dict[str, Any] = {"headers": {**ep.headers, **headers}}
    if ep.json is not None:
        body = dict(ep.json)
        if body.get("username") == "":
            body["username"] = f"t.matrix{next(_seq)}"
        kwargs["json"] = body
    if ep.files:
        kwargs["files"] = {"file": ("x.xlsx", io.BytesIO(b"not excel"), "application/zip")}
    return client.request(ep.method, ep.path, **kwargs).status_code


def _token(client: TestClient, role: str) -> dict[str, str]:
    res = client.post("/api/auth/token", json={"username": f"t.{role}", "password": PASSWORD})
    return {"Authorization": f"Bearer {res.json()['access_token']}"}


@pytest.mark.parametrize("role", ["anonymous", "admin", "staff", "leader", "field"])
def test_authorization_matrix(client: TestClient, world: ApiWorld, role: str) -> None:
    table = endpoints(world)
    paths = client.get("/openapi.json").json()["paths"]
    routes = [(m, p) for p, ops in paths.items() for m in ops
              if p.startswith("/api/") and p not in {"/api/auth/login", "/api/auth/token"}]
    assert len(routes) == len(table), "every API route must be in the matrix"
    wrong = []
    for ep in table:
        headers = {} if role == "anonymous" else (
            _token(client, role) if ep.path.endswith("logout") else world.auth(role))
        status = _call(client, ep, headers)
        if role == "anonymous":
            expected_ok = status == 401
        elif role in ep.allowed:
            expected_ok = status not in (401, 403) and status < 500
        else:
            expected_ok = status == 403
        if not expected_ok:
            wrong.append((ep.method, ep.path, status))
    assert wrong == []


def test_field_writes_only_in_assigned_projects(client: TestClient, world: ApiWorld) -> None:
    case = world.scalar("SELECT min(id) FROM clearance_cases WHERE project_id = :p",
                        p=world.project_id)
    note = {"kind": "note", "occurred_on": "2026-01-06", "note": "Ngoài địa bàn"}
    res = client.post(f"/api/cases/{case}/events", json=note, headers=world.auth("field2"))
    assert res.status_code == 403 and res.json()["extra"]["reason"] == "out_of_scope"
    step = {"kind": "step", "to_step": "notified", "occurred_on": "2026-01-06", "version": 1}
    res = client.post(f"/api/cases/{case}/events", json=step, headers=world.auth("field"))
    assert res.status_code == 403 and res.json()["extra"]["reason"] == "role_not_allowed"
