"""The procedure's records beside the history (revision 0009): each event's supporting
documents, recorded recovery exceptions, the complaint register and the enforcement
blackout calendar."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Computed,
    ForeignKey,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from gis.models.base import Base, created_at


class EventDocument(Base):
    """A dated, numbered document an event rests on (delivery proof, minutes, receipt)."""

    __tablename__ = "event_documents"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case_events.id"))
    case_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("clearance_cases.id"))
    kind: Mapped[str] = mapped_column(Text)
    doc_no: Mapped[str] = mapped_column(Text)
    doc_date: Mapped[dt.date]
    signed_by: Mapped[str | None] = mapped_column(Text)


class RecoveryException(Base):
    """Art. 85(2) consent or a Resolution 254 Art. 3.3 exception, with its proof event."""

    __tablename__ = "recovery_exceptions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case_events.id"),
                                          unique=True)
    case_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("clearance_cases.id"))
    kind: Mapped[str] = mapped_column(Text)
    project_kind: Mapped[str | None] = mapped_column(Text)
    consent_pct: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    granted_on: Mapped[dt.date]


class Complaint(Base):
    """One complaint received (late ones included, flagged) and, once known, its outcome."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("clearance_cases.id"))
    filed_event_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case_events.id"),
                                                unique=True)
    complainant: Mapped[str | None] = mapped_column(Text)
    received_on: Mapped[dt.date]
    against: Mapped[str] = mapped_column(Text)
    decision_received_on: Mapped[dt.date]
    round: Mapped[int] = mapped_column(SmallInteger)
    due_on: Mapped[dt.date]
    late_days: Mapped[int] = mapped_column(Integer)
    is_late: Mapped[bool] = mapped_column(Computed("late_days > 0"))
    rule_version: Mapped[str] = mapped_column(Text, ForeignKey("rule_sets.version"))
    outcome: Mapped[str | None] = mapped_column(Text)
    outcome_on: Mapped[dt.date | None]
    resolved_event_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("case_events.id"), unique=True)


class EnforcementBlackout(Base):
    """Days no enforcement may start: a festival or a day blacked out by hand."""

    __tablename__ = "enforcement_blackouts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_day: Mapped[dt.date]
    last_day: Mapped[dt.date]
    name_vi: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    commune_code: Mapped[str | None] = mapped_column(String(5), ForeignKey("communes.code"))
    created_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = created_at()
