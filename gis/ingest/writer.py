"""Write validated parcels: one transaction, COPY into a temporary table, then set-based
INSERT/UPDATE. Unchanged parcels are left alone (so re-importing the same file changes
nothing); parcels whose clearance case has payments are only changed when confirmed."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from gis.core.crs import STORAGE_SRID
from gis.core.errors import ImportRejected
from gis.ingest.locks import QUERY_CANCELED, lock_survey_import
from gis.ingest.overlay import MIN_CASE_AREA_M2

STAGE_COLUMNS = ("row_no", "commune_code", "sheet_commune_code", "sheet_no", "parcel_no",
                 "land_use_code", "land_use_code_source", "legal_area_m2", "address", "geom")
_IDENTITY = ("p.commune_code = s.commune_code AND p.sheet_commune_code = s.sheet_commune_code"
             " AND p.sheet_no = s.sheet_no AND p.parcel_no = s.parcel_no")
_SAME_ATTRS = ("p.land_use_code = s.land_use_code"
               " AND p.land_use_code_source IS NOT DISTINCT FROM s.land_use_code_source"
               " AND p.legal_area_m2 = s.legal_area_m2"
               " AND p.address IS NOT DISTINCT FROM s.address")
_SAME_GEOM = "(p.geom = s.geom OR ST_Equals(p.geom, s.geom))"


@dataclass(frozen=True)
class HeldChange:
    """A change to a parcel with payments, waiting for a person to confirm it."""

    parcel_id: int
    parcel: str
    row: int
    geometry_changed: bool
    old_legal_area_m2: float
    new_legal_area_m2: float
    old_area_m2: float
    new_area_m2: float


@dataclass(frozen=True)
class OtherSurvey:
    """A row whose parcel (commune + sheet + number) is already recorded in another survey:
    ``matched`` when the boundary is the same too (the row is that parcel), a new version
    when it differs."""

    row: int
    parcel: str
    survey: str


@dataclass(frozen=True)
class HolderCounts:
    """Land users named in the parcel file (ChuSuDung/TENCHU) and what became of them."""

    rows: int = 0  # rows with a name
    users_created: int = 0
    users_updated: int = 0
    holdings_created: int = 0
    holdings_updated: int = 0
    user_changes: tuple[tuple[int, str], ...] = ()
    holding_changes: tuple[tuple[int, str], ...] = ()


@dataclass
class WriteResult:
    """What the write did (or, for a dry run, would do)."""

    survey_id: int
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    held: list[HeldChange] = field(default_factory=list)
    not_in_file: int = 0
    matched: list[OtherSurvey] = field(default_factory=list)  # same parcel, other survey
    new_versions: list[OtherSurvey] = field(default_factory=list)  # re-surveyed boundary
    holders: HolderCounts = field(default_factory=HolderCounts)
    outside_footprints: int = 0  # rows no project's footprint crosses (no case, no project map)


def _copy(session: Session, table: str, frame: pd.DataFrame) -> None:
    """COPY a frame into ``table`` over the session's own connection (same transaction)."""
    raw: Any = session.connection().connection.driver_connection
    cols = ", ".join(frame.columns)
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv)") \
            as copy:
        for start in range(0, len(frame), 50_000):
            buf = io.StringIO()
            frame.iloc[start:start + 50_000].to_csv(buf, header=False, index=False,
                                                    quoting=csv.QUOTE_MINIMAL,
                                                    lineterminator="\n")
            copy.write(buf.getvalue())


def survey_id_for(session: Session, name: str, source: str | None) -> int:
    """The survey called ``name``, created when new."""
    session.execute(text("INSERT INTO surveys (name, source) VALUES (:n, :s)"
                         " ON CONFLICT (name) DO NOTHING"), {"n": name, "s": source})
    return int(session.execute(text("SELECT id FROM surveys WHERE name = :n"),
                               {"n": name}).scalar_one())


def stage(session: Session, rows: gpd.GeoDataFrame) -> None:
    """Load the rows into the temporary table ``import_stage`` (dropped at commit)."""
    session.execute(text("DROP TABLE IF EXISTS import_stage"))
    session.execute(text(
        "CREATE TEMP TABLE import_stage (row_no integer PRIMARY KEY, commune_code varchar(5),"
        " sheet_commune_code varchar(5), sheet_no integer, parcel_no integer,"
        " land_use_code varchar(3), land_use_code_source varchar(16),"
        " legal_area_m2 numeric(14, 1), address text, geom geometry(MultiPolygon, 9215))"
        " ON COMMIT DROP"))
    geoms = shapely.set_srid(np.asarray(rows.geometry.values, dtype=object), STORAGE_SRID)
    frame = pd.DataFrame({c: rows[c] for c in STAGE_COLUMNS if c != "geom"})
    frame["geom"] = shapely.to_wkb(geoms, hex=True, include_srid=True)
    _copy(session, "import_stage", frame[list(STAGE_COLUMNS)])
    session.execute(text("ANALYZE import_stage"))


