"""The steering committee: key-project register, plans, meetings and tasks.

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-02
"""

from pathlib import Path

from alembic import op

revision = "0014"
down_revision = "0011"
branch_labels = None
depends_on = None

SCHEMA_SQL = Path(__file__).resolve().parents[2] / "sql" / "0014_committee.sql"
TABLES = ("committee_task_updates", "committee_tasks", "committee_meetings",
          "committee_plan_months", "committee_plans", "key_project_changes",
          "committee_unit_users", "committee_members", "committee_units")


def upgrade() -> None:
    raw = op.get_bind().connection.driver_connection  # psycopg: no placeholder parsing
    assert raw is not None
    raw.execute(SCHEMA_SQL.read_text(encoding="utf-8"))


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table}")
