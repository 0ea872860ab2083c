"""Scanned documents (PDF/JPEG) attached to a case event; rows are never changed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CHAR, BigInteger, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from gis.models.base import Base, created_at


class CaseDocument(Base):
    """Metadata of one stored file; the bytes live under ``documents/<sha[:2]>/<sha>``."""

    __tablename__ = "case_documents"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("clearance_cases.id"))
    event_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("case_events.id"))
    filename: Mapped[str] = mapped_column(Text)
    media_type: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(CHAR(64))
    uploaded_by: Mapped[int] = mapped_column(Integer, ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = created_at()
