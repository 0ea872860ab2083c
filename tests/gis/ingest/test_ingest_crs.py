"""CRS: read from the file; when missing, recognised and confirmed, never guessed."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyproj import CRS
from sqlalchemy.orm import Session

from gis.core.crs import to_storage
from gis.core.errors import ImportRejected
from gis.ingest import import_parcels
from tests.gis.ingest.conftest import Spot
from tests.gis.ingest.helpers import count, parcel_frame, write


def test_missing_crs_names_candidate_and_flag(session: Session, spot: Spot,
                                             tmp_path: Path) -> None:
    path = write(parcel_frame(spot.commune, spot.x, spot.y).set_crs(None, allow_override=True),
                 tmp_path / "khong_prj.shp")
    assert not path.with_suffix(".prj").exists()
    with pytest.raises(ImportRejected) as err:
        import_parcels(session, path)
    assert err.value.extra["candidate"] == "EPSG:9215"
    assert "--crs EPSG:9215" in err.value.message_vi
    assert "TM-3" in err.value.message_vi
    assert count(session, "SELECT count(*) FROM surveys WHERE name = 'khong_prj'") == 0
    result = import_parcels(session, path, assume_crs="EPSG:9215")
    assert result.write is not None and result.write.inserted == 6


def test_utm48n_is_recognised(session: Session, spot: Spot, tmp_path: Path) -> None:
    utm = parcel_frame(spot.commune, spot.x, spot.y).to_crs(CRS.from_epsg(3405))
    path = write(utm.set_crs(None, allow_override=True), tmp_path / "utm.shp")
    with pytest.raises(ImportRejected) as err:
        import_parcels(session, path)
    assert err.value.extra["candidate"] == "EPSG:3405"
    result = import_parcels(session, path, assume_crs="EPSG:3405")
    assert result.write is not None and result.write.inserted == 6


def test_lonlat_without_crs_and_swapped(session: Session, spot: Spot, tmp_path: Path) -> None:
    wgs = parcel_frame(spot.commune, spot.x, spot.y).to_crs(4326)
    with pytest.raises(ImportRejected) as err:
        import_parcels(session, write(wgs.set_crs(None, allow_override=True),
                                      tmp_path / "lonlat.shp"))
    assert err.value.extra["candidate"] == "EPSG:4326"
    swapped = wgs.copy()
    swapped.geometry = swapped.geometry.map(
        lambda g: type(g)([(y, x) for x, y in g.exterior.coords]))
    with pytest.raises(ImportRejected) as err:
        import_parcels(session, write(swapped.set_crs(None, allow_override=True),
                                      tmp_path / "swapped.shp"))
    assert err.value.extra["code_detail"] == "crs_swapped"


def test_wgs84_file_is_projected_to_vn2000(session: Session, spot: Spot,
                                           tmp_path: Path) -> None:
    frame = parcel_frame(spot.commune, spot.x, spot.y).to_crs(4326)
    result = import_parcels(session, write(frame, tmp_path / "wgs.geojson"))
    assert result.write is not None and result.write.inserted == 6
    assert result.report.crs == "WGS 84"
    # the first square's lower-left corner lands back on its VN-2000 position (±1 mm)
    x, y = session.execute(__import__("sqlalchemy").text(
        "SELECT ST_XMin(geom), ST_YMin(geom) FROM parcels WHERE parcel_no = 1 AND"
        " survey_id = (SELECT id FROM surveys WHERE name = 'wgs')")).one()
    assert abs(x - spot.x) < 0.002 and abs(y - spot.y) < 0.002
    assert to_storage(106.7610, 21.8530) == pytest.approx((449262.451, 2417472.355), abs=1e-3)
