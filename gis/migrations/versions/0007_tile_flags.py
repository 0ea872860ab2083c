"""Each open case's next legal deadline, kept by triggers, for the map's overdue flag.

The vector tiles flag overdue cases with ``case_next_deadlines.due_on < today`` (a
primary-key join) instead of receiving every overdue case id with each request.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from pathlib import Path

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SCHEMA_SQL = Path(__file__).resolve().parents[2] / "sql" / "0007_tile_flags.sql"


def upgrade() -> None:
    raw = op.get_bind().connection.driver_connection  # psycopg: no placeholder parsing
    assert raw is not None
    raw.execute(SCHEMA_SQL.read_text(encoding="utf-8"))


def downgrade() -> None:
    op.execute("""
        DROP TRIGGER IF EXISTS tr_time_limits_deadlines ON time_limits;
        DROP TRIGGER IF EXISTS tr_rule_sets_deadlines ON rule_sets;
        DROP TRIGGER IF EXISTS tr_resettlement_allocations_deadlines_del
            ON resettlement_allocations;
        DROP TRIGGER IF EXISTS tr_resettlement_allocations_deadlines_upd
            ON resettlement_allocations;
        DROP TRIGGER IF EXISTS tr_resettlement_allocations_deadlines_ins
            ON resettlement_allocations;
        DROP TRIGGER IF EXISTS tr_clearance_cases_deadlines ON clearance_cases;
        DROP TRIGGER IF EXISTS tr_case_events_deadlines ON case_events;
        DROP FUNCTION IF EXISTS gpmb_case_deadlines_after_rules();
        DROP FUNCTION IF EXISTS gpmb_case_deadlines_after_allocations();
        DROP FUNCTION IF EXISTS gpmb_case_deadlines_after_cases();
        DROP FUNCTION IF EXISTS gpmb_case_deadlines_after_events();
        DROP FUNCTION IF EXISTS gpmb_refresh_case_deadlines(bigint[]);
        DROP TABLE IF EXISTS case_next_deadlines;
        DROP INDEX IF EXISTS ix_clearance_cases_project_parcel;
    """)
