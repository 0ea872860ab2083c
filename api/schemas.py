"""Pydantic models of the REST API's request and response bodies (money in integer VND,
areas in m², dates ISO 8601)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt
from pydantic.dataclasses import dataclass

from api.contract import IsoDate
from gis.cases.resettlement import AreaSummary, PlotRow
from gis.core.domain import CaseStep, EventKind, LandUserKind, LedgerKind, PaymentMethod, Role
from gis.workflow.authority import IssuerLevel
from gis.workflow.complaints import ComplaintOutcome
from gis.workflow.deadlines import DeadlineKind
from gis.workflow.exceptions import ProjectKind
from gis.workflow.facts import ExceptionKind
from gis.workflow.paperwork import DocKind, DocumentRef

Vnd = StrictInt  # JSON integers only: 1.5 or "1" is refused, never rounded
Text = str | None


class Orm(BaseModel):
    """Models built from ORM objects or dataclasses."""

    model_config = ConfigDict(from_attributes=True)


# -- GeoJSON (RFC 7946, WGS84) -------------------------------------------------------------

class Geometry(BaseModel):
    """A GeoJSON geometry in WGS84 (lon, lat)."""

    type: str
    coordinates: list[Any]


class Feature(BaseModel):
    """A GeoJSON feature."""

    type: Literal["Feature"] = "Feature"
    id: int
    geometry: Geometry
    properties: dict[str, Any]


class FeatureCollection(BaseModel):
    """A GeoJSON feature collection."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature]


# -- projects ---------------------------------------------------------------------------

class MilestoneOut(Orm):
    """A target the province set for a project."""

    id: int
    kind: str
    title: str
    due_date: dt.date
    target_share: Decimal | None
    note: str | None


class AlignmentOut(Orm):
    """An alignment without its geometry (see the GeoJSON routes)."""

    id: int
    code: str
    name: str
    start_chainage_m: Decimal
    row_width_m: Decimal | None


class ProjectDetail(Orm):
    """A project with its milestones and alignments."""

    id: int
    code: str
    name: str
    investment_form: str
    owner: str
    contracting_authority: str | None
    legal_basis: str | None
    compensation_budget_vnd: int
    start_date: dt.date | None
    is_demo: bool
    version: int
    milestones: list[MilestoneOut]
    alignments: list[AlignmentOut]


# -- cases ------------------------------------------------------------------------------

class CaseKey(BaseModel):
    """Which case, of which project, on which parcel, at which step: the first fields of
    both the case list's lines and the case in full."""

    id: int
    project_id: int
    project_code: str
    parcel_id: int
    commune_code: str
    sheet_no: int
    parcel_no: int
    land_use_code: str
    step: CaseStep


class CaseSummary(CaseKey, Orm):
    """One line of the case list."""

    recovered_area_m2: Decimal
    approved_total_vnd: int
    paid_vnd: int
    outstanding_vnd: int
    holders: list[str]
    version: int


class CasePageOut(BaseModel):
    """A page of cases; ``total`` counts every match."""

    total: int
    limit: int
    offset: int
    items: list[CaseSummary]


class HolderOut(BaseModel):
    """A land user; ``citizen_id`` and ``phone`` are null unless the caller may see them."""

    id: int
    kind: LandUserKind
    full_name: str
    citizen_id: str | None
    phone: str | None
    address: str | None
    share_pct: int
    personal_data_redacted: bool


class EventOut(Orm):
    """One entry of a case's history."""

    id: int
    kind: EventKind
    step_from: CaseStep | None
    step_to: CaseStep | None
    occurred_on: dt.date
    decision_no: str | None
    decision_date: dt.date | None
    signer: str | None
    note: str | None
    rule_version: str | None
    recorded_by: int | None
    recorded_at: dt.datetime


