"""Idempotency keys per user; sign-in state changes announced with NOTIFY gpmb_auth.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from pathlib import Path

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SCHEMA_SQL = Path(__file__).resolve().parents[2] / "sql" / "0011_scopes.sql"


def upgrade() -> None:
    raw = op.get_bind().connection.driver_connection  # psycopg: no placeholder parsing
    assert raw is not None
    raw.execute(SCHEMA_SQL.read_text(encoding="utf-8"))


def downgrade() -> None:
    op.execute("""
        DROP TRIGGER IF EXISTS tr_user_communes_notify ON user_communes;
        DROP TRIGGER IF EXISTS tr_user_projects_notify ON user_projects;
        DROP TRIGGER IF EXISTS tr_users_notify ON users;
        DROP TRIGGER IF EXISTS tr_auth_tokens_notify ON auth_tokens;
        DROP FUNCTION IF EXISTS gpmb_notify_auth();
    """)
    for table in ("disbursements", "payments", "case_events"):
        op.execute(f"DROP INDEX uq_{table}_idempotency_key")
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_idempotency_key_key "
                   "UNIQUE (idempotency_key)")
