"""Versioned legal time limits: rule_sets, time_limits, their SQL helpers and seed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from pathlib import Path

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCHEMA_SQL = Path(__file__).resolve().parents[2] / "sql" / "0002_rules.sql"


def upgrade() -> None:
    raw = op.get_bind().connection.driver_connection  # psycopg: no placeholder parsing
    assert raw is not None
    raw.execute(SCHEMA_SQL.read_text(encoding="utf-8"))


def downgrade() -> None:
    op.execute("ALTER TABLE case_events DROP CONSTRAINT IF EXISTS "
               "fk_case_events_rule_version_rule_sets")
    op.execute("DROP FUNCTION IF EXISTS gpmb_time_limit_due(text, land_group, date, date)")
    op.execute("DROP FUNCTION IF EXISTS gpmb_rule_version_on(date)")
    op.execute("DROP TABLE IF EXISTS time_limits")
    op.execute("DROP TABLE IF EXISTS rule_sets")
