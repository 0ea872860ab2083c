"""Scanned documents attached to case events (bytes stored outside the database).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from pathlib import Path

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SCHEMA_SQL = Path(__file__).resolve().parents[2] / "sql" / "0004_documents.sql"


def upgrade() -> None:
    raw = op.get_bind().connection.driver_connection  # psycopg: no placeholder parsing
    assert raw is not None
    raw.execute(SCHEMA_SQL.read_text(encoding="utf-8"))


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS case_documents")
