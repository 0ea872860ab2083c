"""The officer and unit responsible for each clearance case.

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-02
"""

from pathlib import Path

from alembic import op

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None

SCHEMA_SQL = Path(__file__).resolve().parents[2] / "sql" / "0010_case_owner.sql"


def upgrade() -> None:
    raw = op.get_bind().connection.driver_connection  # psycopg: no placeholder parsing
    assert raw is not None
    raw.execute(SCHEMA_SQL.read_text(encoding="utf-8"))


def downgrade() -> None:
    op.execute("""
        DROP INDEX IF EXISTS ix_clearance_cases_responsible;
        ALTER TABLE clearance_cases DROP COLUMN IF EXISTS responsible_unit,
            DROP COLUMN IF EXISTS responsible_officer;
    """)
