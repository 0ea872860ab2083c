"""Compensation per household: records, itemised decisions, payees, deposits, interest rate.

Existing data moves forward: every case's land users get a household record; each case's
approved amounts become line items under a migrated decision of its first land user; each
payment gets that land user as payee, flagged "needs review".

Revision ID: 0008
Revises: 0011 (0007 when developed; re-chained after main merged 0010 and 0011)
Create Date: 2026-12-02
"""

from pathlib import Path

from alembic import op

revision = "0008"
down_revision = "0009"
branch_labels = None
depends_on = None

SCHEMA_SQL = Path(__file__).resolve().parents[2] / "sql" / "0008_household_money.sql"


def upgrade() -> None:
    raw = op.get_bind().connection.driver_connection  # psycopg: no placeholder parsing
    assert raw is not None
    raw.execute(SCHEMA_SQL.read_text(encoding="utf-8"))


def downgrade() -> None:
    op.execute("""
        ALTER TABLE payments DROP CONSTRAINT IF EXISTS ck_payments_deposit_account,
            DROP CONSTRAINT IF EXISTS ck_payments_payee,
            DROP CONSTRAINT IF EXISTS ck_payments_kind_method,
            DROP COLUMN IF EXISTS needs_review, DROP COLUMN IF EXISTS deposit_account,
            DROP COLUMN IF EXISTS kind, DROP COLUMN IF EXISTS payee_id,
            DROP COLUMN IF EXISTS household_id;
        DROP FUNCTION IF EXISTS gpmb_backfill_households(boolean);
        DROP TABLE IF EXISTS late_payment_rates;
        DROP TABLE IF EXISTS compensation_payees;
        DROP TABLE IF EXISTS compensation_line_items;
        DROP TABLE IF EXISTS compensation_decisions;
        DROP TABLE IF EXISTS compensation_household_cases;
        DROP TABLE IF EXISTS compensation_households;
        DROP TYPE IF EXISTS ledger_kind;
        DROP TYPE IF EXISTS payee_kind;
        DROP TYPE IF EXISTS compensation_decision_kind;
        DROP TYPE IF EXISTS compensation_item_kind;
    """)
