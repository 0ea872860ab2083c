"""DXF and DGN v7 drawings written by GDAL: closed polylines/shapes/hatches become parcels,
numbered by the text labels inside them and the sheet title; no CRS in the file, so the
CRS is recognised and must be confirmed, in VN-2000 and in WGS 84."""

from __future__ import annotations

import subprocess
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString, Point
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core.crs import STORAGE_SRID, WGS84_SRID, transformer
from gis.core.errors import ImportRejected
from gis.ingest import import_parcels
from gis.ingest.cad import parse_label, read_cad
from tests.gis.ingest.conftest import Spot
from tests.gis.ingest.helpers import SIDE, square


def _label(t: str) -> str:
    return f'LABEL(f:"Arial",t:"{t}",s:2g)'


def _drawing(spot: Spot, *, wgs84: bool = False) -> gpd.GeoDataFrame:
    """Three parcels: two hatches and one closed polyline, each with its label, plus a
    road centreline, a stray note and the sheet title (as CAD operators draw them)."""
    x, y = spot.x, spot.y
    geoms: list[shapely.Geometry] = [
        square(x, y), square(x + SIDE, y),
        LineString(square(x + 2 * SIDE, y).exterior.coords),  # closed LWPOLYLINE
        LineString([(x - 20, y - 5), (x + 200, y - 5)]),
        Point(x + 25, y + 25), Point(x + 75, y + 30), Point(x + 125, y + 20),
        Point(x + 20, y + 90), Point(x + 180, y - 30),
    ]
    styles = [None, None, "PEN(c:#000000)", "PEN(c:#ff0000)",
              _label("1/2500.0 LUC"), _label("2 ONT 2500,0"), _label("3 BHK 2500"),
              _label("TỜ BẢN ĐỒ SỐ 7"), _label("Đường tỉnh 238")]
    layers = ["THUA", "THUA", "THUA", "GIAOTHONG", "NHAN", "NHAN", "NHAN", "KHUNG", "GHICHU"]
    frame = gpd.GeoDataFrame({"Layer": layers, "OGR_STYLE": styles}, geometry=geoms)
    if wgs84:
        to_wgs = transformer(STORAGE_SRID, WGS84_SRID)
        frame["geometry"] = [shapely.transform(g, lambda xy: _t(to_wgs, xy))
                             for g in frame.geometry]
    return frame


def _t(tr: object, xy: object) -> object:
    import numpy as np

    lon, lat = tr.transform(xy[:, 0], xy[:, 1])  # type: ignore[attr-defined,index]
    return np.column_stack([lon, lat])


def _write(frame: gpd.GeoDataFrame, path: Path) -> Path:
    with warnings.catch_warnings():  # CAD files have no CRS: on purpose
        warnings.simplefilter("ignore", UserWarning)
        pyogrio.write_dataframe(frame, path)
    return path


def _parcels(session: Session, survey: str) -> list[tuple[int, int, str, float]]:
    rows = session.execute(text(
        "SELECT sheet_no, parcel_no, land_use_code, legal_area_m2::float FROM parcels"
        " WHERE survey_id = (SELECT id FROM surveys WHERE name = :s) ORDER BY parcel_no"),
        {"s": survey}).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


EXPECTED = [(7, 1, "LUC", 2500.0), (7, 2, "ONT", 2500.0), (7, 3, "HNK", 2500.0)]


def test_dxf_parcels_in_vn2000_need_crs_confirmation(session: Session, spot: Spot,
                                                     tmp_path: Path) -> None:
    path = _write(_drawing(spot), tmp_path / "to7.dxf")
    drawing = read_cad(path)
    assert (len(drawing.polygons), len(drawing.lines)) == (3, 1)
    assert sorted(drawing.cad_layers) == ["GHICHU", "GIAOTHONG", "KHUNG", "NHAN", "THUA"]
    with pytest.raises(ImportRejected) as info:
        import_parcels(session, path, commune=spot.commune)
    assert info.value.extra["candidate"] == "EPSG:9215"
    assert _parcels(session, "to7") == []
    result = import_parcels(session, path, commune=spot.commune, assume_crs="EPSG:9215")
    assert result.write is not None and result.write.inserted == 3
    assert _parcels(session, "to7") == EXPECTED
    again = import_parcels(session, path, commune=spot.commune, assume_crs="EPSG:9215")
    assert again.write is not None and again.write.unchanged == 3


