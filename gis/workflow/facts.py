"""What the pure rules know about a case: the moves of the procedure, the history already
recorded, and the facts around it (land users, resettlement, exceptions, complaints,
blackout days). No database here; ``gis.workflow.boundary.load_facts`` fills them in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from gis.core.domain import CaseStep, EventKind
from gis.core.errors import InvalidTransition
from gis.core.formats import Term
from gis.core.landuse import LandGroup
from gis.workflow.paperwork import DocKind, DocumentRef

S = CaseStep


class StepAction(StrEnum):
    """What a move along the procedure records."""

    NOTICE = "notice"  # thông báo thu hồi đất
    INVENTORY = "inventory"  # điều tra, đo đạc, kiểm đếm
    POSTING = "posting"  # niêm yết phương án
    APPROVAL = "approval"  # phê duyệt phương án
    DECISION = "decision"  # quyết định thu hồi đất
    PAYMENT = "payment"  # hoàn thành chi trả (or money deposited, with a reason)
    HANDOVER = "handover"  # bàn giao mặt bằng


ACTION_LABELS_VI: dict[StepAction, str] = {
    StepAction.NOTICE: "thông báo thu hồi đất",
    StepAction.INVENTORY: "kiểm đếm",
    StepAction.POSTING: "niêm yết phương án",
    StepAction.APPROVAL: "phê duyệt phương án",
    StepAction.DECISION: "quyết định thu hồi đất",
    StepAction.PAYMENT: "hoàn thành chi trả",
    StepAction.HANDOVER: "bàn giao mặt bằng",
}

MOVES: dict[CaseStep, dict[CaseStep, StepAction]] = {
    S.NOT_STARTED: {S.NOTIFIED: StepAction.NOTICE},
    S.NOTIFIED: {S.INVENTORIED: StepAction.INVENTORY},
    S.INVENTORIED: {S.PLAN_POSTED: StepAction.POSTING},
    S.PLAN_POSTED: {S.PLAN_APPROVED: StepAction.APPROVAL},
    S.PLAN_APPROVED: {S.DECIDED: StepAction.DECISION, S.PAID: StepAction.PAYMENT},
    S.DECIDED: {S.DECIDED_PAID: StepAction.PAYMENT},
    S.PAID: {S.DECIDED_PAID: StepAction.DECISION},
    S.DECIDED_PAID: {S.HANDED_OVER: StepAction.HANDOVER},
    S.HANDED_OVER: {},
}
"""Every allowed move: current step → {next step: what it records}. Nothing else is.
Between posting and approval the consultation (a recorded side event) must take place."""

NEEDS_DOCUMENT = frozenset({StepAction.NOTICE, StepAction.APPROVAL, StepAction.DECISION})
"""Moves that are decisions of a People's Committee: the issuer and signer are required
and the decision date is the legal date of the step. Every move needs its main document's
number and date (``gis.workflow.paperwork``)."""


def action_for(step_from: CaseStep, step_to: CaseStep) -> StepAction | None:
    """What the move ``step_from → step_to`` records, or None if it is not allowed."""
    return MOVES[step_from].get(step_to)


@dataclass(frozen=True)
class StepRecord:
    """A move already recorded in the case's history."""

    step_from: CaseStep
    step_to: CaseStep
    occurred_on: dt.date
    decision_date: dt.date | None = None

    @property
    def action(self) -> StepAction | None:
        """What this move recorded (None for history that broke the rules)."""
        return action_for(self.step_from, self.step_to)

    @property
    def legal_date(self) -> dt.date:
        """The date periods count from: a decision's date, else the day it happened."""
        if self.action in NEEDS_DOCUMENT and self.decision_date is not None:
            return self.decision_date
        return self.occurred_on


@dataclass(frozen=True)
class SideRecord:
    """A side event already recorded (complaint, consultation, enforcement, renewal…)."""

    kind: EventKind
    occurred_on: dt.date
    decision_date: dt.date | None = None
    documents: tuple[DocumentRef, ...] = ()

    @property
    def legal_date(self) -> dt.date:
        """The document's date when there is one, else the day it happened."""
        return self.decision_date or self.occurred_on

    def document_date(self, kind: DocKind) -> dt.date | None:
        """The date of this event's supporting document of ``kind``."""
        return next((d.doc_date for d in self.documents if d.kind == kind), None)