class PaymentOut(Orm):
    """A ledger entry (negative with ``reverses_payment_id``: a reversal)."""

    id: int
    amount_vnd: int
    reverses_payment_id: int | None
    paid_on: dt.date
    method: PaymentMethod
    voucher_no: str | None
    note: str | None
    recorded_by: int | None
    recorded_at: dt.datetime
    household_id: int | None = None
    payee_id: int | None = None
    kind: LedgerKind = LedgerKind.PAYMENT
    deposit_account: str | None = None
    needs_review: bool = False


class DeadlineOut(BaseModel):
    """What is due next and by when (``days_left`` < 0: overdue)."""

    what: DeadlineKind
    label_vi: str
    due_date: dt.date
    rule_version: str
    days_left: int
    is_overdue: bool


class AllocationOut(Orm):
    """A resettlement plot given to a case (``released_on`` set: taken back)."""

    id: int
    plot_id: int
    case_id: int
    allocated_on: dt.date
    decision_no: str | None
    released_on: dt.date | None
    recorded_by: int | None
    recorded_at: dt.datetime


class CaseDetailOut(CaseKey):
    """A case in full. Its ``version`` is also the ETag."""

    step_label_vi: str
    step_changed_on: dt.date | None
    recovered_area_m2: Decimal
    is_whole_parcel: bool
    approved_land_vnd: int
    approved_structures_vnd: int
    approved_crops_vnd: int
    approved_support_vnd: int
    approved_resettlement_vnd: int
    approved_total_vnd: int
    paid_vnd: int
    outstanding_vnd: int
    resettlement_needed: bool
    complaint_open: bool
    enforcement_stage: str | None
    handover_date: dt.date | None
    version: int
    holders: list[HolderOut]
    events: list[EventOut]
    payments: list[PaymentOut]
    next_deadline: DeadlineOut | None
    allocations: list[AllocationOut]


# -- writes -----------------------------------------------------------------------------

class DocumentIn(BaseModel):
    """A supporting document of a step or side event (delivery proof, minutes, receipt)."""

    model_config = ConfigDict(extra="forbid")

    kind: DocKind
    doc_no: str = Field(max_length=100, examples=["3/BB-GTB"])
    doc_date: dt.date
    signed_by: Text = Field(default=None, max_length=200)


class EventIn(BaseModel):
    """A step (``kind="step"`` with ``to_step``) or a side event / note. ``version`` may be
    sent here instead of ``If-Match``; it is required for steps. ``decision_no`` /
    ``decision_date`` are the main document of the act (notice, minutes, decision,
    receipt); ``documents`` its supporting ones; ``issuer_*`` the issuing body."""

    model_config = ConfigDict(extra="forbid")

    kind: EventKind = EventKind.STEP
    to_step: CaseStep | None = None
    occurred_on: IsoDate
    decision_no: Text = Field(default=None, max_length=100, examples=["123/QĐ-UBND"])
    decision_date: IsoDate | None = None
    signer: Text = Field(default=None, max_length=200)
    note: Text = Field(default=None, max_length=2000)
    at: dt.datetime | None = Field(default=None, description="start of an enforcement")
    remote_area: bool = False
    version: int | None = Field(default=None, ge=1)
    issuer_level: IssuerLevel | None = None
    issuer_unit: Text = Field(default=None, max_length=200, examples=["UBND xã Kiên Mộc"])
    documents: list[DocumentIn] = Field(default_factory=list, max_length=20)
    exception_kind: ExceptionKind | None = None
    project_kind: ProjectKind | None = None
    consent_pct: Decimal | None = Field(default=None, ge=0, le=100, decimal_places=2)
    complainant: Text = Field(default=None, max_length=200)
    against: Text = Field(default=None, max_length=300)
    decision_received_on: dt.date | None = None
    complaint_id: int | None = Field(default=None, ge=1)
    outcome: ComplaintOutcome | None = None

    def document_refs(self) -> list[DocumentRef]:
        """The supporting documents as the workflow takes them."""
        return [DocumentRef(d.kind, d.doc_no, d.doc_date, d.signed_by) for d in self.documents]


