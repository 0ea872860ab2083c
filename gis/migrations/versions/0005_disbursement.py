"""Project capital plans and disbursements (giải ngân).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from pathlib import Path

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SCHEMA_SQL = Path(__file__).resolve().parents[2] / "sql" / "0005_disbursement.sql"
TABLES = ("national_disbursement_rates", "disbursement_targets", "disbursements",
          "capital_plans")


def upgrade() -> None:
    raw = op.get_bind().connection.driver_connection  # psycopg: no placeholder parsing
    assert raw is not None
    raw.execute(SCHEMA_SQL.read_text(encoding="utf-8"))


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table}")