def test_dxf_with_house_outlines_needs_the_parcel_layer(session: Session, spot: Spot,
                                                       tmp_path: Path) -> None:
    frame = _drawing(spot)
    house = gpd.GeoDataFrame({"Layer": ["NHA"], "OGR_STYLE": ["PEN(c:#0000ff)"]},
                             geometry=[square(spot.x + 10, spot.y + 10, 12)])
    path = _write(gpd.GeoDataFrame(pd.concat([frame, house], ignore_index=True)),
                  tmp_path / "to7.dxf")
    with pytest.raises(ImportRejected) as info:
        import_parcels(session, path, commune=spot.commune, assume_crs="EPSG:9215")
    assert info.value.extra["layers"] == ["THUA", "NHA"]
    import_parcels(session, path, commune=spot.commune, assume_crs="EPSG:9215", layer="THUA")
    assert _parcels(session, "to7") == EXPECTED


def test_dxf_in_wgs84(session: Session, spot: Spot, tmp_path: Path) -> None:
    path = _write(_drawing(spot, wgs84=True), tmp_path / "to7_wgs.dxf")
    with pytest.raises(ImportRejected) as info:
        import_parcels(session, path, commune=spot.commune)
    assert info.value.extra["candidate"] == "EPSG:4326"
    import_parcels(session, path, commune=spot.commune, assume_crs="EPSG:4326")
    rows = _parcels(session, "to7_wgs")
    assert [r[:3] for r in rows] == [r[:3] for r in EXPECTED]
    area = session.execute(text("SELECT ST_Area(geom) FROM parcels WHERE survey_id ="
                                " (SELECT id FROM surveys WHERE name = 'to7_wgs')")).scalars()
    assert all(a == pytest.approx(2500.0, rel=1e-3) for a in area)


def test_dgn_v7_written_by_gdal(session: Session, spot: Spot, tmp_path: Path) -> None:
    # GDAL's DGN writer takes labels from the feature style: convert the DXF with ogr2ogr
    dxf = _write(_drawing(spot), tmp_path / "src.dxf")
    dgn = tmp_path / "to7.dgn"
    subprocess.run(["ogr2ogr", "-f", "DGN", str(dgn), str(dxf)], check=True,
                   capture_output=True, timeout=60)
    drawing = read_cad(dgn)
    assert len(drawing.polygons) == 3 and "TỜ BẢN ĐỒ SỐ 7" in set(drawing.texts["text"])
    import_parcels(session, dgn, commune=spot.commune, assume_crs="EPSG:9215")
    assert _parcels(session, "to7") == EXPECTED


def test_dgn_without_labels_is_rejected_by_row(session: Session, spot: Spot,
                                               tmp_path: Path) -> None:
    # pyogrio writes DGN shapes (no text): parcels without numbers cannot be imported
    frame = gpd.GeoDataFrame(geometry=[square(spot.x, spot.y), square(spot.x + SIDE, spot.y)])
    path = _write(frame, tmp_path / "khong_so.dgn")
    with pytest.raises(ImportRejected) as info:
        import_parcels(session, path, commune=spot.commune, assume_crs="EPSG:9215")
    errors = info.value.extra["report"].errors
    assert {p.code for p in errors} >= {"missing_field"}
    assert _parcels(session, "khong_so") == []


def test_cad_layer_filter(spot: Spot, tmp_path: Path) -> None:
    path = _write(_drawing(spot), tmp_path / "to7.dxf")
    only = read_cad(path, cad_layer="GIAOTHONG")
    assert (len(only.polygons), len(only.lines), len(only.texts)) == (0, 1, 5)
    with pytest.raises(ImportRejected) as info:
        read_cad(path, cad_layer="KHONG_CO")
    assert "THUA" in info.value.message_vi


@pytest.mark.parametrize(("label", "expected"), [
    ("12", (None, 12, None, None)),
    ("12/345.6", (None, 12, 345.6, None)),
    ("12 ONT 345,6", (None, 12, 345.6, "ONT")),
    ("LUC/12/2500", (None, 12, 2500.0, "LUC")),
    ("T7/12", (7, 12, None, None)),
])
def test_parse_label(label: str, expected: tuple[object, ...]) -> None:
    lab = parse_label(label)
    assert (lab.sheet_no, lab.parcel_no, lab.area_m2, lab.land_use) == expected
