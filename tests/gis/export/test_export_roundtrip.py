"""What is exported imports back unchanged: GeoPackage, Shapefile (zip) and GeoJSON, in
EPSG:9215 and WGS84, through the real import pipeline."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import pyogrio
import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core.errors import ImportRejected
from gis.export import PARCEL_COLUMNS, ExportFilters, ExportRequest, export
from gis.ingest import import_parcels
from tests.gis.export.conftest import Imported

TODAY = dt.date(2026, 3, 1)
ATTRS = ("commune_code, sheet_commune_code, sheet_no, parcel_no, land_use_code,"
         " land_use_code_source, legal_area_m2, address")


def parcels_of(session: Session, survey: str) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Identity -> (attributes…, geometry WKB) of a survey's parcels."""
    rows = session.execute(text(
        f"SELECT {ATTRS}, ST_AsBinary(p.geom) FROM parcels p JOIN surveys s"
        " ON s.id = p.survey_id WHERE s.name = :s"), {"s": survey}).all()
    return {tuple(r[:4]): tuple(r[4:]) for r in rows}


def run(session: Session, tmp: Path, fmt: str, crs: str, **filters: Any) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    result = export(session, ExportRequest("parcels", fmt, crs, ExportFilters(**filters)),
                    tmp, today=TODAY, chunk=5)  # 12 parcels: three chunks appended
    return result.path


@pytest.mark.parametrize("crs", ["EPSG:9215", "EPSG:4326"])
@pytest.mark.parametrize("fmt", ["gpkg", "shp", "geojson"])
def test_export_imports_back_unchanged(session: Session, fresh_session: Session,
                                       imported: Imported, tmp_path: Path, fmt: str,
                                       crs: str) -> None:
    path = run(session, tmp_path / "out", fmt, crs, communes=(imported.commune,))
    info = pyogrio.read_info(path)
    assert info["features"] == imported.count
    assert (info["crs"] == "EPSG:4326") == (crs == "EPSG:4326")

    # Into the same database, same survey: the import sees nothing to change.
    again = import_parcels(session, path, survey=imported.survey)
    assert again.write is not None
    assert (again.write.inserted, again.write.updated, again.write.unchanged) == \
        (0, 0, imported.count)
    assert not again.report.errors

    # Into a fresh database: the same parcels, attributes and geometries.
    fresh = import_parcels(fresh_session, path, survey=imported.survey)
    assert fresh.write is not None and fresh.write.inserted == imported.count
    source, copy = parcels_of(session, imported.survey), parcels_of(fresh_session,
                                                                      imported.survey)
    assert source.keys() == copy.keys()
    for key, (*attrs, wkb) in source.items():
        *copy_attrs, copy_wkb = copy[key]
        assert copy_attrs == attrs, key
        a, b = shapely.from_wkb(bytes(wkb)), shapely.from_wkb(bytes(copy_wkb))
        assert shapely.hausdorff_distance(a, b) < 0.001, key  # within 1 mm
        assert abs(a.area - b.area) < 0.01


def test_roundtrip_keeps_pre_2024_codes_and_missing_address(
        session: Session, imported: Imported, tmp_path: Path) -> None:
    path = run(session, tmp_path, "gpkg", "EPSG:9215", communes=(imported.commune,))
    frame = pyogrio.read_dataframe(path)
    assert "BHK" in set(frame["LoaiDat"]) and "HNK" in set(frame["MaLD2024"])
    assert frame["DiaChi"].isna().sum() == 1
    assert list(frame.columns) == [c.name for c in PARCEL_COLUMNS if not c.personal] + [
        "geometry"]


