"""Each open case's next legal deadline, maintained by database triggers (revision 0007).

Read-only for the application: the triggers on ``case_events``, ``clearance_cases``,
``resettlement_allocations`` and the rule tables keep it in step with the history.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from gis.models.base import Base


class CaseNextDeadline(Base):
    """The earliest open obligation of a case (none once nothing is due)."""

    __tablename__ = "case_next_deadlines"

    case_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("clearance_cases.id", ondelete="CASCADE"), primary_key=True)
    what: Mapped[str] = mapped_column(Text)
    due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    rule_version: Mapped[str | None] = mapped_column(Text, ForeignKey("rule_sets.version"))
