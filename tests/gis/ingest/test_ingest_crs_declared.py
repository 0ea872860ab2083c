"""A declared CRS is trusted: a WGS 84 world Shapefile with a valid .prj (its longitudes
reach 180.00000000000006) is told it lies outside Lạng Sơn, not that it declares no CRS;
a .prj naming TM-3 107°15' on coordinates that are VN-2000 / UTM 48N gets a hint naming
EPSG:3405. Files written by GDAL (pyogrio)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from pyproj import CRS
from shapely.geometry import box
from sqlalchemy.orm import Session

from gis.core.crs import vn2000_tm3_107_15
from gis.core.errors import ImportRejected
from gis.ingest import import_parcels
from tests.gis.ingest.conftest import Spot
from tests.gis.ingest.helpers import parcel_frame, write


def _rejection(session: Session, path: Path) -> tuple[str, list[str]]:
    with pytest.raises(ImportRejected) as info:
        import_parcels(session, path)
    report = info.value.extra.get("report")
    return info.value.message_vi, [p.message_vi for p in report.errors] if report else []


def test_world_wgs84_shapefile_is_outside_lang_son(session: Session, spot: Spot,
                                                   tmp_path: Path) -> None:
    geoms = [box(170.0, -10.0, 180.00000000000006, 10.0), box(-180.0, -60.0, -170.0, -50.0),
             box(0.0, 40.0, 10.0, 50.0)]
    frame = gpd.GeoDataFrame({"MaXa": [spot.commune] * 3, "SoTo": [1, 1, 1],
                              "SoThua": [1, 2, 3], "DienTich": [1e6] * 3,
                              "LoaiDat": ["RSX"] * 3}, geometry=geoms, crs=CRS.from_epsg(4326))
    path = write(frame, tmp_path / "the_gioi.shp")
    assert path.with_suffix(".prj").read_text().startswith("GEOGCS")
    message, errors = _rejection(session, path)
    text = " ".join([message, *errors])
    assert "không khai báo hệ toạ độ" not in text
    outside = [e for e in errors if e.startswith("Toàn bộ dữ liệu của tệp nằm ngoài tỉnh")]
    assert len(outside) == 1 and "WGS 84" in outside[0] and "180.00°" in outside[0]


def test_wrong_prj_names_the_likely_crs(session: Session, spot: Spot, tmp_path: Path) -> None:
    frame = parcel_frame(spot.commune, spot.x, spot.y, crs=vn2000_tm3_107_15())
    utm = frame.to_crs(CRS.from_epsg(3405))  # the surveyor's numbers are UTM 48N…
    path = write(utm.set_crs(vn2000_tm3_107_15(), allow_override=True),  # …the .prj TM-3
                 tmp_path / "sai_prj.shp")
    _, errors = _rejection(session, path)
    outside = [e for e in errors if e.startswith("Toàn bộ dữ liệu của tệp nằm ngoài tỉnh")]
    assert len(outside) == 1 and "EPSG:3405" in outside[0] and ".prj" in outside[0]
    assert "--crs EPSG:3405" in outside[0]
