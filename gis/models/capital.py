"""Project capital disbursement (giải ngân): plan revisions, the disbursement ledger, the
investor's monthly targets and the national average; every table is append-only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, Numeric, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from gis.models.base import Base, created_at


class CapitalPlan(Base):
    """One revision of a project's capital plan (kế hoạch vốn) for a year."""

    __tablename__ = "capital_plans"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    project_id: Mapped[int] = mapped_column(Integer, ForeignKey("projects.id"))
    year: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    decision_no: Mapped[str] = mapped_column(Text)
    decision_date: Mapped[dt.date]
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = created_at()


class Disbursement(Base):
    """A ledger entry of money disbursed; corrections are reversing entries."""

    __tablename__ = "disbursements"
    __table_args__ = (Index("uq_disbursements_idempotency_key",
                            func.coalesce(text("recorded_by"), 0), text("idempotency_key"),
                            unique=True, postgresql_where=text("idempotency_key IS NOT NULL")),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    project_id: Mapped[int] = mapped_column(Integer, ForeignKey("projects.id"))
    year: Mapped[int] = mapped_column(Integer)
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    reverses_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("disbursements.id"), unique=True)
    disbursed_on: Mapped[dt.date]
    source: Mapped[str | None] = mapped_column(Text)
    voucher_no: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = created_at()
    idempotency_key: Mapped[str | None] = mapped_column(Text)
    """Unique per user (``recorded_by``), see revision 0011."""


class DisbursementTarget(Base):
    """One month of a revision of the investor's committed cumulative schedule."""

    __tablename__ = "disbursement_targets"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    project_id: Mapped[int] = mapped_column(Integer, ForeignKey("projects.id"))
    year: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    cumulative_pct: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    cumulative_vnd: Mapped[int | None] = mapped_column(BigInteger)
    committed_on: Mapped[dt.date]
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = created_at()


class NationalDisbursementRate(Base):
    """A revision of the national average disbursement (% of plan) to a month's end."""

    __tablename__ = "national_disbursement_rates"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    rate_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    published_on: Mapped[dt.date]
    source: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = created_at()
