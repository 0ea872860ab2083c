"""Authorization matrix, second axis: role × scope × route — pages, tiles, field feeds.

The scoped accounts of ``scoped_world.py`` signed in with a session cookie: a case page
outside their scope is 404, the case list, tiles (decoded) and field JSON hold only their
scope, project pages of other projects are 404, whole-project reports are refused to an
account limited to some communes, and page or field writes outside the scope are refused
with ``out_of_scope``.
"""

from __future__ import annotations

from typing import Any

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient

from gis.maps import tiles
from tests.api.conftest import ApiWorld
from tests.api.scoped_world import (
    ACCOUNTS,
    OUT_OF_SCOPE,
    ScopeWorld,
    cookie_session,
    parcel_of,
    written,
)


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
    h = {**cookie_session(client, acc.username), "Accept": "text/html"}
    out, parcel = acc.outside, parcel_of(world, acc.outside)
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
    inside = _tile_features(client, h, world, parcel_of(world, acc.inside))
    assert any(f["properties"]["parcel_id"] == parcel_of(world, acc.inside) for f in inside)
    if name == "staff-project":
        assert client.get("/projects/CA-LSN/map", headers=h).status_code == 404
        assert client.get("/projects/CA-LSN/dashboard", headers=h).status_code == 404
        assert client.get("/projects/CA-LSN/cases", headers=h).status_code == 404
        assert client.get("/projects/CT-HNCL/dashboard", headers=h).status_code == 200
    else:
        for report in ("summary.pdf", "progress.xlsx"):
            res = client.get(f"/projects/CT-HNCL/reports/{report}", headers=h)
            assert res.status_code == 403, report
            assert "chỉ dành cho tài khoản được giao cả dự án" in res.text  # an error page


@pytest.mark.parametrize("name", ["staff-commune", "staff-project"])
def test_page_forms_outside_the_scope_areassert_out_of_scope(
        client: TestClient, world: ApiWorld, scopes: ScopeWorld, name: str) -> None:
    acc = scopes.accounts[name]
    h = cookie_session(client, acc.username)
    out = acc.outside
    before = written(world, out)
    version = str(before[-1])
    form = {"csrf_token": h["X-CSRF-Token"], "version": version, "kind": "complaint_filed",
            "occurred_on": "2026-01-05", "note": "Ngoài phạm vi", "idem": f"scope-{name}"}
    res = client.post(f"/cases/{out}/side-events", data=form,
                      headers={"Cookie": h["Cookie"], "Accept": "text/html"})
    assert res.status_code == 403 and "phân công" in res.text
    assert written(world, out) == before


def test_field_user_scoped_to_a_commune_writes_only_there(
        client: TestClient, world: ApiWorld, scopes: ScopeWorld) -> None:
    acc = scopes.accounts["field-commune"]
    h = cookie_session(client, acc.username)
    before = written(world, acc.outside)
    res = client.post(f"/field/api/cases/{acc.outside}/notes", json={"note": "Ngoài xã"},
                      headers=h)
    assert res.status_code == 403 and res.json()["code"] == OUT_OF_SCOPE
    assert written(world, acc.outside) == before
    res = client.post(f"/field/api/cases/{acc.inside}/notes", json={"note": "Trong xã"},
                      headers=h)
    assert res.status_code == 201, res.text
