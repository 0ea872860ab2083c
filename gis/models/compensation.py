"""Compensation per household (revision 0008): records, decisions, line items, payees.

A household record is one land user within one project and covers all of its cases; the
approved plan is the line items of its decisions in force; payments (``Payment``) name a
household and a payee. Decisions, items and payees are append-only.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gis.core.domain import DecisionKind, ItemKind, PayeeKind
from gis.models.base import Base, created_at, pg_enum, updated_at, version_column


class CompensationHousehold(Base):
    """Hồ sơ bồi thường theo hộ: one land user (household or organisation) in a project."""

    __tablename__ = "compensation_households"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    land_user_id: Mapped[int] = mapped_column(ForeignKey("land_users.id"))
    needs_review: Mapped[bool] = mapped_column(server_default="false")
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = updated_at()
    version: Mapped[int] = version_column()

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class HouseholdCase(Base):
    """A case (parcel) covered by a household record."""

    __tablename__ = "compensation_household_cases"

    household_id: Mapped[int] = mapped_column(
        ForeignKey("compensation_households.id"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("clearance_cases.id"), primary_key=True)


class CompensationDecision(Base):
    """An approval (or amending / supplementary) decision for one household's plan."""

    __tablename__ = "compensation_decisions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("compensation_households.id"))
    kind: Mapped[DecisionKind] = mapped_column(
        pg_enum(DecisionKind, "compensation_decision_kind"))
    amends_decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("compensation_decisions.id"), unique=True)
    decision_no: Mapped[str] = mapped_column(Text)
    decision_date: Mapped[dt.date]
    signer: Mapped[str] = mapped_column(Text)
    total_vnd: Mapped[int] = mapped_column(BigInteger)
    zero_ground: Mapped[str | None] = mapped_column(Text)
    needs_review: Mapped[bool] = mapped_column(server_default="false")
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = created_at()
    idempotency_key: Mapped[str | None] = mapped_column(Text, unique=True)


class LineItem(Base):
    """One line of an approved plan: kind, quantity × unit price = amount, legal ground."""

    __tablename__ = "compensation_line_items"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("compensation_decisions.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("clearance_cases.id"))
    kind: Mapped[ItemKind] = mapped_column(pg_enum(ItemKind, "compensation_item_kind"))
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(Numeric(16, 3))
    unit: Mapped[str] = mapped_column(Text)
    unit_price_vnd: Mapped[int] = mapped_column(BigInteger)
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    legal_ground: Mapped[str] = mapped_column(Text)
    created_on: Mapped[dt.date | None]
    illegal: Mapped[bool] = mapped_column(server_default="false")
    exception_ground: Mapped[str | None] = mapped_column(Text)


class Payee(Base):
    """Who may receive a household's money, and their share (parts of the whole)."""

    __tablename__ = "compensation_payees"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("compensation_households.id"))
    kind: Mapped[PayeeKind] = mapped_column(pg_enum(PayeeKind, "payee_kind"))
    land_user_id: Mapped[int | None] = mapped_column(ForeignKey("land_users.id"))
    full_name: Mapped[str] = mapped_column(Text)
    citizen_id: Mapped[str | None] = mapped_column(String(12))
    document_kind: Mapped[str | None] = mapped_column(Text)
    document_no: Mapped[str | None] = mapped_column(Text)
    document_date: Mapped[dt.date | None]
    share_parts: Mapped[int] = mapped_column(Integer, server_default="1")
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = created_at()


class LatePaymentRate(Base):
    """The late-payment interest rate in force from ``effective_from`` (per million, per day)."""

    __tablename__ = "late_payment_rates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    effective_from: Mapped[dt.date] = mapped_column(unique=True)
    rate_ppm_per_day: Mapped[int] = mapped_column(Integer)
    legal_reference: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = created_at()
