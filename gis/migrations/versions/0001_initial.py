"""Initial schema: PostGIS, EPSG:9215, reference tables, parcels, cases and history.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from pathlib import Path

from alembic import op

from gis.core.landuse import LAND_USE_TYPES, LEGACY_CODES
from gis.db.postgis import ensure_postgis, register_storage_crs, unregister_storage_crs

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA_SQL = Path(__file__).resolve().parents[2] / "sql" / "0001_schema.sql"

TABLES = (
    "user_communes", "user_projects", "resettlement_allocations", "resettlement_plots",
    "resettlement_areas", "payments", "case_events", "clearance_cases", "parcel_land_users",
    "land_users", "parcels", "surveys", "alignments", "project_milestones", "projects",
    "users", "communes", "land_use_legacy_codes", "land_use_types", "audit_log",
)
TYPES = (
    "user_role", "payment_method", "event_kind", "case_step", "land_user_kind", "land_group",
    "investment_form", "unit_type",
)
FUNCTIONS = ("gpmb_apply_payment()", "gpmb_audit()", "gpmb_forbid_change()")


def upgrade() -> None:
    bind = op.get_bind()
    ensure_postgis(bind)
    register_storage_crs(bind)
    raw = bind.connection.driver_connection  # psycopg: no placeholder parsing without params
    assert raw is not None
    raw.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
    with raw.cursor() as cur:
        cur.executemany(
            "INSERT INTO land_use_types (code, name_vi, name_en, land_group) "
            "VALUES (%s, %s, %s, %s)",
            [(t.code, t.name_vi, t.name_en, t.group.value) for t in LAND_USE_TYPES],
        )
        cur.executemany(
            "INSERT INTO land_use_legacy_codes (legacy_code, code) VALUES (%s, %s)",
            sorted(LEGACY_CODES.items()),
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    for fn in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    for typ in TYPES:
        op.execute(f"DROP TYPE IF EXISTS {typ}")
    unregister_storage_crs(op.get_bind())
