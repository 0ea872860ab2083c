"""The procedure the inspection checks: step documents, issuers, consultation, renewed
notices, recovery exceptions, the complaint register, enforcement blackouts, new limits.

Revision ID: 0009
Revises: 0011
Create Date: 2026-12-02
"""

from pathlib import Path

from alembic import op

revision = "0009"
down_revision = "0014"
branch_labels = None
depends_on = None

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
SCHEMA_SQL = SQL_DIR / "0009_procedure.sql"

NEW_KEYS = ("consultation_within", "inventory_persuasion", "handover_after_compliance")


def upgrade() -> None:
    raw = op.get_bind().connection.driver_connection  # psycopg: no placeholder parsing
    assert raw is not None
    raw.execute(SCHEMA_SQL.read_text(encoding="utf-8"))


def _deadline_functions_of_0007() -> str:
    """The deadline functions as revision 0007 made them (0009 replaced them)."""
    text = (SQL_DIR / "0007_tile_flags.sql").read_text(encoding="utf-8")
    refresh = text[text.index("CREATE FUNCTION gpmb_refresh_case_deadlines"):
                   text.index("-- New step events")]
    events = text[text.index("CREATE FUNCTION gpmb_case_deadlines_after_events"):
                  text.index("CREATE TRIGGER tr_case_events_deadlines")]
    return (refresh + events).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")


def downgrade() -> None:
    raw = op.get_bind().connection.driver_connection
    assert raw is not None
    raw.execute(_deadline_functions_of_0007())
    # The new event_kind labels stay (PostgreSQL cannot drop enum labels); revision 0001's
    # downgrade drops the type. Rows using them must go first.
    keys = ", ".join(f"'{k}'" for k in NEW_KEYS)
    op.execute(f"""
        DROP TABLE IF EXISTS enforcement_blackouts;
        DROP TABLE IF EXISTS complaints;
        DROP FUNCTION IF EXISTS gpmb_complaints_outcome_once();
        DROP TABLE IF EXISTS recovery_exceptions;
        DROP TABLE IF EXISTS event_documents;
        ALTER TABLE time_limits DISABLE TRIGGER tr_time_limits_append_only;
        DELETE FROM time_limits WHERE rule_key IN ({keys});
        ALTER TABLE time_limits ENABLE TRIGGER tr_time_limits_append_only;
        ALTER TABLE time_limits DROP CONSTRAINT time_limits_rule_key_check;
        ALTER TABLE time_limits ADD CONSTRAINT time_limits_rule_key_check CHECK (rule_key IN (
            'notice_min', 'notice_validity', 'plan_posting', 'plan_appraisal',
            'decision_after_approval', 'payment_after_approval',
            'complaint_first', 'complaint_second', 'complaint_second_remote'));
        ALTER TABLE clearance_cases DROP CONSTRAINT clearance_cases_enforcement_stage_check;
        ALTER TABLE clearance_cases ADD CONSTRAINT clearance_cases_enforcement_stage_check
            CHECK (enforcement_stage IN ('decided', 'executed'));
        ALTER TABLE case_events DROP CONSTRAINT IF EXISTS ck_case_events_issuer;
        ALTER TABLE case_events DROP COLUMN IF EXISTS issuer_unit;
        ALTER TABLE case_events DROP COLUMN IF EXISTS issuer_level;
    """)
