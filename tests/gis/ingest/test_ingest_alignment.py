"""Alignment import: a centreline plus width (flat caps, per-side widths) or footprint
polygons, from GPKG/GeoJSON/SHP/DXF/DGN in EPSG:9215 or WGS 84; the overlay re-run keeps
cases with history and writes what changed into their history; import batches recorded."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from pyproj import CRS
from shapely.geometry import LineString, box
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core.errors import ImportRejected, NotFound
from gis.ingest import import_parcels
from gis.ingest.alignment import import_alignment, parse_chainage
from tests.gis.ingest.conftest import Spot
from tests.gis.ingest.helpers import count, parcel_frame, write

VN2000 = CRS.from_epsg(9215)


@pytest.fixture
def road(session: Session, spot: Spot, tmp_path: Path) -> int:
    """Six 50 m parcels in a row (survey 'o') and an empty project DUONG-2."""
    import_parcels(session, write(parcel_frame(spot.commune, spot.x, spot.y), tmp_path / "o.gpkg"))
    return int(session.execute(text(
        "INSERT INTO projects (code, name, investment_form, owner) VALUES"
        " ('DUONG-2', 'Đường thử 2', 'public_budget', 'Sở Xây dựng') RETURNING id")).scalar_one())


def _line(spot: Spot, x0: float, x1: float, dy: float = 25.0) -> LineString:
    return LineString([(spot.x + x0, spot.y + dy), (spot.x + x1, spot.y + dy)])


def _cases(session: Session, pid: int) -> dict[int, tuple[float, bool]]:
    rows = session.execute(text(
        "SELECT p.parcel_no, c.recovered_area_m2::float, c.is_whole_parcel FROM clearance_cases c"
        " JOIN parcels p ON p.id = c.parcel_id WHERE c.project_id = :p"), {"p": pid}).all()
    return {no: (area, whole) for no, area, whole in rows}


def test_centreline_with_width_gpkg(session: Session, spot: Spot, road: int,
                                    tmp_path: Path) -> None:
    # a vertical centreline through the middle of parcel 3 (x 100..150), 20 m wide
    line = LineString([(spot.x + 125, spot.y - 100), (spot.x + 125, spot.y + 150)])
    path = write(gpd.GeoDataFrame({"MaTuyen": ["t1"], "LyTrinhDau": ["Km3+200"]},
                                  geometry=[line], crs=VN2000), tmp_path / "tuyen.gpkg")
    result = import_alignment(session, path, project="DUONG-2", width_m=20, actor="cli:test")
    assert [(a.code, a.action, a.length_m, a.row_width_m) for a in result.alignments] == \
        [("T1", "created", pytest.approx(250.0), 20.0)]
    row = session.execute(text(
        "SELECT start_chainage_m::float, row_width_m::float, ST_Area(footprint),"
        " ST_Covers(footprint, centreline) FROM alignments WHERE project_id = :p"),
        {"p": road}).one()
    assert row[0] == 3200.0 and row[1] == 20.0 and row[3]
    assert row[2] == pytest.approx(250.02 * 20, abs=0.01)  # flat caps (+1 cm at each end)
    assert result.overlay is not None and result.overlay.created == 1
    assert _cases(session, road) == {3: (1000.0, False)}
    batch = session.execute(text(
        "SELECT kind, status, file_name, actor, created, project_id, length(sha256)"
        " FROM import_batches WHERE id = :b"), {"b": result.batch_id}).one()
    assert tuple(batch) == ("alignment", "applied", "tuyen.gpkg", "cli:test", 1, road, 64)
    again = import_alignment(session, path, project="DUONG-2", width_m=20)
    assert [a.action for a in again.alignments] == ["unchanged"]
    assert again.overlay is not None and (again.overlay.created, again.overlay.updated) == (0, 0)


def test_per_side_widths_wgs84_geojson(session: Session, spot: Spot, road: int,
                                       tmp_path: Path) -> None:
    line = _line(spot, -20, 320)  # along the row of parcels, at y + 25
    frame = gpd.GeoDataFrame({"BeRongTrai": [10.0], "BeRongPhai": [5.0]}, geometry=[line],
                             crs=VN2000).to_crs(4326)
    path = write(frame, tmp_path / "tuyen.geojson")
    result = import_alignment(session, path, project="DUONG-2")
    assert result.alignments[0].row_width_m == pytest.approx(15.0)
    # left of an eastward line is north: the strip y+20 .. y+35, 15 m × 50 m of each parcel
    cases = _cases(session, road)
    assert sorted(cases) == [1, 2, 3, 4, 5, 6]
    assert all(area == pytest.approx(750.0, abs=0.5) and not whole
               for area, whole in cases.values())


def test_footprint_polygons_shapefile_without_crs(session: Session, spot: Spot, road: int,
                                                  tmp_path: Path) -> None:
    fp = box(spot.x + 50, spot.y - 10, spot.x + 130, spot.y + 60)
    frame = gpd.GeoDataFrame({"TenTuyen": ["Nút giao"]}, geometry=[fp])
    path = write(frame, tmp_path / "pham_vi.shp")
    with pytest.raises(ImportRejected) as info:
        import_alignment(session, path, project="DUONG-2")
    assert info.value.extra["candidate"] == "EPSG:9215"
    assert count(session, "SELECT count(*) FROM alignments WHERE project_id = :p", p=road) == 0
    result = import_alignment(session, path, project="DUONG-2", assume_crs="EPSG:9215",
                              code="NUT1")
    assert [(a.code, a.length_m) for a in result.alignments] == [("NUT1", None)]
    assert _cases(session, road) == {2: (2500.0, True), 3: (1500.0, False)}


def test_dxf_and_dgn_centrelines(session: Session, spot: Spot, road: int,
                                 tmp_path: Path) -> None:
    # a DXF with the centreline on layer TIM and a parcel outline on layer THUA; exploded
    # into two LINE segments that must be merged into one centreline
    parts = [LineString([(spot.x + 125, spot.y - 100), (spot.x + 125, spot.y + 20)]),
             LineString([(spot.x + 125, spot.y + 20), (spot.x + 125, spot.y + 150)])]
    dxf = gpd.GeoDataFrame({"Layer": ["TIM", "TIM", "THUA"]},
                           geometry=[*parts, box(spot.x, spot.y, spot.x + 10, spot.y + 10)])
    path = write(dxf, tmp_path / "tuyen.dxf")
    with pytest.raises(ImportRejected) as info:  # which CAD layer holds the alignment?
        import_alignment(session, path, project="DUONG-2", width_m=10, assume_crs="EPSG:9215")
    assert info.value.extra["layers"] == ["TIM", "THUA"]
    result = import_alignment(session, path, project="DUONG-2", width_m=10, layer="TIM",
                              assume_crs="EPSG:9215")
    assert result.alignments[0].length_m == pytest.approx(250.0)
    assert _cases(session, road) == {3: (500.0, False)}
    # the same centreline moved 50 m east, drawn in a DGN (v7) by GDAL: the case moves
    dgn = gpd.GeoDataFrame(geometry=[LineString([(spot.x + 175, spot.y - 100),
                                                 (spot.x + 175, spot.y + 150)])])
    moved = import_alignment(session, write(dgn, tmp_path / "tuyen.dgn"), project="DUONG-2",
                             width_m=10, assume_crs="EPSG:9215")
    assert [a.action for a in moved.alignments] == ["updated"]
    assert _cases(session, road) == {4: (500.0, False)}
    with pytest.raises(ImportRejected) as info:
        import_alignment(session, path, project="DUONG-2", width_m=10, layer="KHONG")
    assert "TIM" in info.value.message_vi


def test_rerun_keeps_cases_with_history_and_notes_changes(session: Session, spot: Spot,
                                                          road: int, tmp_path: Path) -> None:
    v1 = write(gpd.GeoDataFrame(geometry=[box(spot.x + 50, spot.y - 10, spot.x + 130,
                                              spot.y + 60)], crs=VN2000), tmp_path / "v1.gpkg")
    import_alignment(session, v1, project="DUONG-2")
    cases = dict(session.execute(text(
        "SELECT p.parcel_no, c.id FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id"
        " WHERE c.project_id = :p"), {"p": road}).all())
    session.execute(text("INSERT INTO case_events (case_id, kind, occurred_on, note)"
                         " VALUES (:c, 'note', '2025-04-01', 'Đã gặp hộ dân')"), {"c": cases[2]})
    # v2: the footprint moves east: parcel 2 leaves it, parcel 3 becomes whole
    v2 = write(gpd.GeoDataFrame(geometry=[box(spot.x + 100, spot.y - 10, spot.x + 180,
                                              spot.y + 60)], crs=VN2000), tmp_path / "v2.gpkg")
    result = import_alignment(session, v2, project="DUONG-2", actor="cli:test")
    ov = result.overlay
    assert ov is not None
    assert [a.action for a in result.alignments] == ["updated"]
    assert (ov.created, ov.updated, ov.removed) == (1, 1, 0)
    assert [(k.case_id, k.parcel.split("/")[2]) for k in ov.kept] == [(cases[2], "2")]
    assert _cases(session, road) == {2: (2500.0, True), 3: (2500.0, True), 4: (1500.0, False)}
    notes = session.execute(text(
        "SELECT note FROM case_events WHERE case_id = :c ORDER BY id"), {"c": cases[3]}).scalars()
    assert list(notes) == ["Chồng xếp lại phạm vi thu hồi (cli:test): diện tích thu hồi 1.500,0"
                           " → 2.500,0 m²; thu hồi một phần → toàn bộ thửa."]
    changes = session.execute(text(
        "SELECT entity, action, count(*) FROM import_batch_changes WHERE batch_id = :b"
        " GROUP BY entity, action ORDER BY entity, action"), {"b": result.batch_id}).all()
    assert [tuple(c) for c in changes] == [("alignment", "U", 1), ("clearance_case", "I", 1),
                                           ("clearance_case", "U", 1)]


def test_rejections(session: Session, spot: Spot, road: int, tmp_path: Path) -> None:
    batches = count(session, "SELECT count(*) FROM import_batches")
    line = write(gpd.GeoDataFrame(geometry=[_line(spot, 0, 300)], crs=VN2000),
                 tmp_path / "tim.gpkg")
    with pytest.raises(ImportRejected) as info:
        import_alignment(session, line, project="DUONG-2")
    assert [p.code for p in info.value.extra["report"].errors] == ["missing_width"]
    broken = write(gpd.GeoDataFrame(geometry=[_line(spot, 0, 100), _line(spot, 150, 300)],
                                    crs=VN2000), tmp_path / "dut.gpkg")
    with pytest.raises(ImportRejected) as info:
        import_alignment(session, broken, project="DUONG-2", width_m=20)
    assert [p.code for p in info.value.extra["report"].errors] == ["centreline_broken"]
    with pytest.raises(NotFound):
        import_alignment(session, line, project="KHONG-CO", width_m=20)
    assert count(session, "SELECT count(*) FROM alignments WHERE project_id = :p", p=road) == 0
    assert count(session, "SELECT count(*) FROM import_batches") == batches


def test_parse_chainage() -> None:
    assert parse_chainage("Km12+350") == 12350.0
    assert parse_chainage("km 0+050,5") == 50.5
    assert parse_chainage("1250") == 1250.0