class ExceptionKind(StrEnum):
    """Recorded grounds for an early recovery decision."""

    EARLY_CONSENT = "early_consent"  # Luật Đất đai 2024, Điều 85 khoản 2
    BEFORE_PLAN_APPROVAL = "before_plan_approval"  # Nghị quyết 254/2025, Điều 3.3.a
    BEFORE_RESETTLEMENT = "before_resettlement"  # Nghị quyết 254/2025, Điều 3.3.b


@dataclass(frozen=True)
class ExceptionRecord:
    """A recorded exception and the day it was granted."""

    kind: ExceptionKind
    granted_on: dt.date


@dataclass(frozen=True)
class ComplaintRecord:
    """A complaint of the register: its id, the day received and the outcome (None: open)."""

    id: int
    received_on: dt.date
    outcome: str | None = None


@dataclass(frozen=True)
class Blackout:
    """Days when no enforcement may start (a festival or a day blacked out by hand)."""

    first_day: dt.date
    last_day: dt.date
    name_vi: str


@dataclass(frozen=True)
class CaseFacts:
    """What the rules need to know about a case."""

    step: CaseStep
    land_group: LandGroup
    history: tuple[StepRecord, ...] = ()
    approved_total_vnd: int = 0
    paid_vnd: int = 0  # paid + deposited (the case ledger's sum)
    plan_items: int = 0  # line items in force for the case (a 0 VND plan still has items)
    last_payment_on: dt.date | None = None
    complaint_open: bool = False
    enforcement_stage: str | None = None
    side: tuple[SideRecord, ...] = ()
    commune_name: str | None = None
    organisation: bool = False
    resettlement_needed: bool = False
    resettlement_ready_on: dt.date | None = None
    exceptions: tuple[ExceptionRecord, ...] = ()
    complaints: tuple[ComplaintRecord, ...] = ()
    blackouts: tuple[Blackout, ...] = ()

    def last_side(self, kind: EventKind) -> SideRecord | None:
        """The latest side event of ``kind``."""
        found = [r for r in self.side if r.kind == kind]
        return found[-1] if found else None

    def record(self, action: StepAction) -> StepRecord | None:
        """The move that recorded ``action`` (the latest one)."""
        found = [r for r in self.history if r.action == action]
        return found[-1] if found else None

    def notice_on(self) -> dt.date | None:
        """The date of the notice in force: the latest renewal, else the first notice."""
        notice = self.record(StepAction.NOTICE)
        dates = [r.legal_date for r in self.side if r.kind == EventKind.NOTICE_RENEWED]
        if notice is not None:
            dates.append(notice.legal_date)
        return max(dates) if dates else None

    def exception(self, kind: ExceptionKind, on: dt.date) -> ExceptionRecord | None:
        """A recorded exception of ``kind`` granted on or before ``on``."""
        return next((e for e in self.exceptions if e.kind == kind and e.granted_on <= on),
                    None)

    def open_complaints(self) -> tuple[ComplaintRecord, ...]:
        """Complaints of the register without an outcome, oldest first."""
        return tuple(c for c in self.complaints if c.outcome is None)


def refuse(detail: str, message_vi: str, reason: str, params: Mapping[str, object] | None = None,
           **extra: object) -> InvalidTransition:
    """An ``InvalidTransition`` with a machine ``reason`` (and e.g. ``field``) in ``extra``;
    ``message_vi`` is a template filled from ``params`` (``GpmbError``)."""
    return InvalidTransition(detail, message_vi=message_vi, reason=reason, params=params,
                             **extra)


def needed_record(facts: CaseFacts, action: StepAction) -> StepRecord:
    """The history's record of ``action``; refuses when the history lacks it."""
    record = facts.record(action)
    if record is None:
        raise refuse(f"history has no {action} step", "Lịch sử hồ sơ thiếu bước {step} nên "
                     "không kiểm tra được thời hạn; cần bổ sung lịch sử trước.",
                     "history_missing", {"step": Term(ACTION_LABELS_VI[action])},
                     missing_action=action.value)
    return record
