"""Import batches: what each import of survey data wrote.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from pathlib import Path

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SCHEMA_SQL = Path(__file__).resolve().parents[2] / "sql" / "0006_import_batches.sql"


def upgrade() -> None:
    raw = op.get_bind().connection.driver_connection  # psycopg: no placeholder parsing
    assert raw is not None
    raw.execute(SCHEMA_SQL.read_text(encoding="utf-8"))


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS import_batch_changes")
    op.execute("DROP TABLE IF EXISTS import_batches")
