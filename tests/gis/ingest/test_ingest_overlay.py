"""Overlay of a footprint with parcels (whole, partial, sliver; re-run after an alignment
change) and chainage on a straight alignment."""

from __future__ import annotations

from pathlib import Path

import pytest
from shapely.geometry import Point, box
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core.errors import NotFound
from gis.ingest import chainage_of, import_parcels, overlay_project
from tests.gis.ingest.conftest import Spot
from tests.gis.ingest.helpers import parcel_frame, write


def _ewkt(geom: object) -> str:
    return f"SRID=9215;{geom}"


@pytest.fixture
def project(session: Session, spot: Spot, tmp_path: Path) -> tuple[int, int]:
    """Six 50 m squares in a row; a road footprint covering parcel 2 whole, 60 % of parcel 3,
    and a 0.5 m² sliver of parcel 1. Returns (project id, alignment id)."""
    import_parcels(session, write(parcel_frame(spot.commune, spot.x, spot.y), tmp_path / "o.gpkg"))
    pid = session.execute(text(
        "INSERT INTO projects (code, name, investment_form, owner) VALUES"
        " ('DUONG-1', 'Đường thử', 'public_budget', 'Sở Xây dựng') RETURNING id")).scalar_one()
    x, y = spot.x, spot.y
    footprint = box(x + 50 - 0.01, y - 10, x + 130, y + 60)  # sliver 0.01 × 50 of parcel 1
    aid = session.execute(text(
        "INSERT INTO alignments (project_id, code, name, centreline, start_chainage_m,"
        " row_width_m, footprint) VALUES (:p, 'T1', 'Tuyến 1', :line, 12000, 70,"
        " ST_Multi(CAST(:fp AS geometry))) RETURNING id"),
        {"p": pid, "line": _ewkt(f"LINESTRING({x} {y + 25}, {x + 1000} {y + 25})"),
         "fp": _ewkt(footprint.wkt)}).scalar_one()
    return int(pid), int(aid)


def _cases(session: Session, pid: int) -> dict[int, tuple[float, bool]]:
    rows = session.execute(text(
        "SELECT p.parcel_no, c.recovered_area_m2::float, c.is_whole_parcel FROM clearance_cases c"
        " JOIN parcels p ON p.id = c.parcel_id WHERE c.project_id = :p"), {"p": pid}).all()
    return {no: (area, whole) for no, area, whole in rows}


def test_overlay_whole_partial_sliver(session: Session, project: tuple[int, int]) -> None:
    pid, aid = project
    result = overlay_project(session, "DUONG-1", min_area_m2=1.0)
    assert (result.created, result.updated, result.removed) == (2, 0, 0)
    assert _cases(session, pid) == {2: (2500.0, True), 3: (1500.0, False)}
    assert session.execute(text("SELECT DISTINCT alignment_id FROM clearance_cases"
                                " WHERE project_id = :p"), {"p": pid}).scalar() == aid
    again = overlay_project(session, "DUONG-1")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    with_slivers = overlay_project(session, "DUONG-1", min_area_m2=0.1)
    assert with_slivers.created == 1 and _cases(session, pid)[1][0] == 0.5


def test_rerun_after_alignment_change(session: Session, spot: Spot,
                                      project: tuple[int, int]) -> None:
    pid, aid = project
    overlay_project(session, "DUONG-1")
    case2 = session.execute(text(
        "SELECT c.id FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id"
        " WHERE c.project_id = :p AND p.parcel_no = 2"), {"p": pid}).scalar_one()
    session.execute(text("INSERT INTO case_events (case_id, kind, occurred_on, note)"
                         " VALUES (:c, 'note', '2025-04-01', 'Đã gặp hộ dân')"), {"c": case2})
    x, y = spot.x, spot.y
    session.execute(text("UPDATE alignments SET footprint = ST_Multi(CAST(:fp AS geometry))"
                         " WHERE id = :a"),
                    {"a": aid, "fp": _ewkt(box(x + 120, y - 10, x + 210, y + 60).wkt)})
    before = session.execute(text("SELECT count(*) FROM audit_log WHERE table_name ="
                                  " 'clearance_cases'")).scalar_one()
    result = overlay_project(session, "DUONG-1", actor="cli:test")
    # parcel 3 keeps 1500 m² but a different strip of it: geometry updated
    assert (result.created, result.updated, result.removed) == (2, 1, 0)
    assert [(k.case_id, k.parcel.split("/")[2]) for k in result.kept] == [(case2, "2")]
    assert _cases(session, pid) == {2: (2500.0, True), 3: (1500.0, False), 4: (2500.0, True),
                                    5: (500.0, False)}
    audit = session.execute(text(
        "SELECT actor, before ->> 'recovered_area_m2', after ->> 'recovered_area_m2'"
        " FROM audit_log WHERE table_name = 'clearance_cases' AND id > :b"),
        {"b": before}).all()
    assert [tuple(a) for a in audit] == [("cli:test", "1500.0", "1500.0")]


def test_case_without_history_is_removed(session: Session, spot: Spot,
                                         project: tuple[int, int]) -> None:
    pid, aid = project
    overlay_project(session, "DUONG-1")
    x, y = spot.x, spot.y
    session.execute(text("UPDATE alignments SET footprint = ST_Multi(CAST(:fp AS geometry))"
                         " WHERE id = :a"),
                    {"a": aid, "fp": _ewkt(box(x + 50, y - 10, x + 100, y + 60).wkt)})
    result = overlay_project(session, "DUONG-1")
    assert result.removed == 1 and not result.kept
    assert _cases(session, pid) == {2: (2500.0, True)}


def test_chainage_on_straight_alignment(session: Session, spot: Spot,
                                        project: tuple[int, int]) -> None:
    _, aid = project
    left = chainage_of(session, aid, Point(spot.x + 350.4, spot.y + 45))
    assert (left.metres, left.offset_m, left.side, left.label) == \
        (pytest.approx(12350.4), pytest.approx(20.0), "left", "Km12+350")
    right = chainage_of(session, aid, Point(spot.x + 999.4, spot.y + 5))
    assert (right.label, right.side, right.side_vi) == ("Km12+999", "right", "phải")
    parcel3 = session.execute(text("SELECT id FROM parcels WHERE parcel_no = 3 AND survey_id ="
                                   " (SELECT id FROM surveys WHERE name = 'o')")).scalar_one()
    on_parcel = chainage_of(session, aid, int(parcel3))
    assert on_parcel.label == "Km12+125"
    with pytest.raises(NotFound):
        chainage_of(session, 987654, Point(0, 0))