def outside_footprints(session: Session) -> int:
    """How many rows of ``import_stage`` no project's footprint crosses by the overlay's
    ``MIN_CASE_AREA_M2``: they will get no clearance case, so no project's map draws them.
    The footprints near the file are cut into small indexed pieces (as the overlay does), so
    each row meets its few pieces through the index."""
    session.execute(text("DROP TABLE IF EXISTS import_pieces"))
    session.execute(text(
        "CREATE TEMP TABLE import_pieces ON COMMIT DROP AS SELECT project_id,"
        " ST_Subdivide(footprint, 64) AS geom FROM alignments WHERE footprint && (SELECT"
        f" ST_SetSRID(ST_Extent(geom)::geometry, {STORAGE_SRID}) FROM import_stage)"))
    session.execute(text("CREATE INDEX ON import_pieces USING gist (geom)"))
    session.execute(text("ANALYZE import_pieces"))
    return int(session.execute(text(
        "SELECT count(*) FROM import_stage s WHERE NOT EXISTS (SELECT 1 FROM import_pieces q"
        " WHERE ST_Intersects(s.geom, q.geom) GROUP BY q.project_id"
        " HAVING sum(ST_Area(ST_Intersection(s.geom, q.geom))) >= :m)"),
        {"m": MIN_CASE_AREA_M2}).scalar_one())


def write_parcels(session: Session, rows: gpd.GeoDataFrame, *, survey: str, source: str | None,
                  actor: str, confirm_paid: bool = False, dry_run: bool = False) -> WriteResult:
    """Insert new parcels and update changed ones of ``survey``, atomically.

    Runs inside a savepoint of the caller's transaction: on any database error nothing of
    this import stays. With ``dry_run`` the classification is computed and then undone.
    """
    if not dry_run:
        lock_survey_import(session, survey)
    try:
        with import_savepoint(session, dry_run=dry_run):
            return _write(session, rows, survey=survey, source=source, actor=actor,
                          confirm_paid=confirm_paid)
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == QUERY_CANCELED:
            raise ImportRejected(f"import cancelled: {exc.orig}", code_detail="cancelled",
                                 message_vi="Việc nhập bị huỷ (quá thời gian hoặc người gửi "
                                 "đã ngắt kết nối); chưa có gì được ghi. Hãy nhập lại.") from exc
        raise ImportRejected(f"database refused the import: {exc.orig}",
                             message_vi="CSDL từ chối ghi dữ liệu nhập; chưa có gì được ghi. "
                             "Chi tiết: {error}", params={"error": str(exc.orig)},
                             code_detail="db_refused") from exc


@contextmanager
def import_savepoint(session: Session, *, dry_run: bool) -> Iterator[None]:
    """The body runs in a savepoint of the caller's transaction: undone on any error (so
    nothing of the import stays) and for a dry run, released otherwise."""
    nested = session.begin_nested()
    try:
        yield
    except BaseException:
        nested.rollback()
        raise
    if dry_run:
        nested.rollback()
    else:
        nested.commit()


