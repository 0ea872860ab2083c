"""Field actions received from the tablets and the resolutions of their conflicts; both
tables are append-only (revision 0013)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CHAR, BigInteger, DateTime, ForeignKey, Integer, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gis.models.base import Base, created_at


class FieldAction(Base):
    """One action done on a tablet, as received once under its idempotency key, with the
    case version it was made on and what the server made of it."""

    __tablename__ = "field_actions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(Text, unique=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.id"))
    case_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("clearance_cases.id"))
    kind: Mapped[str] = mapped_column(Text)  # handover | note | photo | inventory
    base_version: Mapped[int] = mapped_column(Integer)
    base: Mapped[dict[str, Any]] = mapped_column(JSONB)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    fingerprint: Mapped[str] = mapped_column(CHAR(64))
    done_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[dt.datetime] = created_at()
    outcome: Mapped[str] = mapped_column(Text)  # applied | conflict | refused
    reasons: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    server: Mapped[dict[str, Any]] = mapped_column(JSONB)
    event_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("case_events.id"))
    document_id: Mapped[int | None] = mapped_column(BigInteger,
                                                    ForeignKey("case_documents.id"))


class FieldActionResolution(Base):
    """How a person resolved a conflicting or refused field action (once)."""

    __tablename__ = "field_action_resolutions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    action_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("field_actions.id"),
                                           unique=True)
    resolution: Mapped[str] = mapped_column(Text)  # applied | discarded
    resolved_by: Mapped[int] = mapped_column(Integer, ForeignKey("users.id"))
    resolved_at: Mapped[dt.datetime] = created_at()
    edited: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    note: Mapped[str | None] = mapped_column(Text)
    event_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("case_events.id"))
