"""Idempotency keys belong to one user; tile sessions end at sign-out and when an account
is disabled, at once (not after the tile endpoint's session cache expires)."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gis.access.accounts import create_user, set_active
from gis.access.session_cache import TTL_S, cache_of
from gis.core.domain import Role
from gis.db.engine import session_factory
from gis.maps import tiles
from tests.api.conftest import PASSWORD, ApiWorld


def _case(world: ApiWorld, where: str) -> int:
    found = world.scalar(f"SELECT min(id) FROM clearance_cases WHERE {where}")
    assert found is not None, where
    return int(str(found))


def test_an_idempotency_key_never_replays_another_users_request(
        client: TestClient, world: ApiWorld) -> None:
    case = _case(world, "step = 'notified'")
    note = {"kind": "note", "occurred_on": "2026-01-08", "note": "Cùng mã, người khác"}
    key = {"Idempotency-Key": "khoa-dung-chung-1"}
    first = client.post(f"/api/cases/{case}/events", json=note,
                        headers={**world.auth("admin"), **key})
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    other = client.post(f"/api/cases/{case}/events", json=note,
                        headers={**world.auth("staff"), **key})
    assert other.status_code == 201, other.text
    assert "Idempotent-Replayed" not in other.headers
    assert other.json()["event_id"] != first.json()["event_id"]
    changed = client.post(f"/api/cases/{case}/events", json={**note, "note": "Khác hẳn"},
                          headers={**world.auth("field"), **key})
    assert changed.status_code in (201, 403), changed.text  # never a 409 over admin's key
    again = client.post(f"/api/cases/{case}/events", json=note,
                        headers={**world.auth("admin"), **key})
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["event_id"] == first.json()["event_id"]
    recorded = world.scalar("SELECT count(*) FROM case_events WHERE idempotency_key = :k",
                            k=key["Idempotency-Key"])
    assert recorded == 2 + (changed.status_code == 201)


def _payee_owed(client: TestClient, world: ApiWorld, case: int, at_least: int) -> int:
    """A payee of the case's households still owed ``at_least`` VND of their share."""
    for household in client.get(f"/api/cases/{case}/households",
                                headers=world.auth("admin")).json():
        detail = client.get(f"/api/households/{household['id']}",
                            headers=world.auth("admin")).json()
        for payee in detail["payees"]:
            owed = payee["share_vnd"] - payee["paid_vnd"] - payee["deposited_vnd"]
            if owed >= at_least:
                return int(payee["id"])
    raise AssertionError(f"no payee of case {case} is owed {at_least} VND")


def test_a_payment_key_is_each_users_own(client: TestClient, world: ApiWorld) -> None:
    case = _case(world, "step IN ('plan_approved', 'decided') "
                 "AND approved_total_vnd - paid_vnd >= 10000")
    payee = _payee_owed(client, world, case, 10_000)
    pay = {"payee_id": payee, "amount_vnd": 1000, "paid_on": "2026-01-08", "method": "cash"}
    key = {"Idempotency-Key": "chi-tra-dung-chung-1"}
    paid_before = int(str(world.scalar("SELECT paid_vnd FROM clearance_cases WHERE id = :c",
                                       c=case)))
    first = client.post(f"/api/cases/{case}/payments", json=pay,
                        headers={**world.auth("admin"), **key})
    assert first.status_code == 201, first.text
    other = client.post(f"/api/cases/{case}/payments", json=pay,
                        headers={**world.auth("staff"), **key})
    assert other.status_code == 201 and "Idempotent-Replayed" not in other.headers
    assert other.json()["payment_id"] != first.json()["payment_id"]
    again = client.post(f"/api/cases/{case}/payments", json=pay,
                        headers={**world.auth("staff"), **key})
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["payment_id"] == other.json()["payment_id"]
    paid = int(str(world.scalar("SELECT paid_vnd FROM clearance_cases WHERE id = :c", c=case)))
    assert paid == paid_before + 2000


@pytest.fixture
def tile_path(world: ApiWorld) -> str:
    row = world.scalar(
        "SELECT ST_X(pt) || ',' || ST_Y(pt) FROM (SELECT ST_Transform(ST_PointOnSurface(p.geom),"
        " 4326) AS pt FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id"
        " ORDER BY c.id LIMIT 1) s")
    lon, lat = (float(v) for v in str(row).split(","))
    x, y = tiles.tile_for_lonlat(16, lon, lat)
    return f"/tiles/parcels/16/{x}/{y}.pbf"


def _sign_in(client: TestClient, username: str) -> dict[str, str]:
    client.cookies.clear()
    res = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert res.status_code == 200, res.text
    token = res.cookies.get("gpmb_session")
    client.cookies.clear()
    return {"Cookie": f"gpmb_session={token}", "X-CSRF-Token": res.json()["csrf_token"]}


def _until_refused(client: TestClient, path: str, headers: dict[str, str],
                   limit_s: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < limit_s:
        if client.get(path, headers=headers).status_code == 401:
            return time.monotonic() - start
        time.sleep(0.02)
    raise AssertionError(f"tiles still served {limit_s} s later")


def test_tiles_stop_at_sign_out_and_when_the_account_is_disabled(
        client: TestClient, api_engine: Engine, tile_path: str) -> None:
    with session_factory(api_engine).begin() as s:
        create_user(s, "sc.tiles", Role.STAFF, PASSWORD)
    cache = cache_of(client.app.state)  # type: ignore[attr-defined]
    deadline = time.monotonic() + 10
    while not cache.listening and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cache.listening, "the app listens for gpmb_auth"

    h = _sign_in(client, "sc.tiles")
    assert client.get(tile_path, headers=h).status_code == 200
    assert client.get(tile_path, headers=h).status_code == 200  # from the session cache
    assert client.post("/api/auth/logout", headers=h).status_code == 204
    assert client.get(tile_path, headers=h).status_code == 401  # at once

    h = _sign_in(client, "sc.tiles")
    assert client.get(tile_path, headers=h).status_code == 200
    with session_factory(api_engine).begin() as s:  # as `gpmb user disable` does it
        set_active(s, "sc.tiles", active=False)
    waited = _until_refused(client, tile_path, h, TTL_S)
    assert waited < 1.0, waited
    with session_factory(api_engine).begin() as s:
        set_active(s, "sc.tiles", active=True)
