"""Request and response bodies of the household compensation routes (revision 0008)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from gis.core.domain import CaseStep, DecisionKind, ItemKind, LedgerKind, PayeeKind, PaymentMethod
from gis.workflow.authority import IssuerLevel

Vnd = StrictInt
Text = str | None


class LineItemIn(BaseModel):
    """One line of a plan: amount = quantity × unit price, rounded half up to the đồng."""

    model_config = ConfigDict(extra="forbid")

    case_id: int = Field(ge=1)
    kind: ItemKind
    description: Text = Field(default=None, max_length=500)
    quantity: Decimal = Field(ge=0, le=Decimal("1e12"), decimal_places=3)
    unit: str = Field(min_length=1, max_length=50, examples=["m²"])
    unit_price_vnd: Vnd = Field(ge=0, le=10**15)
    legal_ground: str = Field(min_length=1, max_length=2000)
    created_on: dt.date | None = Field(default=None, description="when the asset was made")
    illegal: bool = False
    exception_ground: Text = Field(default=None, max_length=2000)


class DecisionIn(BaseModel):
    """An approval, amending (replaces ``amends_decision_id``) or supplementary decision."""

    model_config = ConfigDict(extra="forbid")

    kind: DecisionKind = DecisionKind.APPROVAL
    decision_no: str = Field(min_length=1, max_length=100, examples=["123/QĐ-UBND"])
    decision_date: dt.date
    signer: str = Field(min_length=1, max_length=200)
    issuer_level: IssuerLevel | None = None
    issuer_unit: Text = Field(default=None, max_length=200, examples=["UBND xã Kiên Mộc"])
    amends_decision_id: int | None = Field(default=None, ge=1)
    zero_ground: Text = Field(default=None, max_length=2000)
    note: Text = Field(default=None, max_length=2000)
    items: list[LineItemIn] = Field(min_length=1, max_length=200)
    version: int | None = Field(default=None, ge=1)


class PayeeIn(BaseModel):
    """A payee: the land user, or an authorised person / heir with their document."""

    model_config = ConfigDict(extra="forbid")

    kind: PayeeKind
    full_name: Text = Field(default=None, max_length=200)
    land_user_id: int | None = Field(default=None, ge=1)
    citizen_id: Text = Field(default=None, pattern=r"^[0-9]{12}$")
    document_no: Text = Field(default=None, max_length=100)
    document_date: dt.date | None = None
    share_parts: StrictInt = Field(default=1, ge=1, le=1000)
    version: int | None = Field(default=None, ge=1)


class HouseholdPaymentIn(BaseModel):
    """Money to a payee, or a deposit for them; split over the household's cases unless
    ``case_id`` names one."""

    model_config = ConfigDict(extra="forbid")

    payee_id: int = Field(ge=1)
    kind: LedgerKind = LedgerKind.PAYMENT
    amount_vnd: Vnd = Field(gt=0, le=10**15)
    paid_on: dt.date
    method: PaymentMethod | None = None
    deposit_account: Text = Field(default=None, max_length=300)
    voucher_no: Text = Field(default=None, max_length=100)
    note: Text = Field(default=None, max_length=2000)
    case_id: int | None = Field(default=None, ge=1)
    version: int | None = Field(default=None, ge=1)


class LineItemOut(BaseModel):
    """A line item as recorded."""

    id: int
    case_id: int
    kind: ItemKind
    description: str
    quantity: Decimal
    unit: str
    unit_price_vnd: int
    amount_vnd: int
    legal_ground: str
    created_on: dt.date | None
    illegal: bool
    exception_ground: str | None


class DecisionOut(BaseModel):
    """A decision with its items; ``in_force`` false once an amendment replaced it."""

    id: int
    kind: DecisionKind
    decision_no: str
    decision_date: dt.date
    signer: str
    total_vnd: int
    zero_ground: str | None
    amends_decision_id: int | None
    replaced_by: int | None
    in_force: bool
    needs_review: bool
    items: list[LineItemOut]


class PayeeOut(BaseModel):
    """A payee, their share and what they received (citizen ID for staff only)."""

    id: int
    kind: PayeeKind
    full_name: str
    land_user_id: int | None
    citizen_id: str | None
    document_kind: str | None
    document_no: str | None
    document_date: dt.date | None
    share_parts: int
    share_vnd: int
    paid_vnd: int
    deposited_vnd: int
    outstanding_vnd: int
    interest_vnd: int


class LedgerEntryOut(BaseModel):
    """A ledger entry with its late-payment interest (0 when on time)."""

    id: int
    case_id: int
    payee_id: int | None
    payee_name: str
    kind: LedgerKind
    amount_vnd: int
    paid_on: dt.date
    method: PaymentMethod
    deposit_account: str | None
    voucher_no: str | None
    reverses_payment_id: int | None
    needs_review: bool
    days_late: int
    interest_vnd: int


class HouseholdCaseOut(BaseModel):
    """A parcel the record covers, with this household's money on it."""

    case_id: int
    commune_code: str
    sheet_no: int
    parcel_no: int
    step: CaseStep
    approved_vnd: int
    settled_vnd: int


class HouseholdOut(BaseModel):
    """A household compensation record (ETag = version)."""

    id: int
    project_id: int
    project_code: str
    land_user_id: int
    land_user_name: str
    needs_review: bool
    version: int
    approved_vnd: int
    paid_vnd: int
    deposited_vnd: int
    outstanding_vnd: int
    is_paid: bool
    interest_vnd: int
    accruing_interest_vnd: int
    cases: list[HouseholdCaseOut]
    decisions: list[DecisionOut]
    payees: list[PayeeOut]
    ledger: list[LedgerEntryOut]


class WriteResultOut(BaseModel):
    """What a household write recorded and the record's money and version afterwards."""

    ids: list[int]
    household_id: int
    approved_vnd: int
    version: int
