"""The parcel tile set described for GIS clients: TileJSON / metadata.json and the style,
read by GDAL's MVT driver from a real ``gpmb serve``."""

from __future__ import annotations

import math
from collections.abc import Iterator

import httpx
import mapbox_vector_tile
import pyogrio
import pytest
from fastapi.testclient import TestClient

from gis.maps.tilejson import COMMUNE_FIELDS, PARCEL_FIELDS
from tests.api.conftest import PASSWORD, ApiWorld


def test_tilejson_describes_the_tiles_it_points_at(client: TestClient, world: ApiWorld
                                                   ) -> None:
    assert client.get("/tiles/parcels/metadata.json").status_code == 401
    doc = client.get("/tiles/parcels/tilejson.json?project=CT-HNCL",
                     headers=world.auth("leader")).json()
    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"][0].endswith("/tiles/parcels/{z}/{x}/{y}.pbf?project=CT-HNCL")
    west, south, east, north = doc["bounds"]
    assert 106 < west < east < 108 and 21 < south < north < 23
    layers = {layer["id"]: layer for layer in doc["vector_layers"]}
    assert layers["parcels"]["minzoom"] == layers["communes"]["maxzoom"] + 1
    missing = client.get("/tiles/parcels/metadata.json?project=KHONG-CO",
                         headers=world.auth("leader"))
    assert missing.status_code == 404


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def _centre(world: ApiWorld) -> tuple[float, float]:
    lon, lat = world.scalar("SELECT ARRAY[ST_X(c), ST_Y(c)] FROM (SELECT ST_Transform("
                            "ST_Centroid(geom), 4326) c FROM parcels ORDER BY id LIMIT 1) s"
                            )  # type: ignore[misc]
    return lon, lat


def test_the_fields_are_those_of_real_tiles(client: TestClient, world: ApiWorld) -> None:
    # a session cookie: the tile endpoint itself reads the browser session
    res = client.post("/api/auth/login", json={"username": "t.leader", "password": PASSWORD})
    assert res.status_code == 200
    try:
        lon, lat = _centre(world)
        for z, layer, fields in ((16, "parcels", PARCEL_FIELDS), (10, "communes",
                                                                  COMMUNE_FIELDS)):
            x, y = _tile_of(lon, lat, z)
            tile = client.get(f"/tiles/parcels/{z}/{x}/{y}.pbf")
            assert tile.status_code == 200, tile.text
            decoded = mapbox_vector_tile.decode(tile.content)
            seen = {k for f in decoded[layer]["features"] for k in f["properties"]}
            assert seen == set(fields), layer
    finally:
        client.cookies.clear()


def test_style_colours_parcels_by_step(client: TestClient, world: ApiWorld) -> None:
    style = client.get("/tiles/parcels/style.json", headers=world.auth("field")).json()
    assert style["version"] == 8
    assert style["sources"]["gpmb"]["url"].endswith("/tiles/parcels/tilejson.json")
    fill = next(layer for layer in style["layers"] if layer["id"] == "parcels-fill")
    assert "handed_over" in fill["paint"]["fill-color"]


@pytest.fixture
def gdal_session(api_server: str) -> Iterator[None]:
    """GDAL sends a leader's session cookie (the tile endpoint reads browser sessions)."""
    res = httpx.post(f"{api_server}/api/auth/login", timeout=30,
                     json={"username": "t.leader", "password": PASSWORD})
    assert res.status_code == 200, res.text
    cookie = "; ".join(f"{k}={v}" for k, v in res.cookies.items())
    options = {"GDAL_HTTP_COOKIE": cookie, "GDAL_HTTP_TIMEOUT": "60",
               "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": None}
    pyogrio.set_gdal_config_options(options)
    yield
    pyogrio.set_gdal_config_options(dict.fromkeys(options))


def test_gdal_mvt_reads_the_tile_set(api_server: str, world: ApiWorld, gdal_session: None
                                     ) -> None:
    source = f"MVT:/vsicurl/{api_server}/tiles/parcels/14"
    layers = dict(pyogrio.list_layers(source))
    assert "parcels" in layers
    info = pyogrio.read_info(source, layer="parcels")
    assert set(PARCEL_FIELDS) <= set(info["fields"])
    frame = pyogrio.read_dataframe(source, layer="parcels")
    every = world.scalar("SELECT array_agg(id ORDER BY id) FROM parcels")
    assert set(frame["parcel_id"].astype(int)) == set(every)  # type: ignore[arg-type]
    assert frame.crs.to_epsg() == 3857
