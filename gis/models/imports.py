"""Import batches (one per imported file) and the rows each batch created or changed;
both tables are append-only."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CHAR, BigInteger, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from gis.models.base import Base, created_at


class ImportBatch(Base):
    """One import of a file: what, from which file (SHA-256), by whom, when, and counts."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(Text)  # parcels | alignment | households
    status: Mapped[str] = mapped_column(Text)  # applied | rejected
    file_name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(CHAR(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    project_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("projects.id"))
    survey_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("surveys.id"))
    crs: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[dt.datetime] = created_at()
    created: Mapped[int] = mapped_column(Integer, server_default="0")
    updated: Mapped[int] = mapped_column(Integer, server_default="0")
    unchanged: Mapped[int] = mapped_column(Integer, server_default="0")
    rejected: Mapped[int] = mapped_column(Integer, server_default="0")
    note: Mapped[str | None] = mapped_column(Text)


class ImportBatchChange(Base):
    """A row (parcel, alignment, land user, holding or case) a batch inserted or updated."""

    __tablename__ = "import_batch_changes"

    batch_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("import_batches.id"),
                                          primary_key=True)
    entity: Mapped[str] = mapped_column(Text, primary_key=True)
    entity_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    action: Mapped[str] = mapped_column(CHAR(1))
