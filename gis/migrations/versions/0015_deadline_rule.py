"""The next-deadline rule defined once: ``gpmb_refresh_case_deadlines`` (revision 0007, as
changed by 0009) is replaced by the SQL rendered from the rule tables of
``gis.workflow.deadlines`` (``gis.workflow.overdue.REFRESH_FUNCTION_SQL``). The deadlines it
computes are the same; a change to the rule tables needs a revision that runs it again (a
test compares the installed function with the rendered one).

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-02
"""

from pathlib import Path

from alembic import op

from gis.workflow.overdue import REFRESH_FUNCTION_SQL

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"


def _refresh_function_of_0009() -> str:
    """The function as revision 0009 left it."""
    text = (SQL_DIR / "0009_procedure.sql").read_text(encoding="utf-8")
    return text[text.index("CREATE OR REPLACE FUNCTION gpmb_refresh_case_deadlines"):
                text.index("CREATE OR REPLACE FUNCTION gpmb_case_deadlines_after_events")]


def _run(sql: str) -> None:
    raw = op.get_bind().connection.driver_connection  # psycopg: no placeholder parsing
    assert raw is not None
    raw.execute(sql)


def upgrade() -> None:
    _run(REFRESH_FUNCTION_SQL)


def downgrade() -> None:
    _run(_refresh_function_of_0009())
