"""What ``GET /health`` and ``gpmb db status`` report about the database."""

from __future__ import annotations

from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from gis.core.errors import DatabaseUnavailable
from gis.db import migrate
from gis.db.postgis import server_versions
from gis.models import ClearanceCase, Parcel, Project

EXACT_BELOW = 200_000
"""Parcels are counted exactly below this many (by the planner's estimate); above it the
estimate is reported: counting a million rows is a full scan on every health check."""


def parcel_count(conn: Connection) -> tuple[int, bool]:
    """How many parcels there are, and whether that is exact: a ``count(*)`` while the table
    is small (or never analysed), else the planner's estimate ``pg_class.reltuples`` scaled
    to the table's current size, as ``EXPLAIN`` would."""
    estimate = conn.execute(text(
        "SELECT CASE WHEN c.reltuples < 0 THEN NULL"
        " WHEN c.relpages > 0 THEN c.reltuples / c.relpages"
        "  * (pg_relation_size(c.oid) / current_setting('block_size')::integer)"
        " ELSE c.reltuples END FROM pg_class c WHERE c.oid = 'parcels'::regclass")
    ).scalar_one()
    if estimate is None or estimate < EXACT_BELOW:
        return conn.execute(select(func.count()).select_from(Parcel)).scalar_one(), True
    return round(estimate), False


def database_report(engine: Engine) -> dict[str, Any]:
    """Versions, schema revision, the demo project and the number of parcels (estimated on
    large databases: ``parcels_exact`` says which), read in one short transaction."""
    try:
        with engine.connect() as conn:
            versions = server_versions(conn)
            revision = MigrationContext.configure(conn).get_current_revision()
            demo: dict[str, Any] | None = None
            try:
                row = conn.execute(
                    select(Project.id, Project.code, Project.name)
                    .where(Project.is_demo)
                    .order_by(Project.id)
                    .limit(1)
                ).first()
            except ProgrammingError:  # schema not migrated yet
                conn.rollback()
                row = None
            if row is not None:
                cases = conn.execute(
                    select(func.count()).where(ClearanceCase.project_id == row.id)
                ).scalar_one()
                demo = {"code": row.code, "name": row.name, "cases": cases}
            parcels, exact = None, True
            if revision is not None:
                parcels, exact = parcel_count(conn)
    except OperationalError as exc:
        raise DatabaseUnavailable(str(exc.orig).splitlines()[0] if exc.orig else None) from None
    return {
        "postgresql": versions["postgresql"],
        "postgis": versions["postgis"],
        "schema_revision": revision,
        "schema_head": migrate.head_revision(),
        "parcels": parcels,
        "parcels_exact": exact,
        "demo_project": demo,
    }


def current_revision(engine: Engine) -> str | None:
    """The schema revision: one round trip, raising ``DatabaseUnavailable`` when the server
    cannot be reached (the cheap half of the health check)."""
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        raise DatabaseUnavailable(str(exc.orig).splitlines()[0] if exc.orig else None) from None
