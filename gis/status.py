"""What ``GET /health`` and ``gpmb db status`` report about the database."""

from __future__ import annotations

from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from gis.db import migrate
from gis.db.postgis import server_versions
from gis.errors import DatabaseUnavailable
from gis.models import ClearanceCase, Parcel, Project


def database_report(engine: Engine) -> dict[str, Any]:
    """Versions, schema revision and the demo project, read in one short transaction."""
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
            parcels = None
            if revision is not None:
                parcels = conn.execute(select(func.count()).select_from(Parcel)).scalar_one()
    except OperationalError as exc:
        raise DatabaseUnavailable(str(exc.orig).splitlines()[0] if exc.orig else None) from None
    return {
        "postgresql": versions["postgresql"],
        "postgis": versions["postgis"],
        "schema_revision": revision,
        "schema_head": migrate.head_revision(),
        "parcels": parcels,
        "demo_project": demo,
    }
