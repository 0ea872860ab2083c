"""OGC API – Features over HTTP (in-process): the documents, paging, filters, CRSs and
personal data, checked against the database."""

from __future__ import annotations

from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from pyproj import Transformer
from shapely.geometry import shape

from gis.core.crs import crs_for_srid
from gis.ogc.collections import COLLECTIONS
from tests.api.conftest import ApiWorld

EPSG_9215 = "http://www.opengis.net/def/crs/EPSG/0/9215"
EPSG_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def _all(client: TestClient, url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    features: list[dict[str, Any]] = []
    while url:
        res = client.get(url, headers=headers)
        assert res.status_code == 200, res.text
        body = res.json()
        assert body["numberReturned"] == len(body["features"])
        features += body["features"]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), "")
    return features


def test_landing_conformance_and_api_are_public(client: TestClient) -> None:
    landing = client.get("/ogc")
    assert landing.status_code == 200
    rels = {link["rel"]: link for link in landing.json()["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    conf = client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conf
    api = client.get("/ogc/api")
    assert api.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    doc = api.json()
    assert doc["openapi"].startswith("3.0")
    assert "/ogc/collections/parcels/items" in doc["paths"]
    assert all(p.startswith("/ogc") for p in doc["paths"])
    assert '"type": "null"' not in api.text  # 3.0 has no null type


def test_collections_need_a_signed_in_user(client: TestClient) -> None:
    res = client.get("/ogc/collections")
    assert res.status_code == 401
    assert res.headers["content-type"] == "application/problem+json"
    assert res.headers["www-authenticate"].startswith("Bearer")


def test_collections_describe_crs_and_extent(client: TestClient, world: ApiWorld) -> None:
    body = client.get("/ogc/collections", headers=world.auth("leader")).json()
    ids = [c["id"] for c in body["collections"]]
    assert ids == list(COLLECTIONS)
    parcels = next(c for c in body["collections"] if c["id"] == "parcels")
    assert parcels["storageCrs"] == EPSG_9215
    assert {CRS84, EPSG_9215, EPSG_4326} <= set(parcels["crs"])
    x1, y1, x2, y2 = parcels["extent"]["spatial"]["bbox"][0]
    assert 106 < x1 < x2 < 108 and 21 < y1 < y2 < 23  # Lạng Sơn, lon/lat


@pytest.mark.parametrize("collection", list(COLLECTIONS))
def test_every_collection_pages_through_all_its_rows(
        client: TestClient, world: ApiWorld, collection: str) -> None:
    c = COLLECTIONS[collection]
    expected = world.scalar(f"SELECT count(*) FROM {c.from_sql} WHERE {c.where_sql}")
    assert isinstance(expected, int) and expected > 0, collection
    limit = max(1, expected // 3)
    features = _all(client, f"/ogc/collections/{collection}/items?limit={limit}",
                    world.auth("staff"))
    ids = [f["id"] for f in features]
    assert len(ids) == expected == len(set(ids))
    assert ids == sorted(ids)
    first = client.get(f"/ogc/collections/{collection}/items?limit={limit}",
                       headers=world.auth("staff")).json()
    assert first["numberMatched"] == expected
    assert first["features"][0]["geometry"]["type"].endswith(c.geometry_type.replace(
        "Multi", ""))


def test_prev_link_returns_the_previous_page(client: TestClient, world: ApiWorld) -> None:
    headers = world.auth("staff")
    first = client.get("/ogc/collections/parcels/items?limit=7", headers=headers).json()
    nxt = next(link["href"] for link in first["links"] if link["rel"] == "next")
    second = client.get(nxt, headers=headers).json()
    prev = next(link["href"] for link in second["links"] if link["rel"] == "prev")
    again = client.get(prev, headers=headers).json()
    assert [f["id"] for f in again["features"]] == [f["id"] for f in first["features"]]
    assert not any(link["rel"] == "prev" for link in again["links"])


def test_crs_9215_is_the_stored_geometry_to_the_millimetre(
        client: TestClient, world: ApiWorld) -> None:
    res = client.get(f"/ogc/collections/parcels/items?limit=20&crs={EPSG_9215}",
                     headers=world.auth("leader"))
    assert res.headers["content-crs"] == f"<{EPSG_9215}>"
    for f in res.json()["features"]:
        wkt = world.scalar("SELECT ST_AsText(geom) FROM parcels WHERE id = :id", id=f["id"])
        stored = shapely.from_wkt(str(wkt))
        served = shape(f["geometry"])
        assert served.hausdorff_distance(stored) <= 0.0005 + 1e-9


def test_epsg_4326_is_lat_lon_and_crs84_lon_lat(client: TestClient, world: ApiWorld) -> None:
    headers = world.auth("leader")
    crs84 = client.get("/ogc/collections/communes/items?limit=1", headers=headers).json()
    latlon = client.get(f"/ogc/collections/communes/items?limit=1&crs={EPSG_4326}",
                        headers=headers).json()
    lon, lat = crs84["features"][0]["geometry"]["coordinates"][0][0][0]
    assert latlon["features"][0]["geometry"]["coordinates"][0][0][0] == [lat, lon]
    assert 106 < lon < 108 and 21 < lat < 23


def test_bbox_in_crs84_and_in_9215_select_the_same_parcels(
        client: TestClient, world: ApiWorld) -> None:
    x, y = world.scalar("SELECT ARRAY[ST_X(c), ST_Y(c)] FROM (SELECT ST_Centroid(geom) c "
                        "FROM parcels ORDER BY id LIMIT 1) s")  # type: ignore[misc]
    box = (x - 400, y - 300, x + 400, y + 300)
    expected = world.scalar("SELECT count(*) FROM parcels WHERE ST_Intersects(geom, "
                            "ST_MakeEnvelope(:a, :b, :c, :d, 9215))", a=box[0], b=box[1],
                            c=box[2], d=box[3])
    assert isinstance(expected, int) and expected > 0
    headers = world.auth("leader")
    in_9215 = _all(client, "/ogc/collections/parcels/items?limit=1000&bbox="
                   + ",".join(map(str, box)) + f"&bbox-crs={EPSG_9215}", headers)
    assert len(in_9215) == expected
    to84 = Transformer.from_crs(crs_for_srid(9215), crs_for_srid(4326), always_xy=True)
    lon1, lat1, lon2, lat2 = to84.transform_bounds(*box)
    in_84 = _all(client, f"/ogc/collections/parcels/items?limit=1000&bbox={lon1},{lat1},"
                 f"{lon2},{lat2}", headers)
    assert {f["id"] for f in in_9215} <= {f["id"] for f in in_84}


def test_attribute_filters_and_overdue(client: TestClient, world: ApiWorld) -> None:
    headers = world.auth("leader")
    step = world.scalar("SELECT step::text FROM clearance_cases GROUP BY step "
                        "ORDER BY count(*) DESC LIMIT 1")
    cases = _all(client, f"/ogc/collections/clearance-cases/items?step={step}&limit=1000",
                 headers)
    assert cases and all(f["properties"]["step"] == step for f in cases)
    assert len(cases) == world.scalar("SELECT count(*) FROM clearance_cases WHERE "
                                      "step::text = :s", s=step)
    overdue = _all(client, "/ogc/collections/clearance-cases/items?overdue=true&limit=1000",
                   headers)
    expected = world.scalar("SELECT count(*) FROM case_next_deadlines WHERE due_on < "
                            "(now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date")
    assert len(overdue) == expected
    bad = client.get("/ogc/collections/clearance-cases/items?step=flying", headers=headers)
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_query"
    unknown = client.get("/ogc/collections/parcels/items?colour=red", headers=headers)
    assert unknown.status_code == 400 and "colour" in unknown.json()["detail"]


def test_personal_data_only_for_staff_and_admin(client: TestClient, world: ApiWorld) -> None:
    case_id = world.scalar("SELECT c.id FROM clearance_cases c JOIN parcel_land_users pl "
                           "ON pl.parcel_id = c.parcel_id JOIN land_users u ON u.id = "
                           "pl.land_user_id WHERE u.citizen_id IS NOT NULL LIMIT 1")
    url = f"/ogc/collections/clearance-cases/items/{case_id}"
    for role, sees in (("admin", True), ("staff", True), ("leader", False), ("field", False)):
        props = client.get(url, headers=world.auth(role)).json()["properties"]
        assert props["holder_names"]
        assert props["personal_data_redacted"] is not sees
        assert (props["holder_citizen_ids"] is not None) is sees, role


def test_queryables_and_unknown_feature(client: TestClient, world: ApiWorld) -> None:
    headers = world.auth("leader")
    q = client.get("/ogc/collections/clearance-cases/queryables", headers=headers)
    assert q.headers["content-type"] == "application/schema+json"
    props = q.json()["properties"]
    assert props["step"]["enum"][0] == "not_started" and props["overdue"]["type"] == "boolean"
    missing = client.get("/ogc/collections/parcels/items/999999999", headers=headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_datetime_filters_on_update_time(client: TestClient, world: ApiWorld) -> None:
    headers = world.auth("leader")
    all_parcels = world.scalar("SELECT count(*) FROM parcels")
    none = client.get("/ogc/collections/parcels/items?datetime=../2000-01-01",
                      headers=headers).json()
    every = client.get("/ogc/collections/parcels/items?datetime=2000-01-01/..",
                       headers=headers).json()
    assert none["numberMatched"] == 0 and every["numberMatched"] == all_parcels
    bad = client.get("/ogc/collections/parcels/items?datetime=yesterday", headers=headers)
    assert bad.status_code == 400


def test_a_field_user_reads_only_the_assigned_project(client: TestClient, world: ApiWorld
                                                      ) -> None:
    mine = world.scalar("SELECT count(*) FROM clearance_cases WHERE project_id = :p",
                        p=world.project_id)
    cases = _all(client, "/ogc/collections/clearance-cases/items?limit=1000",
                 world.auth("field"))
    assert len(cases) == mine and {f["properties"]["project_code"] for f in cases} == {
        "CT-HNCL"}
    other = world.scalar("SELECT c.id FROM clearance_cases c JOIN projects p ON p.id = "
                         "c.project_id WHERE p.code <> 'CT-HNCL' LIMIT 1")
    hidden = client.get(f"/ogc/collections/clearance-cases/items/{other}",
                        headers=world.auth("field"))
    assert hidden.status_code == 404
    footprints = _all(client, "/ogc/collections/footprints/items", world.auth("field"))
    assert {f["properties"]["project_code"] for f in footprints} == {"CT-HNCL"}
    parcels = client.get("/ogc/collections/parcels/items?limit=1", headers=world.auth("field"))
    assert parcels.json()["numberMatched"] == world.scalar(
        "SELECT count(DISTINCT parcel_id) FROM clearance_cases WHERE project_id = :p",
        p=world.project_id)