class EventResultOut(BaseModel):
    """The recorded event and the case's step and version afterwards."""

    event_id: int
    case_id: int
    kind: EventKind
    step: CaseStep
    version: int
    rule_version: str | None
    complaint_id: int | None = None
    handover_due: dt.date | None = None


class PaymentIn(BaseModel):
    """A payment to a payee of one of the case's households, or a deposit for them
    (``method="treasury_deposit"`` with ``deposit_account``), in whole VND."""

    model_config = ConfigDict(extra="forbid")

    payee_id: int = Field(ge=1, description="a payee of a household record of the case")
    amount_vnd: Vnd = Field(gt=0, le=10**15)
    paid_on: IsoDate
    method: PaymentMethod
    deposit_account: Text = Field(default=None, max_length=300)
    voucher_no: Text = Field(default=None, max_length=100)
    note: Text = Field(default=None, max_length=2000)
    version: int | None = Field(default=None, ge=1)


class ReversalIn(BaseModel):
    """Why a payment is reversed (and when; default today)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)
    reversed_on: IsoDate | None = None
    version: int | None = Field(default=None, ge=1)


class PaymentResultOut(BaseModel):
    """A ledger entry and the case's money afterwards."""

    payment_id: int
    case_id: int
    amount_vnd: int
    paid_vnd: int
    approved_total_vnd: int
    outstanding_vnd: int
    version: int


class BulkRowOut(Orm):
    """A recorded row of a bulk sheet."""

    row: int
    case_id: int
    step: CaseStep
    event_id: int
    version: int


class BulkResultOut(BaseModel):
    """Every row of the sheet was recorded."""

    applied: int
    rows: list[BulkRowOut]


# -- resettlement, history, users ---------------------------------------------------------

# Their fields are the domain's own (``gis.cases.resettlement``); these add the API's names
# and descriptions.
@dataclass(frozen=True)
class AreaOut(AreaSummary):
    """A resettlement area with plot counts."""


@dataclass(frozen=True)
class PlotOut(PlotRow):
    """A resettlement plot and the case holding it, if any."""


class AllocationIn(BaseModel):
    """Give a plot to a case."""

    model_config = ConfigDict(extra="forbid")

    case_id: int = Field(ge=1)
    plot_id: int = Field(ge=1)
    allocated_on: IsoDate
    decision_no: Text = Field(default=None, max_length=100)
    version: int | None = Field(default=None, ge=1)


class ReleaseIn(BaseModel):
    """Take a plot back."""

    model_config = ConfigDict(extra="forbid")

    released_on: IsoDate


class WaitingCaseOut(Orm):
    """A case that needs resettlement and holds no plot."""

    id: int
    project_id: int
    parcel_id: int
    step: CaseStep
    version: int


class HistoryEntryOut(Orm):
    """One thing that happened (``before``/``after`` for audited changes)."""

    at: dt.datetime
    source: str
    table: str
    row_key: str
    action: str
    actor: str | None
    case_id: int | None
    summary: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class HistoryPageOut(BaseModel):
    """A page of history, newest first."""

    total: int
    limit: int
    offset: int
    items: list[HistoryEntryOut]


class UserOut(Orm):
    """An account (never its password hash)."""

    id: int
    username: str
    full_name: str
    role: Role
    is_active: bool
    failed_logins: int
    locked_until: dt.datetime | None


class UserIn(BaseModel):
    """A new account."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=64)
    role: Role
    password: str = Field(min_length=10, max_length=1024)
    full_name: str = Field(default="", max_length=200)
    projects: list[str] = Field(default_factory=list)
    communes: list[str] = Field(default_factory=list)


# -- scanned documents -------------------------------------------------------------------

class DocumentOut(Orm):
    """A scanned document (PDF/JPEG) attached to a case event; the file is at ``url``."""

    id: int
    case_id: int
    event_id: int
    filename: str
    media_type: Literal["application/pdf", "image/jpeg"]
    size_bytes: int
    sha256: str
    uploaded_by: int
    uploaded_at: dt.datetime
    url: str
