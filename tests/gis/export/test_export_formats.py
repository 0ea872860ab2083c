"""KML for Google Earth, Excel for reading, personal data, empty selections, GeoJSON text."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import openpyxl
import pyogrio
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.export import CASE_COLUMNS, ExportFilters, ExportRequest, ExportResult, export
from gis.export.writers import xy_headings

TODAY = dt.date(2026, 6, 1)
LANG_SON_LON, LANG_SON_LAT = (106.0, 107.5), (21.3, 22.6)


def run(session: Session, tmp: Path, kind: str, fmt: str, crs: str = "EPSG:9215", *,
        personal: bool = False, **filters: object) -> ExportResult:
    tmp.mkdir(parents=True, exist_ok=True)
    return export(session, ExportRequest(kind, fmt, crs, ExportFilters(**filters),  # type: ignore[arg-type]
                                         personal), tmp, today=TODAY, chunk=50)


@pytest.mark.parametrize("asked", ["EPSG:9215", "EPSG:4326"])
def test_kml_is_wgs84_in_lang_son_with_names_and_descriptions(
        demo_session: Session, tmp_path: Path, asked: str) -> None:
    result = run(demo_session, tmp_path, "cases", "kml", asked, project="CT-HNCL",
                 steps=("plan_approved", "decided"))
    assert result.srid == 4326 and result.path.suffix == ".kml"
    expected = int(demo_session.execute(text(
        "SELECT count(*) FROM clearance_cases c JOIN projects j ON j.id = c.project_id"
        " WHERE j.code = 'CT-HNCL' AND c.step IN ('plan_approved', 'decided')")).scalar_one())
    assert expected > 0
    frame = pyogrio.read_dataframe(result.path)
    assert len(frame) == result.features == expected
    assert frame.crs.to_epsg() == 4326
    x0, y0, x1, y1 = frame.total_bounds
    assert LANG_SON_LON[0] < x0 < x1 < LANG_SON_LON[1]
    assert LANG_SON_LAT[0] < y0 < y1 < LANG_SON_LAT[1]
    assert frame["Name"].str.startswith("CT-HNCL: thửa ").all()
    assert frame["description"].str.contains("Diện tích thu hồi (m²)", regex=False).all()
    assert frame["description"].str.contains("Bước GPMB", regex=False).all()
    raw = result.path.read_text(encoding="utf-8")
    assert raw.count("<Placemark") == expected
    # A readable number: Vietnamese thousands separators and units in the balloon.
    assert re.search(r"\d{1,3}(\.\d{3})* đồng", raw)


def test_excel_has_vietnamese_headings_formats_and_all_rows(
        demo_session: Session, tmp_path: Path) -> None:
    result = run(demo_session, tmp_path, "cases", "xlsx", project="CT-HNCL")
    expected = int(demo_session.execute(text(
        "SELECT count(*) FROM clearance_cases c JOIN projects j ON j.id = c.project_id"
        " WHERE j.code = 'CT-HNCL'")).scalar_one())
    wb = openpyxl.load_workbook(result.path)
    ws = wb["Hồ sơ GPMB"]
    assert ws.freeze_panes == "A2"
    headings = [c.value for c in ws[1]]
    columns = [c for c in CASE_COLUMNS if not c.personal]
    assert headings == [c.heading_vi for c in columns] + list(xy_headings(9215))
    assert "Số CCCD/CMND" not in headings
    assert ws.max_row == expected + 1 == result.features + 1
    col = {h: i + 1 for i, h in enumerate(headings)}
    approved = ws.cell(row=2, column=col["Phương án được duyệt (đồng)"])
    assert isinstance(approved.value, int) and approved.number_format == "#,##0"
    area = ws.cell(row=2, column=col["Diện tích thu hồi (m²)"])
    assert isinstance(area.value, float) and area.number_format == "#,##0.0"
    x = ws.cell(row=2, column=len(headings) - 1).value
    y = ws.cell(row=2, column=len(headings)).value
    assert isinstance(x, float) and 300_000 < x < 700_000 and 2_300_000 < y < 2_500_000
    paid = sum(ws.cell(row=r, column=col["Đã chi trả (đồng)"]).value
               for r in range(2, ws.max_row + 1))
    assert paid == demo_session.execute(text(
        "SELECT sum(paid_vnd) FROM clearance_cases c JOIN projects j ON j.id = c.project_id"
        " WHERE j.code = 'CT-HNCL'")).scalar_one()
    due = [ws.cell(row=r, column=col["Hạn phải xong"]) for r in range(2, ws.max_row + 1)]
    due = [c for c in due if c.value is not None]
    assert due and all(isinstance(c.value, dt.datetime) and c.number_format == "dd/mm/yyyy"
                       for c in due)
    info = {r[0]: r[1] for r in wb["Thông tin"].iter_rows(values_only=True)}
    assert info["Bộ lọc"] == "dự án CT-HNCL" and info["Số dòng"] == str(expected)


def test_excel_wgs84_gives_longitude_latitude(demo_session: Session, tmp_path: Path) -> None:
    result = run(demo_session, tmp_path, "parcels", "xlsx", "wgs84", project="CA-LSN")
    ws = openpyxl.load_workbook(result.path, read_only=True)["Thửa đất"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][-2:] == xy_headings(4326)
    assert len(rows) == result.features + 1 > 1
    for row in rows[1:]:
        lon, lat = row[-2], row[-1]
        assert LANG_SON_LON[0] < lon < LANG_SON_LON[1] and LANG_SON_LAT[0] < lat < LANG_SON_LAT[1]


def test_personal_data_only_when_allowed(demo_session: Session, tmp_path: Path) -> None:
    ids = [str(v) for v in demo_session.execute(text(
        "SELECT u.citizen_id FROM clearance_cases c JOIN projects j ON j.id = c.project_id"
        " JOIN parcel_land_users pl ON pl.parcel_id = c.parcel_id"
        " JOIN land_users u ON u.id = pl.land_user_id"
        " WHERE j.code = 'CT-HNCL' AND u.citizen_id IS NOT NULL")).scalars()]
    assert ids
    hidden = run(demo_session, tmp_path / "a", "cases", "geojson", project="CT-HNCL")
    body = hidden.path.read_text(encoding="utf-8")
    assert not any(i in body for i in ids)
    props = json.loads(body)["features"][0]["properties"]
    assert "CCCD" not in props and "DienThoai" not in props and "ChuSuDung" in props
    shown = run(demo_session, tmp_path / "b", "cases", "geojson", project="CT-HNCL",
                personal=True)
    frame = pyogrio.read_dataframe(shown.path, read_geometry=False)
    found = {part for v in frame["CCCD"].dropna() for part in v.split("; ")}
    assert found == set(ids)


def test_empty_selection_still_gives_a_valid_file(demo_session: Session,
                                                  tmp_path: Path) -> None:
    for fmt in ("gpkg", "shp", "geojson", "kml", "xlsx"):
        result = run(demo_session, tmp_path / fmt, "cases", fmt, project="CT-HNCL",
                     steps=("handed_over",), overdue=True)
        assert result.features == 0
        if fmt == "xlsx":
            assert openpyxl.load_workbook(result.path)["Hồ sơ GPMB"].max_row == 1
        else:
            assert pyogrio.read_info(result.path)["features"] == 0


def test_download_names(demo_session: Session, tmp_path: Path) -> None:
    result = run(demo_session, tmp_path, "parcels", "shp", "4326", project="CT-HNCL")
    assert result.filename == f"Thửa đất CT-HNCL {TODAY.isoformat()} EPSG4326.zip"
    assert result.ascii_filename == f"Thua dat CT-HNCL {TODAY.isoformat()} EPSG4326.zip"
    assert result.media_type == "application/zip"
