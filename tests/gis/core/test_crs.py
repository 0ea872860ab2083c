"""VN-2000 / TM-3 107-15 (EPSG:9215) in pyproj and in PostGIS."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from gis.core.crs import format_chainage, to_storage, to_wgs84

LAT, LON = 21.8530, 106.7610
E, N = 449262.451, 2417472.355


def test_reference_point_forward_within_1cm() -> None:
    e, n = to_storage(LON, LAT)
    assert math.hypot(e - E, n - N) < 0.01


def test_reference_point_inverse_within_1cm() -> None:
    lon, lat = to_wgs84(E, N)
    e, n = to_storage(lon, lat)
    assert math.hypot(e - E, n - N) < 0.01
    assert abs(lon - LON) < 1e-7 and abs(lat - LAT) < 1e-7


def test_postgis_agrees_with_pyproj(engine: Engine) -> None:
    with engine.connect() as conn:
        e, n = conn.execute(text(
            "SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Transform(ST_SetSRID("
            "ST_MakePoint(:lon, :lat), 4326), 9215) AS g) t"), {"lon": LON, "lat": LAT}).one()
        lon, lat = conn.execute(text(
            "SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Transform(ST_SetSRID("
            "ST_MakePoint(:e, :n), 9215), 4326) AS g) t"), {"e": E, "n": N}).one()
    assert math.hypot(e - E, n - N) < 0.01
    assert abs(lon - LON) < 1e-7 and abs(lat - LAT) < 1e-7


def test_spatial_ref_sys_row(engine: Engine) -> None:
    with engine.connect() as conn:
        auth, proj4 = conn.execute(text(
            "SELECT auth_name, proj4text FROM spatial_ref_sys WHERE srid = 9215")).one()
    assert auth == "EPSG"
    assert "+lon_0=107.25" in proj4 and "+k=0.9999" in proj4 and "+towgs84=" in proj4


@settings(max_examples=200, deadline=None)
@given(lon=st.floats(106.0, 107.4), lat=st.floats(21.3, 22.5))
def test_round_trip_anywhere_in_lang_son(lon: float, lat: float) -> None:
    """WGS 84 -> VN-2000 -> WGS 84 closes within 1 cm (the Helmert inverse is iterative)."""
    e, n = to_storage(lon, lat)
    back_e, back_n = to_storage(*to_wgs84(e, n))
    assert math.hypot(back_e - e, back_n - n) < 0.01


def test_chainage_format() -> None:
    assert format_chainage(12350.4) == "Km12+350"
    assert format_chainage(0) == "Km0+000"
    assert format_chainage(43430) == "Km43+430"
