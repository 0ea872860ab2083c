"""Import batches: recorded per applied import, linked to the parcels they wrote, re-imports
recognised by SHA-256 (a Shapefile's parts hashed together), and append-only."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from gis.ingest import import_parcels
from gis.ingest.batches import (
    batches_of,
    file_digest,
    previous_imports,
    record_parcel_import,
)
from tests.gis.ingest.conftest import Spot
from tests.gis.ingest.helpers import parcel_frame, square, write


def test_parcel_batches_point_to_what_they_wrote(session: Session, spot: Spot,
                                                 tmp_path: Path) -> None:
    frame = parcel_frame(spot.commune, spot.x, spot.y)
    v1 = write(frame, tmp_path / "v1" / "to7.gpkg")
    assert previous_imports(session, file_digest(v1), "parcels") == []
    first = import_parcels(session, v1)
    b1 = record_parcel_import(session, v1, first, actor="cli:lan")
    assert b1 is not None
    assert [p.batch_id for p in previous_imports(session, file_digest(v1), "parcels")] == [b1]
    frame.loc[4, "geometry"] = square(spot.x + 4 * 50, spot.y, 49)
    frame.loc[4, "DienTich"] = 2401.0
    v2 = write(frame, tmp_path / "v2" / "to7.gpkg")
    assert previous_imports(session, file_digest(v2), "parcels") == []
    b2 = record_parcel_import(session, v2, import_parcels(session, v2), actor="cli:lan")
    assert b2 is not None
    counts = session.execute(text(
        "SELECT id, created, updated, unchanged, rejected, crs IS NOT NULL, survey_id"
        " FROM import_batches WHERE id IN (:a, :b) ORDER BY id"), {"a": b1, "b": b2}).all()
    assert [tuple(c[1:6]) for c in counts] == [(6, 0, 0, 0, True), (0, 1, 5, 0, True)]
    p5 = session.execute(text("SELECT id FROM parcels WHERE parcel_no = 5 AND survey_id = :s"),
                         {"s": counts[0][6]}).scalar_one()
    assert batches_of(session, "parcel", int(p5)) == [(b1, "I", "to7.gpkg"), (b2, "U", "to7.gpkg")]
    dry = import_parcels(session, v2, dry_run=True)
    assert record_parcel_import(session, v2, dry, actor="cli:lan") is None


def test_shapefile_digest_covers_its_parts(spot: Spot, tmp_path: Path) -> None:
    frame = parcel_frame(spot.commune, spot.x, spot.y)
    a = file_digest(write(frame, tmp_path / "a" / "to7.shp"))
    frame.loc[0, "ChuSuDung"] = "Người khác"
    b = file_digest(write(frame, tmp_path / "b" / "to7.shp"))
    assert a.sha256 != b.sha256 and a.size_bytes > 0  # only the .dbf differs


def test_batches_are_append_only(session: Session, spot: Spot, tmp_path: Path) -> None:
    path = write(parcel_frame(spot.commune, spot.x, spot.y), tmp_path / "to7.gpkg")
    batch = record_parcel_import(session, path, import_parcels(session, path), actor="t")
    for sql in ("UPDATE import_batches SET actor = 'x' WHERE id = :b",
                "DELETE FROM import_batch_changes WHERE batch_id = :b"):
        nested = session.begin_nested()
        with pytest.raises(DBAPIError) as info:
            session.execute(text(sql), {"b": batch})
        nested.rollback()
        assert getattr(info.value.orig, "sqlstate", None) == "GP001"
