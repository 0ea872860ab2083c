"""Re-importing parcels that are already recorded: GPMB's own export under another survey
name, the export with its own ``DotDo`` survey column, and a file written by GDAL with one
parcel re-surveyed. The same parcel (commune + sheet + number, same boundary) is matched and
reported, never copied; owners named in the file (ChuSuDung/TENCHU) become land users."""

from __future__ import annotations

from pathlib import Path

import pyogrio
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.ingest import import_parcels
from tests.gis.export.conftest import Imported
from tests.gis.export.test_export_roundtrip import run
from tests.gis.ingest.helpers import NAMES, count, parcel_frame, write


def _parcels(session: Session, commune: str) -> int:
    return count(session, "SELECT count(*) FROM parcels WHERE commune_code = :c", c=commune)


def test_export_under_another_survey_name_adds_no_parcel(
        session: Session, imported: Imported, tmp_path: Path) -> None:
    before = _parcels(session, imported.commune)
    for fmt in ("shp", "gpkg"):
        path = run(session, tmp_path / fmt, fmt, "EPSG:9215", communes=(imported.commune,))
        again = import_parcels(session, path, survey=f"Đợt khác {fmt}")
        assert again.write is not None
        assert again.write.inserted == 0 and len(again.write.matched) == imported.count
        assert again.write.unchanged == imported.count and not again.write.new_versions
        notes = [p for p in again.report.problems if p.code == "matched_other_survey"]
        assert notes and imported.survey in notes[0].message_vi
        assert _parcels(session, imported.commune) == before
    # one parcel per commune + sheet + number, as a client asking for it sees
    assert count(session, "SELECT count(*) FROM parcels WHERE commune_code = :c AND"
                 " sheet_no = 7 AND parcel_no = 1", c=imported.commune) == 1


def test_the_exports_own_survey_column_is_honoured(session: Session, imported: Imported,
                                                  tmp_path: Path) -> None:
    path = run(session, tmp_path, "shp", "EPSG:9215", communes=(imported.commune,))
    assert set(pyogrio.read_dataframe(path, read_geometry=False)["DotDo"]) == {imported.survey}
    again = import_parcels(session, path)  # no --survey: not the file name
    assert again.survey == imported.survey
    assert again.write is not None and not again.write.matched
    assert (again.write.inserted, again.write.updated, again.write.unchanged) == \
        (0, 0, imported.count)
    assert count(session, "SELECT count(*) FROM surveys WHERE name = :n",
                 n=path.stem) == 0


def test_a_resurveyed_parcel_is_a_reported_new_version(session: Session, imported: Imported,
                                                      tmp_path: Path) -> None:
    """A GDAL-written file, other survey: 5 parcels as recorded, one moved 2 m south, one
    with another legal area (same boundary: updates the recorded parcel)."""
    frame = parcel_frame(imported.commune, 449000.1234, 2417400.5678, n=6, sheet=7)
    frame.loc[0, "geometry"] = shapely.affinity.translate(frame.geometry[0], 0.0, -2.0)
    frame.loc[1, "DienTich"] = 2480.0
    frame = frame.drop(columns=["ChuSuDung"])
    path = write(frame, tmp_path / "do_lai.gpkg")
    result = import_parcels(session, path, survey="Đo lại 2025")
    w = result.write
    assert w is not None
    assert w.inserted == 1 and w.updated == 1 and w.unchanged == 4
    assert [v.parcel for v in w.new_versions] == [f"{imported.commune}/7/1"]
    assert len(w.matched) == 5 and {m.survey for m in w.matched} == {imported.survey}
    warned = [p for p in result.report.problems if p.code == "new_version"]
    assert warned and warned[0].row == 1 and imported.survey in warned[0].message_vi
    area = session.execute(text(
        "SELECT p.legal_area_m2, s.name FROM parcels p JOIN surveys s ON s.id = p.survey_id"
        " WHERE p.commune_code = :c AND p.sheet_no = 7 AND p.parcel_no = 2"),
        {"c": imported.commune}).all()
    assert [(float(a), n) for a, n in area] == [(2480.0, imported.survey)]


def test_owner_names_land_as_land_users_and_round_trip(
        session: Session, fresh_session: Session, imported: Imported, tmp_path: Path) -> None:
    def holders(s: Session, commune: str) -> dict[tuple[int, int], set[str]]:
        found: dict[tuple[int, int], set[str]] = {}
        for sheet, parcel, name in s.execute(text(
                "SELECT p.sheet_no, p.parcel_no, u.full_name FROM parcels p"
                " JOIN parcel_land_users pu ON pu.parcel_id = p.id"
                " JOIN land_users u ON u.id = pu.land_user_id WHERE p.commune_code = :c"),
                {"c": commune}).all():
            found.setdefault((sheet, parcel), set()).add(name)
        return found

    recorded = holders(session, imported.commune)
    assert len(recorded) == imported.count
    assert recorded[(7, 2)] == {NAMES[1]}
    # a second owner on one parcel, TENCHU as the column name, written by GDAL
    frame = parcel_frame(imported.commune, 449000.1234, 2417400.5678, n=6, sheet=7)
    frame = frame.rename(columns={"ChuSuDung": "TENCHU"})
    frame.loc[2, "TENCHU"] = f"{NAMES[2]}; Vi Văn Toàn"
    again = import_parcels(session, write(frame, tmp_path / "chu.gpkg"),
                           survey=imported.survey)
    assert again.write is not None and again.write.unchanged == 6
    h = again.write.holders
    assert (h.rows, h.users_created, h.holdings_created, h.holdings_updated) == (6, 1, 1, 1)
    assert holders(session, imported.commune)[(7, 3)] == {NAMES[2], "Vi Văn Toàn"}
    assert count(session, "SELECT count(*) FROM parcel_land_users pu JOIN parcels p ON"
                 " p.id = pu.parcel_id WHERE p.commune_code = :c AND p.sheet_no = 7 AND"
                 " p.parcel_no = 3 AND pu.share_pct = 50", c=imported.commune) == 2
    note = [p for p in again.report.problems if p.code == "land_users"]
    assert note and "1 chủ sử dụng mới" in note[0].message_vi
    # the export's ChuSuDung imports into a fresh database as the same owners
    path = run(session, tmp_path / "out", "shp", "EPSG:9215", communes=(imported.commune,))
    fresh = import_parcels(fresh_session, path)
    assert fresh.write is not None and fresh.write.inserted == imported.count
    assert holders(fresh_session, imported.commune) == holders(session, imported.commune)
