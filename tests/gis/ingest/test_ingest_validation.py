"""Each validation rule, with its row, parcel and Vietnamese message; a rejected file writes
nothing at all."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
import shapely
from pyproj import CRS
from shapely.geometry import LineString, Polygon
from sqlalchemy.orm import Session

from gis.core.errors import ImportRejected
from gis.ingest import ValidationReport, import_parcels
from tests.gis.ingest.conftest import Spot
from tests.gis.ingest.helpers import count, parcel_frame, square, write

N = 14


def _bad_file(spot: Spot, tmp_path: Path) -> Path:
    frame = parcel_frame(spot.commune, spot.x, spot.y, N)
    x, y = spot.x, spot.y
    geoms = list(frame.geometry)
    frame["SoThua"] = [str(i) for i in range(1, N + 1)]
    frame["LoaiDat"] = ["LUC"] * N
    frame.loc[2, "SoThua"] = "2"                                    # row 3 duplicates row 2
    geoms[3] = square(x + 3 * 50 + 10, y)                           # row 4 overlaps row 5
    frame.loc[5, "LoaiDat"] = "XYZ"                                 # row 6 unknown land use
    frame.loc[6, "DienTich"] = 3000.0                               # row 7 area mismatch
    geoms[7] = LineString([(x + 350, y), (x + 400, y + 50)])        # row 8 wrong type
    geoms[8] = square(x + 200_000, y)                               # row 9 outside province
    b = x + 450
    geoms[9] = Polygon([(b, y), (b + 50, y + 50), (b + 50, y), (b, y + 50)])  # row 10 bowtie
    s = x + 500                                                     # row 11 spike: repairable
    geoms[10] = Polygon([(s, y), (s + 50, y), (s + 50, y + 50), (s + 25, y + 50),
                         (s + 25, y + 60), (s + 25, y + 50), (s, y + 50)])
    frame.loc[11, "DienTich"] = None                                # row 12 no legal area
    frame.loc[12, "SoThua"] = "13a"                                 # row 13 not a number
    frame.loc[13, "MaXa"] = "99999"                                 # row 14 unknown commune
    frame = gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=geoms,
                             crs=CRS.from_epsg(9215))
    return write(frame, tmp_path / "loi.geojson")


@pytest.fixture
def rejected(session: Session, spot: Spot, tmp_path: Path) -> ValidationReport:
    before = count(session, "SELECT count(*) FROM parcels")
    audit = count(session, "SELECT count(*) FROM audit_log")
    with pytest.raises(ImportRejected) as err:
        import_parcels(session, _bad_file(spot, tmp_path))
    assert "chưa có dữ liệu nào được ghi" in err.value.message_vi
    assert count(session, "SELECT count(*) FROM parcels") == before
    assert count(session, "SELECT count(*) FROM audit_log") == audit
    assert count(session, "SELECT count(*) FROM surveys WHERE name = 'loi'") == 0
    report = err.value.extra["report"]
    assert isinstance(report, ValidationReport)
    return report


@pytest.mark.parametrize(("row", "code", "words"), [
    (2, "duplicate_parcel", "Trùng xã/tờ/thửa với dòng 3"),
    (3, "duplicate_parcel", "dòng 2"),
    (5, "overlap", "Chồng lấn 500 m² với thửa"),  # Vietnamese numbers
    (6, "unknown_land_use", "'XYZ'"),
    (7, "area_mismatch", "Diện tích pháp lý 3.000 m² lệch 16,7 %"),
    (8, "wrong_geometry_type", "LineString"),
    (9, "outside_province", "ngoài địa giới tỉnh"),
    (10, "invalid_geometry", "Vẽ lại ranh giới"),
    (11, "geometry_repaired", "đã được tự sửa"),
    (12, "bad_value", "Diện tích pháp lý"),
    (13, "bad_value", "'13a'"),
    (14, "unknown_commune", "'99999'"),
])
def test_rule(rejected: ValidationReport, row: int, code: str, words: str) -> None:
    found = [p for p in rejected.problems if p.row == row and p.code == code]
    assert found, [p.as_dict() for p in rejected.problems if p.row == row]
    assert words in found[0].message_vi
    assert found[0].parcel.split("/")[1:] in (["7", str(row)], ["7", "2"], ["7", "?"])


def test_every_message_reads_in_english_with_english_numbers(rejected: ValidationReport
                                                            ) -> None:
    from web.i18n import english, message

    shown = {}
    for p in rejected.problems:
        found = p.as_dict()
        assert found["template"] in english(), found["template"]
        shown[p.code] = message(found["template"], found["params"], "en")
        assert message(found["template"], found["params"], "vi") == p.message_vi
    assert "by 500 m²" in shown["overlap"]
    assert "Legal area 3,000 m² differs by 16.7 %" in shown["area_mismatch"]


def test_nothing_else_and_severities(rejected: ValidationReport) -> None:
    rows = {p.row for p in rejected.problems}
    assert 1 not in rows
    sev = {p.code: p.severity.value for p in rejected.problems}
    assert sev["area_mismatch"] == "warning" and sev["geometry_repaired"] == "warning"
    assert sev["overlap"] == "error"


def test_report_exports(rejected: ValidationReport, tmp_path: Path) -> None:
    xlsx = rejected.to_excel(tmp_path / "bao_cao.xlsx")
    sheet = openpyxl.load_workbook(xlsx).active
    assert sheet is not None
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert "Nội dung và cách sửa" in values and "Trùng xã/tờ/thửa với dòng 3. Sửa số thửa " \
        "hoặc bỏ dòng trùng." in values
    features = gpd.read_file(rejected.to_geojson(tmp_path / "bao_cao.geojson"))
    assert "overlap" in set(features["code"])
    overlap = features[features["code"] == "overlap"].geometry.iloc[0]
    assert 106 < overlap.centroid.x < 108 and 21 < overlap.centroid.y < 23
    assert shapely.area(overlap) > 0
