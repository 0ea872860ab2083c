"""Clearance cases (project × parcel), their append-only history and payment ledger."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger, Computed, ForeignKey, Index, Integer, Numeric, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gis.core.domain import CaseStep, EventKind, LedgerKind, PaymentMethod
from gis.models.base import (
    Base,
    Geom,
    Vnd,
    created_at,
    geometry,
    pg_enum,
    updated_at,
    version_column,
)

_APPROVED_TOTAL = (
    "approved_land_vnd + approved_structures_vnd + approved_crops_vnd"
    " + approved_support_vnd + approved_resettlement_vnd"
)


class ClearanceCase(Base):
    """The clearance file (hồ sơ GPMB) for one parcel within one project."""

    __tablename__ = "clearance_cases"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcels.id"))
    alignment_id: Mapped[int | None] = mapped_column(ForeignKey("alignments.id"))
    recovered_geom: Mapped[Geom] = geometry("MULTIPOLYGON")
    recovered_area_m2: Mapped[Decimal] = mapped_column(Numeric(14, 1))
    is_whole_parcel: Mapped[bool] = mapped_column(server_default="false")
    step: Mapped[CaseStep] = mapped_column(
        pg_enum(CaseStep, "case_step"), server_default=CaseStep.NOT_STARTED.value
    )
    step_changed_on: Mapped[dt.date | None]
    approved_land_vnd: Mapped[Vnd]
    approved_structures_vnd: Mapped[Vnd]
    approved_crops_vnd: Mapped[Vnd]
    approved_support_vnd: Mapped[Vnd]
    approved_resettlement_vnd: Mapped[Vnd]
    approved_total_vnd: Mapped[int] = mapped_column(BigInteger, Computed(_APPROVED_TOTAL))
    paid_vnd: Mapped[int] = mapped_column(BigInteger, server_default="0")  # ledger sum (trigger)
    resettlement_needed: Mapped[bool] = mapped_column(server_default="false")
    complaint_open: Mapped[bool] = mapped_column(server_default="false")
    enforcement_stage: Mapped[str | None] = mapped_column(Text)
    handover_date: Mapped[dt.date | None]
    responsible_officer: Mapped[str | None] = mapped_column(Text)  # revision 0010
    responsible_unit: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = updated_at()
    version: Mapped[int] = version_column()

    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="(CaseEvent.occurred_on, CaseEvent.id)"
    )
    payments: Mapped[list[Payment]] = relationship(
        back_populates="case", order_by="(Payment.paid_on, Payment.id)"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    @property
    def outstanding_vnd(self) -> int:
        """Approved but not yet paid (never negative without an explicit reversal)."""
        return self.approved_total_vnd - self.paid_vnd


class CaseEvent(Base):
    """One dated entry of a case's history; rows are never changed or deleted."""

    __tablename__ = "case_events"
    __table_args__ = (Index("uq_case_events_idempotency_key",
                            func.coalesce(text("recorded_by"), 0), text("idempotency_key"),
                            unique=True, postgresql_where=text("idempotency_key IS NOT NULL")),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("clearance_cases.id"))
    kind: Mapped[EventKind] = mapped_column(pg_enum(EventKind, "event_kind"))
    step_from: Mapped[CaseStep | None] = mapped_column(pg_enum(CaseStep, "case_step"))
    step_to: Mapped[CaseStep | None] = mapped_column(pg_enum(CaseStep, "case_step"))
    occurred_on: Mapped[dt.date]
    decision_no: Mapped[str | None] = mapped_column(Text)
    decision_date: Mapped[dt.date | None]
    signer: Mapped[str | None] = mapped_column(Text)
    issuer_level: Mapped[str | None] = mapped_column(Text)  # province / district / commune
    issuer_unit: Mapped[str | None] = mapped_column(Text)  # "UBND xã Kiên Mộc"
    note: Mapped[str | None] = mapped_column(Text)
    rule_version: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = created_at()
    idempotency_key: Mapped[str | None] = mapped_column(Text)
    """Unique per user (``recorded_by``), see revision 0011."""

    case: Mapped[ClearanceCase] = relationship(back_populates="events")


class Payment(Base):
    """A ledger entry: money paid to a payee of a household, or deposited for them;
    corrections are reversing entries."""

    __tablename__ = "payments"
    __table_args__ = (Index("uq_payments_idempotency_key",
                            func.coalesce(text("recorded_by"), 0), text("idempotency_key"),
                            unique=True, postgresql_where=text("idempotency_key IS NOT NULL")),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("clearance_cases.id"))
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    reverses_payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("payments.id"), unique=True
    )
    paid_on: Mapped[dt.date]
    method: Mapped[PaymentMethod] = mapped_column(pg_enum(PaymentMethod, "payment_method"))
    voucher_no: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = created_at()
    idempotency_key: Mapped[str | None] = mapped_column(Text)
    """Unique per user (``recorded_by``), see revision 0011."""
    household_id: Mapped[int | None] = mapped_column(ForeignKey("compensation_households.id"))
    payee_id: Mapped[int | None] = mapped_column(ForeignKey("compensation_payees.id"))
    kind: Mapped[LedgerKind] = mapped_column(pg_enum(LedgerKind, "ledger_kind"),
                                             server_default=LedgerKind.PAYMENT.value)
    deposit_account: Mapped[str | None] = mapped_column(Text)
    needs_review: Mapped[bool] = mapped_column(server_default="false")

    case: Mapped[ClearanceCase] = relationship(back_populates="payments")