def _write(session: Session, rows: gpd.GeoDataFrame, *, survey: str, source: str | None,
           actor: str, confirm_paid: bool) -> WriteResult:
    session.execute(text("SELECT set_config('gpmb.actor', :a, true)"), {"a": actor})
    sid = survey_id_for(session, survey, source)
    stage(session, rows)
    session.execute(text("DROP TABLE IF EXISTS import_diff"))
    # Each row's parcel: the same survey's parcel with its identity; otherwise the same
    # parcel (identity and boundary) recorded under another survey — an export re-imported
    # under another name, say — which the row then updates instead of copying it.
    session.execute(text(f"""
        CREATE TEMP TABLE import_diff ON COMMIT DROP AS
        SELECT s.row_no, p.id AS parcel_id,
               CASE WHEN p.id IS NULL THEN 'new'
                    WHEN {_SAME_ATTRS} AND {_SAME_GEOM} THEN 'same'
                    ELSE 'changed' END AS status,
               p.id IS NOT NULL AND NOT {_SAME_GEOM} AS geom_changed,
               p.id IS NOT NULL AND EXISTS (
                   SELECT 1 FROM clearance_cases c JOIN payments pay ON pay.case_id = c.id
                   WHERE c.parcel_id = p.id) AS has_payments,
               CASE WHEN p.survey_id <> :sid THEN p.survey_id END AS other_survey_id,
               (SELECT max(o.survey_id) FROM parcels o WHERE p.id IS NULL
                AND o.survey_id <> :sid AND {_IDENTITY.replace("p.", "o.")}) AS older_version_of
        FROM import_stage s
        LEFT JOIN LATERAL (
            SELECT * FROM (
                (SELECT p.*, 0 AS pref FROM parcels p WHERE p.survey_id = :sid AND {_IDENTITY})
                UNION ALL
                (SELECT p.*, 1 AS pref FROM parcels p
                 WHERE p.survey_id <> :sid AND {_IDENTITY} AND {_SAME_GEOM})
            ) m ORDER BY m.pref, m.survey_id DESC LIMIT 1
        ) p ON true
    """), {"sid": sid})
    session.execute(text("ALTER TABLE import_diff ADD PRIMARY KEY (row_no)"))
    session.execute(text("ANALYZE import_diff"))
    counts: dict[str, int] = dict(session.execute(text(
        "SELECT status, count(*) FROM import_diff GROUP BY status")).all())
    held_rows = session.execute(text("""
        SELECT d.parcel_id, s.commune_code || '/' || s.sheet_no || '/' || s.parcel_no, d.row_no,
               d.geom_changed, p.legal_area_m2::float, s.legal_area_m2::float,
               ST_Area(p.geom), ST_Area(s.geom)
        FROM import_diff d JOIN import_stage s USING (row_no) JOIN parcels p ON p.id = d.parcel_id
        WHERE d.status = 'changed' AND d.has_payments ORDER BY d.row_no
    """)).all()
    held = [HeldChange(*r) for r in held_rows]
    # the new parcels' ids go straight into import_diff, so that what follows (batch
    # changes, land users) never joins ``parcels`` on stale statistics (it was empty at
    # the last ANALYZE: a nested loop over 100,000 × 100,000 rows)
    session.execute(text(f"""
        WITH ins AS (
            INSERT INTO parcels (survey_id, commune_code, sheet_commune_code, sheet_no,
                                 parcel_no, land_use_code, land_use_code_source,
                                 legal_area_m2, address, geom)
            SELECT :sid, s.commune_code, s.sheet_commune_code, s.sheet_no, s.parcel_no,
                   s.land_use_code, s.land_use_code_source, s.legal_area_m2, s.address,
                   s.geom
            FROM import_stage s JOIN import_diff d USING (row_no) WHERE d.status = 'new'
            RETURNING id, commune_code, sheet_commune_code, sheet_no, parcel_no)
        UPDATE import_diff d SET parcel_id = p.id
        FROM ins p JOIN import_stage s ON {_IDENTITY}
        WHERE d.row_no = s.row_no AND d.status = 'new'
    """), {"sid": sid})
    updated = session.execute(text("""
        UPDATE parcels p SET land_use_code = s.land_use_code,
               land_use_code_source = s.land_use_code_source, legal_area_m2 = s.legal_area_m2,
               address = s.address, geom = s.geom, version = p.version + 1, updated_at = now()
        FROM import_stage s JOIN import_diff d USING (row_no)
        WHERE p.id = d.parcel_id AND d.status = 'changed' AND (NOT d.has_payments OR :confirm)
    """), {"confirm": confirm_paid})
    not_in_file = session.execute(text(f"""
        SELECT count(*) FROM parcels p WHERE p.survey_id = :sid
        AND NOT EXISTS (SELECT 1 FROM import_stage s WHERE {_IDENTITY})
    """), {"sid": sid}).scalar_one()
    result = WriteResult(sid, counts.get("new", 0), int(getattr(updated, "rowcount", 0)),
                         counts.get("same", 0), [] if confirm_paid else held, int(not_in_file),
                         outside_footprints=outside_footprints(session))
    for row, ident, name, kind in session.execute(text("""
        SELECT d.row_no, s.commune_code || '/' || s.sheet_no || '/' || s.parcel_no, v.name,
               CASE WHEN d.other_survey_id IS NOT NULL THEN 'matched' ELSE 'version' END
        FROM import_diff d JOIN import_stage s USING (row_no)
        JOIN surveys v ON v.id = coalesce(d.other_survey_id, d.older_version_of)
        ORDER BY d.row_no""")).all():
        (result.matched if kind == "matched" else result.new_versions).append(
            OtherSurvey(int(row), str(ident), str(name)))
    if "land_user_name" in rows:
        from gis.ingest.holders import attach_holders  # holders → households → writer

        result.holders = attach_holders(session, rows, sid)
    return result