def test_shapefile_zip_has_utf8_cpg_and_vietnamese_text(session: Session, imported: Imported,
                                                         tmp_path: Path) -> None:
    path = run(session, tmp_path, "shp", "EPSG:9215", communes=(imported.commune,))
    with zipfile.ZipFile(path) as zf:
        names = sorted(zf.namelist())
        assert names == sorted(f"thua_dat{s}" for s in (".shp", ".shx", ".dbf", ".prj", ".cpg"))
        assert zf.read("thua_dat.cpg").decode("ascii").strip() == "UTF-8"
        dbf = zf.read("thua_dat.dbf")
    assert "Thôn Bản Đông 3".encode() in dbf and "Khu Đồng Đăng, thôn Pò Mã".encode() in dbf
    fields = pyogrio.read_info(path)["fields"].tolist()
    assert fields == [c.name for c in PARCEL_COLUMNS if not c.personal]
    assert all(len(f) <= 10 for f in fields)
    frame = pyogrio.read_dataframe(path)  # GDAL decodes with the .cpg
    expected = session.execute(text(
        "SELECT p.address, lu.name_vi, CASE c.unit_type WHEN 'phuong' THEN 'Phường '"
        " ELSE 'Xã ' END || c.name FROM parcels p JOIN communes c ON c.code ="
        " p.commune_code JOIN land_use_types lu ON lu.code = p.land_use_code"
        " WHERE p.commune_code = :c ORDER BY p.id"), {"c": imported.commune}).all()
    assert [tuple(None if v != v else v for v in r) for r in
            frame[["DiaChi", "TenLoaiDat", "TenXa"]].itertuples(index=False)] == \
        [tuple(r) for r in expected]
    assert "Đất ở tại nông thôn" in set(frame["TenLoaiDat"])


def busiest_commune(session: Session) -> str:
    return str(session.execute(text(
        "SELECT commune_code FROM parcels GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"))
        .scalar_one())


def test_demo_parcels_survive_shapefile_wgs84_into_a_fresh_database(
        demo_session: Session, fresh_session: Session, tmp_path: Path) -> None:
    """Real-looking parcels (Voronoi cells, many vertices, not on the 1 mm grid)."""
    commune = busiest_commune(demo_session)
    path = run(demo_session, tmp_path / "out", "shp", "EPSG:4326", communes=(commune,))
    first = import_parcels(fresh_session, path, survey="demo")
    assert first.write is not None and not first.report.errors
    source = {tuple(r[:4]): r[4:] for r in demo_session.execute(text(
        "SELECT commune_code, sheet_commune_code, sheet_no, parcel_no, land_use_code,"
        " legal_area_m2, address, ST_AsBinary(geom) FROM parcels WHERE commune_code = :c"),
        {"c": commune})}
    copy = {tuple(r[:4]): r[4:] for r in fresh_session.execute(text(
        "SELECT commune_code, sheet_commune_code, sheet_no, parcel_no, land_use_code,"
        " legal_area_m2, address, ST_AsBinary(geom) FROM parcels"))}
    assert first.write.inserted == len(source) == len(copy) > 50
    assert source.keys() == copy.keys()
    for key, (*attrs, wkb) in source.items():
        *copy_attrs, copy_wkb = copy[key]
        assert copy_attrs == attrs, key
        a, b = shapely.from_wkb(bytes(wkb)), shapely.from_wkb(bytes(copy_wkb))
        assert shapely.hausdorff_distance(a, b) < 0.001, key  # the import snaps to 1 mm
    again = import_parcels(fresh_session, path, survey="demo")
    assert again.write is not None and again.write.unchanged == len(source)


def test_exported_land_user_names_are_accepted_by_the_import(
        demo_session: Session, fresh_session: Session, tmp_path: Path) -> None:
    path = run(demo_session, tmp_path, "gpkg", "EPSG:9215",
               communes=(busiest_commune(demo_session),))
    names = {n for n in pyogrio.read_dataframe(path, columns=["ChuSuDung"])["ChuSuDung"]
             if isinstance(n, str)}
    # the names that used to be refused: not ASCII, yet every letter within Latin-1
    assert any(not n.isascii() and all(ord(c) <= 0xFF for c in n) for n in names)
    try:
        result = import_parcels(fresh_session, path, survey="demo", dry_run=True)
    except ImportRejected as exc:
        pytest.fail("import refused: " + "; ".join(
            f"{p.code} {p.parcel} {p.message_vi}" for p in exc.extra["report"].errors[:3]))
    assert not [p for p in result.report.problems if p.code.startswith("encoding")]
    assert result.write is not None and result.write.inserted == pyogrio.read_info(path)[
        "features"]
