"""Coordinate reference systems used by GPMB, defined once.

Cadastral data in Lạng Sơn is in VN-2000 / TM-3 107-15 (EPSG:9215). PostGIS 3.3 on
Debian 12 does not ship it in ``spatial_ref_sys``, so a migration registers the
definition below. The datum shift is EPSG:6960 ("VN-2000 to WGS 84 (2)"), a
coordinate-frame Helmert transformation; PROJ strings use the position-vector
convention, hence the rotations with their signs flipped.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pyproj import CRS, Transformer

STORAGE_SRID = 9215
"""SRID of every stored geometry: legal areas are plane areas in this CRS."""

WGS84_SRID = 4326
WEB_MERCATOR_SRID = 3857
VN2000_UTM48N_SRID = 3405

# EPSG:6960, coordinate frame: tx ty tz (m), rx ry rz (arc-seconds), ds (ppm).
_EPSG_6960_COORDINATE_FRAME = (
    -191.90441429,
    -39.30318279,
    -111.45032835,
    -0.00928836,
    0.01975479,
    -0.00427372,
    0.252906278,
)


def _towgs84_position_vector() -> str:
    tx, ty, tz, rx, ry, rz, ds = _EPSG_6960_COORDINATE_FRAME
    return ",".join(f"{v:.9f}".rstrip("0").rstrip(".") for v in (tx, ty, tz, -rx, -ry, -rz, ds))


VN2000_TM3_107_15_PROJ4 = (
    "+proj=tmerc +lat_0=0 +lon_0=107.25 +k=0.9999 +x_0=500000 +y_0=0 "
    f"+ellps=WGS84 +towgs84={_towgs84_position_vector()} +units=m +no_defs"
)
"""PROJ definition of EPSG:9215 with the EPSG:6960 datum shift, as registered in PostGIS."""


@lru_cache(maxsize=1)
def vn2000_tm3_107_15() -> CRS:
    """Return EPSG:9215 (VN-2000 / TM-3 107-15) bound to WGS 84 through EPSG:6960."""
    return CRS.from_proj4(VN2000_TM3_107_15_PROJ4)


def vn2000_srtext() -> str:
    """WKT (GDAL flavour, as PostGIS expects) for the ``spatial_ref_sys`` row."""
    wkt = CRS.from_epsg(STORAGE_SRID).to_wkt("WKT1_GDAL")
    # EPSG's own WKT has no datum shift; add TOWGS84 after the spheroid, as GDAL does.
    spheroid = r"(SPHEROID\[[^\[\]]*(?:\[[^\[\]]*\])?[^\[\]]*\])"
    return re.sub(spheroid, rf"\1,TOWGS84[{_towgs84_position_vector()}]", wkt, count=1)


def crs_for_srid(srid: int) -> CRS:
    """Return the pyproj CRS for an SRID, using GPMB's definition for EPSG:9215."""
    if srid == STORAGE_SRID:
        return vn2000_tm3_107_15()
    return CRS.from_epsg(srid)


@lru_cache(maxsize=32)
def transformer(src_srid: int, dst_srid: int) -> Transformer:
    """A cached, thread-safe-to-share transformer between two SRIDs (x=east, y=north)."""
    return Transformer.from_crs(crs_for_srid(src_srid), crs_for_srid(dst_srid), always_xy=True)


def to_storage(lon: float, lat: float) -> tuple[float, float]:
    """Project a WGS 84 longitude/latitude to VN-2000 TM-3 107-15 easting/northing."""
    e, n = transformer(WGS84_SRID, STORAGE_SRID).transform(lon, lat)
    return float(e), float(n)


def to_wgs84(easting: float, northing: float) -> tuple[float, float]:
    """Project VN-2000 TM-3 107-15 easting/northing to WGS 84 longitude/latitude."""
    lon, lat = transformer(STORAGE_SRID, WGS84_SRID).transform(easting, northing)
    return float(lon), float(lat)


def format_chainage(metres: float) -> str:
    """Format a distance along an alignment the Vietnamese way: 12350.4 -> 'Km12+350'."""
    total = round(metres)
    sign = "-" if total < 0 else ""
    km, m = divmod(abs(total), 1000)
    return f"{sign}Km{km}+{m:03d}"
