"""Atomic, idempotent writes: same file twice changes nothing; a corrected file updates
only what changed (audited, with the actor); paid parcels wait for confirmation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.compensation.records import ensure_case_households
from gis.ingest import import_parcels
from tests.gis.ingest.conftest import Spot
from tests.gis.ingest.helpers import count, parcel_frame, square, write
from tests.gis.workflow.helpers import World

AUDIT = "SELECT count(*) FROM audit_log WHERE table_name = 'parcels'"


def _parcel_id(session: Session, no: int, survey: str = "to7") -> int:
    return int(session.execute(text(
        "SELECT id FROM parcels WHERE parcel_no = :n AND survey_id ="
        " (SELECT id FROM surveys WHERE name = :s)"), {"n": no, "s": survey}).scalar_one())


def test_same_file_twice_changes_nothing(session: Session, spot: Spot, tmp_path: Path) -> None:
    path = write(parcel_frame(spot.commune, spot.x, spot.y), tmp_path / "to7.gpkg")
    first = import_parcels(session, path).write
    assert first is not None and (first.inserted, first.updated) == (6, 0)
    audit = count(session, AUDIT)
    versions = list(session.execute(text("SELECT id, version FROM parcels ORDER BY id")).all())
    second = import_parcels(session, path).write
    assert second is not None
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 6)
    assert count(session, AUDIT) == audit
    assert list(session.execute(text("SELECT id, version FROM parcels ORDER BY id")).all()) \
        == versions


def test_dry_run_writes_nothing(session: Session, spot: Spot, tmp_path: Path) -> None:
    path = write(parcel_frame(spot.commune, spot.x, spot.y), tmp_path / "to7.gpkg")
    result = import_parcels(session, path, dry_run=True)
    assert result.write is not None and result.write.inserted == 6
    assert count(session, "SELECT count(*) FROM surveys WHERE name = 'to7'") == 0


def test_corrected_file_updates_only_changes(session: Session, spot: Spot,
                                             tmp_path: Path) -> None:
    frame = parcel_frame(spot.commune, spot.x, spot.y)
    import_parcels(session, write(frame, tmp_path / "v1" / "to7.gpkg"))
    audit = count(session, AUDIT)
    frame.loc[1, "LoaiDat"] = "CLN"
    frame.loc[4, "DienTich"] = 2400.0
    frame.loc[4, "geometry"] = square(spot.x + 4 * 50, spot.y, 49)
    frame.loc[5, "geometry"] = square(spot.x + 5 * 50, spot.y, 49)
    frame.loc[5, "DienTich"] = 2401.0
    result = import_parcels(session, write(frame, tmp_path / "v2" / "to7.gpkg"),
                            actor="cli:lan.nguyen").write
    assert result is not None
    assert (result.inserted, result.updated, result.unchanged) == (0, 3, 3)
    rows = session.execute(text(
        "SELECT row_key, actor, before ->> 'land_use_code', after ->> 'land_use_code',"
        " before ->> 'legal_area_m2', after ->> 'legal_area_m2' FROM audit_log"
        " WHERE table_name = 'parcels' AND id > (SELECT max(id) - 3 FROM audit_log)"
        " ORDER BY row_key::bigint")).all()
    assert count(session, AUDIT) == audit + 3
    assert {tuple(r) for r in rows} == {
        (str(_parcel_id(session, 2)), "cli:lan.nguyen", "ONT", "CLN", "2500.0", "2500.0"),
        (str(_parcel_id(session, 5)), "cli:lan.nguyen", "LUC", "LUC", "2500.0", "2400.0"),
        (str(_parcel_id(session, 6)), "cli:lan.nguyen", "RSX", "RSX", "2500.0", "2401.0"),
    }
    assert session.execute(text("SELECT version, ST_Area(geom) FROM parcels WHERE id = :i"),
                           {"i": _parcel_id(session, 5)}).one() == (2, 49.0 * 49.0)


def _pay(session: Session, project: int, case: int) -> None:
    """Open the case's household record, approve its plan and pay its land user."""
    ensure_case_households(session, case)
    staff = int(session.execute(text(
        "INSERT INTO users (username, role, password_hash) VALUES ('nhap.staff', 'staff', 'x')"
        " RETURNING id")).scalar_one())
    world = World(session, project, case, case, staff, staff, staff, staff)
    world.to_approved(case)
    world.pay(case, 150_000_000, dt.date(2025, 6, 1))


def test_paid_parcel_waits_for_confirmation(session: Session, spot: Spot,
                                            tmp_path: Path) -> None:
    frame = parcel_frame(spot.commune, spot.x, spot.y)
    import_parcels(session, write(frame, tmp_path / "v1" / "to7.gpkg"))
    paid, unpaid = _parcel_id(session, 3), _parcel_id(session, 4)
    project = session.execute(text(
        "INSERT INTO projects (code, name, investment_form, owner) VALUES"
        " ('NHAP-1', 'Dự án thử nhập', 'public_budget', 'Sở Xây dựng') RETURNING id")).scalar()
    for parcel in (paid, unpaid):
        case = session.execute(text(
            "INSERT INTO clearance_cases (project_id, parcel_id, recovered_geom,"
            " recovered_area_m2) SELECT :p, id, geom, 2500 FROM parcels WHERE id = :q"
            " RETURNING id"), {"p": project, "q": parcel}).scalar()
        if parcel == paid:
            _pay(session, project, case)
    for i in (2, 3):
        frame.loc[i, "geometry"] = square(spot.x + i * 50, spot.y, 48)
        frame.loc[i, "DienTich"] = 2304.0
    path = write(frame, tmp_path / "v2" / "to7.gpkg")
    held = import_parcels(session, path).write
    assert held is not None and held.updated == 1
    assert [(h.parcel_id, h.row, h.geometry_changed, h.old_legal_area_m2, h.new_legal_area_m2)
            for h in held.held] == [(paid, 3, True, 2500.0, 2304.0)]
    area = "SELECT ST_Area(geom) FROM parcels WHERE id = :i"
    assert session.execute(text(area), {"i": paid}).scalar() == 2500.0
    assert session.execute(text(area), {"i": unpaid}).scalar() == 2304.0
    confirmed = import_parcels(session, path, confirm_paid=True).write
    assert confirmed is not None and confirmed.updated == 1 and not confirmed.held
    assert session.execute(text(area), {"i": paid}).scalar() == 2304.0
