"""Field actions from the tablets and the resolutions of their conflicts.

Revision ID: 0013
Revises: 0008
Create Date: 2026-12-02
"""

from pathlib import Path

from alembic import op

revision = "0013"
down_revision = "0008"
branch_labels = None
depends_on = None

SCHEMA_SQL = Path(__file__).resolve().parents[2] / "sql" / "0013_field_actions.sql"


def upgrade() -> None:
    raw = op.get_bind().connection.driver_connection  # psycopg: no placeholder parsing
    assert raw is not None
    raw.execute(SCHEMA_SQL.read_text(encoding="utf-8"))


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS field_action_resolutions")
    op.execute("DROP TABLE IF EXISTS field_actions")
