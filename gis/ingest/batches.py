"""Import batches: each import of a file is recorded (kind, file, SHA-256, who, when, CRS,
counts), applied or rejected, so a re-import is recognised and the history of a parcel, a
land user, an alignment or a case can point to the batch that wrote it. Append-only."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gis.models.imports import ImportBatch, ImportBatchChange

if TYPE_CHECKING:
    from gis.ingest.parcels import ImportResult

Kind = Literal["parcels", "alignment", "households"]
Entity = Literal["parcel", "alignment", "land_user", "parcel_land_user", "clearance_case"]
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
CHUNK = 1 << 20


@dataclass(frozen=True)
class FileDigest:
    """SHA-256 and size of an imported file (a Shapefile's parts hashed together)."""

    name: str
    sha256: str
    size_bytes: int


@dataclass(frozen=True)
class Counts:
    """What an import did, row by row."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


@dataclass(frozen=True)
class PreviousImport:
    """An earlier batch of the same file contents."""

    batch_id: int
    status: str
    file_name: str
    actor: str
    imported_at: dt.datetime


def file_digest(path: Path) -> FileDigest:
    """SHA-256 of the file; for a ``.shp`` of all its parts, so a changed .dbf counts."""
    parts = [path]
    if path.suffix.lower() == ".shp":
        parts = sorted((p for p in path.parent.glob(path.stem + ".*")
                        if p.suffix.lower() in SHAPEFILE_PARTS), key=lambda p: p.suffix.lower())
    digest = hashlib.sha256()
    size = 0
    for part in parts:
        if len(parts) > 1:
            digest.update(part.suffix.lower().encode("ascii") + b"\0")
        with part.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
    return FileDigest(path.name[:255], digest.hexdigest(), size)


def previous_imports(session: Session, digest: FileDigest, kind: Kind) -> list[PreviousImport]:
    """Earlier batches of a file with the same contents (oldest first)."""
    rows = session.scalars(select(ImportBatch).where(
        ImportBatch.sha256 == digest.sha256, ImportBatch.kind == kind).order_by(ImportBatch.id))
    return [PreviousImport(b.id, b.status, b.file_name, b.actor, b.imported_at) for b in rows]


def record_batch(session: Session, kind: Kind, digest: FileDigest, *, actor: str,
                 status: Literal["applied", "rejected"] = "applied", counts: Counts = Counts(),
                 crs: str | None = None, project_id: int | None = None,
                 survey_id: int | None = None, note: str | None = None) -> int:
    """Append one batch row (in the caller's transaction); returns its id."""
    batch = ImportBatch(kind=kind, status=status, file_name=digest.name, sha256=digest.sha256,
                        size_bytes=digest.size_bytes, project_id=project_id,
                        survey_id=survey_id, crs=crs, actor=actor, created=counts.created,
                        updated=counts.updated, unchanged=counts.unchanged,
                        rejected=counts.rejected, note=note)
    session.add(batch)
    session.flush()
    return batch.id


def record_changes(session: Session, batch_id: int, entity: Entity,
                   changes: Iterable[tuple[int, str]]) -> int:
    """Link the rows a batch inserted ('I') or updated ('U'); returns how many."""
    rows = [ImportBatchChange(batch_id=batch_id, entity=entity, entity_id=int(i), action=a)
            for i, a in dict(changes).items()]
    session.add_all(rows)
    session.flush()
    return len(rows)


def record_parcel_changes(session: Session, batch_id: int, survey_id: int, *,
                          confirm_paid: bool) -> int:
    """Link the parcels the last :func:`gis.ingest.writer.write_parcels` call inserted or
    updated (read from its temporary tables, still there in this transaction)."""
    result = session.execute(text("""
        INSERT INTO import_batch_changes (batch_id, entity, entity_id, action)
        SELECT :b, 'parcel', coalesce(d.parcel_id, p.id),
               CASE d.status WHEN 'new' THEN 'I' ELSE 'U' END
        FROM import_diff d JOIN import_stage s USING (row_no)
        LEFT JOIN parcels p ON d.parcel_id IS NULL AND p.survey_id = :sid
             AND p.commune_code = s.commune_code
             AND p.sheet_commune_code = s.sheet_commune_code AND p.sheet_no = s.sheet_no
             AND p.parcel_no = s.parcel_no
        WHERE d.status = 'new' OR (d.status = 'changed' AND (NOT d.has_payments OR :confirm))
    """), {"b": batch_id, "sid": survey_id, "confirm": confirm_paid})
    return int(getattr(result, "rowcount", 0))


def batches_of(session: Session, entity: Entity, entity_id: int) -> list[tuple[int, str, str]]:
    """The batches that wrote a row: (batch id, action, file name), oldest first."""
    rows = session.execute(text(
        "SELECT b.id, c.action, b.file_name FROM import_batch_changes c"
        " JOIN import_batches b ON b.id = c.batch_id"
        " WHERE c.entity = :e AND c.entity_id = :i ORDER BY b.id"),
        {"e": entity, "i": entity_id}).all()
    return [(int(b), str(a), str(f)) for b, a, f in rows]


def record_parcel_import(session: Session, path: Path, result: ImportResult, *, actor: str,
                         confirm_paid: bool = False) -> int | None:
    """Record an applied parcel import (right after it, same transaction); None for a dry
    run. Held changes (parcels with payments, not confirmed) count as rejected rows."""
    write = result.write
    if result.dry_run or write is None:
        return None
    batch_id = record_batch(
        session, "parcels", file_digest(path), actor=actor,
        counts=Counts(write.inserted, write.updated, write.unchanged, len(write.held)),
        crs=result.report.crs, survey_id=write.survey_id)
    record_parcel_changes(session, batch_id, write.survey_id, confirm_paid=confirm_paid)
    record_changes(session, batch_id, "land_user", write.holders.user_changes)
    record_changes(session, batch_id, "parcel_land_user", write.holders.holding_changes)
    return batch_id
