"""Side branches of the procedure, as pure checks: consultation, renewed notice, recorded
exceptions, compulsory inventory, complaints, enforced recovery and the owner's
compliance, and plain notes. They do not move the case's step; some set its flags
(``complaint_open``, ``enforcement_stage``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gis.core.calendar import check_enforcement_time, local_time
from gis.core.domain import CaseStep, EventKind
from gis.core.errors import InvalidInput
from gis.core.formats import Term
from gis.core.text import clean_decision_no, clean_text
from gis.workflow.authority import Issuer, check_issuer, clean_issuer
from gis.workflow.complaints import (
    ComplaintEntry,
    ComplaintOutcome,
    assess_complaint,
    complaint_to_resolve,
)
from gis.workflow.exceptions import check_exception
from gis.workflow.facts import CaseFacts, ExceptionKind, StepAction, needed_record, refuse
from gis.workflow.paperwork import DocKind, DocumentRef, Requirement, check_paperwork
from gis.workflow.rules import RuleBook, RuleKey
from gis.workflow.step_checks import notice_lapsed_on
from gis.workflow.transitions import check_document

K = EventKind
D = DocKind

SIDE_KINDS = frozenset(EventKind) - {EventKind.STEP}

KIND_LABELS_VI: dict[EventKind, str] = {
    K.COMPULSORY_INVENTORY: "quyết định kiểm đếm bắt buộc",
    K.COMPLAINT_FILED: "đơn khiếu nại",
    K.COMPLAINT_RESOLVED: "quyết định giải quyết khiếu nại",
    K.ENFORCEMENT_DECIDED: "quyết định cưỡng chế thu hồi đất",
    K.ENFORCEMENT_EXECUTED: "cưỡng chế thu hồi đất",
    K.NOTE: "ghi chú",
    K.CONSULTATION: "họp lấy ý kiến, đối thoại về phương án",
    K.NOTICE_RENEWED: "thông báo thu hồi đất mới (thông báo lại)",
    K.RECOVERY_EXCEPTION: "trường hợp thu hồi đất trước thời hạn / ngoại lệ",
    K.OWNER_COMPLIED: "chấp hành quyết định cưỡng chế",
}

SIDE_DOCUMENTS: dict[EventKind, Requirement] = {
    K.COMPULSORY_INVENTORY: Requirement(D.COMPULSORY_INVENTORY_DECISION,
                                        (D.PERSUASION_MINUTES,)),
    K.COMPLAINT_RESOLVED: Requirement(D.COMPLAINT_RESOLUTION),
    K.ENFORCEMENT_DECIDED: Requirement(D.ENFORCEMENT_DECISION),
    K.ENFORCEMENT_EXECUTED: Requirement(D.ENFORCEMENT_MINUTES, (
        D.PERSUASION_MINUTES, D.ENFORCEMENT_POSTING, D.ENFORCEMENT_DELIVERY)),
    K.CONSULTATION: Requirement(D.CONSULTATION_MINUTES, (D.POSTING_END,)),
    K.NOTICE_RENEWED: Requirement(D.NOTICE, (D.NOTICE_DELIVERY,)),
    K.RECOVERY_EXCEPTION: Requirement(D.EXCEPTION_PROOF),
    K.OWNER_COMPLIED: Requirement(D.COMPLIANCE_MINUTES),
}
"""The documents of each side event (complaints filed and notes need none)."""

_SIGNED = frozenset({K.COMPULSORY_INVENTORY, K.COMPLAINT_RESOLVED, K.ENFORCEMENT_DECIDED,
                     K.NOTICE_RENEWED})
"""Side events that are signed decisions (number, date, signer)."""

_CHAIRMAN_ACTS = frozenset({K.COMPULSORY_INVENTORY, K.ENFORCEMENT_DECIDED})


@dataclass(frozen=True)
class SideRequest:
    """A side event as entered. ``at`` is the start time of an enforcement."""

    kind: EventKind
    occurred_on: dt.date
    decision_no: str | None = None
    decision_date: dt.date | None = None
    signer: str | None = None
    note: str | None = None
    at: dt.datetime | None = None
    remote_area: bool = False
    issuer_level: str | None = None
    issuer_unit: str | None = None
    documents: Sequence[DocumentRef] = ()
    exception_kind: str | None = None
    project_kind: str | None = None
    consent_pct: Decimal | None = None
    complainant: str | None = None
    against: str | None = None
    decision_received_on: dt.date | None = None
    complaint_id: int | None = None
    outcome: str | None = None

    def cleaned(self) -> SideRequest:
        """The same request with text normalised (and a document number checked)."""
        kind = EventKind(self.kind)
        if kind not in SIDE_KINDS:
            raise InvalidInput("steps are recorded with record_step",
                               message_vi="Bước thủ tục được ghi bằng chức năng chuyển bước.",
                               reason="not_a_side_event", field="kind")
        outcome = self.outcome
        if outcome is not None and outcome not in set(ComplaintOutcome):
            raise InvalidInput(f"outcome {outcome!r}", message_vi="Kết quả giải quyết "
                               "'{outcome}' không hợp lệ.", params={"outcome": outcome},
                               reason="unknown_value",
                               field="outcome")
        return SideRequest(
            kind, self.occurred_on, clean_decision_no(self.decision_no), self.decision_date,
            clean_text(self.signer, field="signer", label_vi="Người ký"),
            clean_text(self.note, field="note", label_vi="Ghi chú"), self.at, self.remote_area,
            self.issuer_level, self.issuer_unit, tuple(d.cleaned() for d in self.documents),
            self.exception_kind, self.project_kind, self.consent_pct,
            clean_text(self.complainant, field="complainant", label_vi="Người khiếu nại"),
            clean_text(self.against, field="against", label_vi="Văn bản bị khiếu nại"),
            self.decision_received_on, self.complaint_id, outcome)

    @property
    def legal_date(self) -> dt.date:
        """The document's date when there is one, else the day it happened."""
        return self.decision_date or self.occurred_on


@dataclass(frozen=True)
class SideOutcome:
    """An accepted side event: its rule version and the case flags it changes, and what the
    register tables record with it."""

    kind: EventKind
    rule_version: str | None
    request: SideRequest = field(repr=False)
    case_updates: dict[str, Any] = field(default_factory=dict)
    issuer: Issuer | None = None
    complaint: ComplaintEntry | None = None
    resolves_complaint: int | None = None
    exception: ExceptionKind | None = None
    handover_due: dt.date | None = None


def check_side_event(facts: CaseFacts, request: SideRequest, rules: RuleBook,
                     today: dt.date) -> SideOutcome:
    """Accept or refuse a side event; raises ``InvalidTransition`` naming the rule."""
    req = request.cleaned()
    what = KIND_LABELS_VI[req.kind]
    check_document(what, required=req.kind in _SIGNED, today=today,
                   occurred_on=req.occurred_on, decision_no=req.decision_no,
                   decision_date=req.decision_date, signer=req.signer)
    if req.kind in SIDE_DOCUMENTS:
        check_paperwork(what, SIDE_DOCUMENTS[req.kind], occurred_on=req.occurred_on,
                        today=today, main_no=req.decision_no, main_date=req.decision_date,
                        main_signed=req.signer, documents=req.documents)
    issuer = None
    if req.kind in _SIGNED - {K.COMPLAINT_RESOLVED}:
        issuer = clean_issuer(req.issuer_level, req.issuer_unit, req.signer)
        check_issuer(what, issuer, req.legal_date, commune_name=facts.commune_name,
                     organisation=facts.organisation, chairman_act=req.kind in _CHAIRMAN_ACTS)
    version = rules.for_date(req.occurred_on).version if rules.sets and (
        rules.sets[0].effective_from <= req.occurred_on) else None
    out: dict[str, Any] = {"issuer": issuer}
    updates: dict[str, Any] = {}
    if req.kind == K.NOTE:
        if req.note is None:
            raise refuse("a note needs text", "Ghi chú không được để trống.", "required",
                         field="note")
    elif req.kind == K.CONSULTATION:
        version = _check_consultation(facts, req, rules)
    elif req.kind == K.NOTICE_RENEWED:
        _check_renewal(facts, req, rules)
    elif req.kind == K.RECOVERY_EXCEPTION:
        out["exception"] = check_exception(facts, req.exception_kind, req.project_kind,
                                           req.consent_pct, req.legal_date)
    elif req.kind == K.COMPULSORY_INVENTORY:
        version = _check_compulsory_inventory(facts, req, rules)
    elif req.kind == K.COMPLAINT_FILED:
        entry = assess_complaint(facts, req.occurred_on,
                                 received_decision_on=req.decision_received_on,
                                 against=req.against, remote_area=req.remote_area, rules=rules)
        out["complaint"], version = entry, entry.rule_version
        updates["complaint_open"] = True
    elif req.kind == K.COMPLAINT_RESOLVED:
        if req.outcome is None:
            raise refuse("outcome required", "Cần chọn kết quả giải quyết khiếu nại.",
                         "required", field="outcome")
        chosen = complaint_to_resolve(facts, req.complaint_id, req.legal_date)
        out["resolves_complaint"] = chosen
        updates["complaint_open"] = len(facts.open_complaints()) > (0 if chosen is None else 1)
    elif req.kind in {K.ENFORCEMENT_DECIDED, K.ENFORCEMENT_EXECUTED, K.OWNER_COMPLIED}:
        out["handover_due"], stage = _check_enforcement(facts, req, rules)
        updates["enforcement_stage"] = stage
    return SideOutcome(req.kind, version, req, updates, **out)


def _not_before(req: SideRequest, earliest: dt.date, label: str) -> None:
    day = req.legal_date
    if day < earliest:
        raise refuse(f"{req.kind} on {day} before {earliest}",
                     "Ngày {what} ({day}) không được trước ngày {previous} ({previous_day}).",
                     "before_previous_step", {"what": Term(KIND_LABELS_VI[req.kind]), "day": day,
                                              "previous": Term(label), "previous_day": earliest},
                     field="occurred_on", previous_date=earliest.isoformat())


def _check_consultation(facts: CaseFacts, req: SideRequest, rules: RuleBook) -> str:
    """After the posting period ends (posting end minutes), before approval; from
    2026-01-01 within 30 days of the end of the posting."""
    if facts.step != CaseStep.PLAN_POSTED:
        raise refuse("consultation only while the plan is posted", "Chỉ ghi nhận họp lấy ý "
                     "kiến, đối thoại khi phương án đã niêm yết và chưa được phê duyệt.",
                     "wrong_step", current_step=facts.step.value)
    posting = needed_record(facts, StepAction.POSTING)
    ended = next(d.doc_date for d in req.documents if d.kind == D.POSTING_END)
    rule_set = rules.for_date(ended)
    limit = rule_set.limit(RuleKey.PLAN_POSTING)
    short = (limit.due(posting.occurred_on) - ended).days
    if short > 0:
        raise refuse(f"posting of {posting.occurred_on} ended early on {ended}",
                     "Biên bản kết thúc niêm yết ngày {ended} lập trước khi hết "
                     "thời gian niêm yết {limit} (niêm yết từ {posted}, còn thiếu {short} ngày; "
                     "{reference}).", "posting_not_ended",
                     {"ended": ended, "limit": limit.phrase, "posted": posting.occurred_on,
                      "short": short, "reference": limit.legal_reference}, field="documents",
                     missing_days=short, rule_version=rule_set.version)
    held = req.legal_date  # not before ``ended``: check_paperwork refused that already
    held_rules = rules.for_date(held)
    within = held_rules.find(RuleKey.CONSULTATION_WITHIN)
    if within is not None and held > within.due(ended):
        late = (held - within.due(ended)).days
        raise refuse(f"dialogue {late} days after the 30-day limit",
                     "Đối thoại phải tổ chức trong {limit} kể từ khi kết thúc niêm "
                     "yết ({ended}), hạn cuối {due}, đã quá "
                     "{late} ngày ({reference}); cần niêm yết lại phương án.",
                     "consultation_too_late",
                     {"limit": within.phrase, "ended": ended, "due": within.due(ended),
                      "late": late, "reference": within.legal_reference}, field="decision_date",
                      late_days=late,
                     rule_version=held_rules.version)
    return held_rules.version


def _check_renewal(facts: CaseFacts, req: SideRequest, rules: RuleBook) -> None:
    if facts.step == CaseStep.NOT_STARTED or facts.record(StepAction.DECISION) is not None:
        raise refuse("renewal only between the notice and the recovery decision",
                     "Chỉ thông báo lại khi đã có thông báo thu hồi và chưa có quyết định thu "
                     "hồi đất.", "wrong_step", current_step=facts.step.value)
    lapsed = notice_lapsed_on(facts, req.legal_date, rules)
    if lapsed is None:
        noticed = facts.notice_on()
        raise refuse("the notice is still in force", "Thông báo thu hồi đất ngày "
                     "{noticed} vẫn còn hiệu lực; chỉ thông báo "
                     "lại khi thông báo cũ đã hết hiệu lực 12 tháng.", "notice_still_valid",
                     {"noticed": noticed or "?"}, field="decision_date")


def _check_compulsory_inventory(facts: CaseFacts, req: SideRequest, rules: RuleBook) -> str:
    if facts.step != CaseStep.NOTIFIED:
        raise refuse("compulsory inventory only after the notice, before the inventory",
                     "Chỉ ra quyết định kiểm đếm bắt buộc khi đã thông báo thu hồi và chưa "
                     "kiểm đếm.", "wrong_step", current_step=facts.step.value)
    _not_before(req, needed_record(facts, StepAction.NOTICE).legal_date,
                "thông báo thu hồi đất")
    persuaded = next(d.doc_date for d in req.documents if d.kind == D.PERSUASION_MINUTES)
    rule_set = rules.for_date(req.legal_date)
    period = rule_set.limit(RuleKey.INVENTORY_PERSUASION)
    short = (period.due(persuaded) - req.legal_date).days
    if short > 0:
        raise refuse(f"persuasion of {persuaded}: {short} days short",
                     "Quyết định kiểm đếm bắt buộc chỉ ban hành sau {limit} vận "
                     "động, thuyết phục (từ {persuaded}, còn thiếu {short} ngày; "
                     "{reference}).", "persuasion_period_not_over",
                     {"limit": period.phrase, "persuaded": persuaded, "short": short,
                      "reference": period.legal_reference}, field="decision_date",
                      missing_days=short, rule_version=rule_set.version)
    return rule_set.version


def _check_enforcement(facts: CaseFacts, req: SideRequest, rules: RuleBook
                       ) -> tuple[dt.date | None, str]:
    """Enforcement decided / executed / complied with: never after handover; execution
    needs its records, office hours and no blackout; compliance starts 30 days to hand
    over. Returns (handover due date, new enforcement stage)."""
    if facts.step == CaseStep.HANDED_OVER:
        raise refuse("site already handed over", "Mặt bằng đã bàn giao; không cưỡng chế hoặc "
                     "ghi nhận chấp hành sau khi bàn giao.", "case_handed_over",
                     current_step=facts.step.value)
    if req.kind == K.ENFORCEMENT_DECIDED:
        if facts.enforcement_stage is not None:
            raise refuse("enforcement already decided", "Hồ sơ đã có quyết định cưỡng chế.",
                         "enforcement_exists", enforcement_stage=facts.enforcement_stage)
        if facts.record(StepAction.DECISION) is None:
            raise refuse("enforcement needs a recovery decision", "Chưa thể quyết định cưỡng "
                         "chế: hồ sơ chưa có quyết định thu hồi đất.", "wrong_step",
                         current_step=facts.step.value)
        _not_before(req, needed_record(facts, StepAction.DECISION).legal_date,
                    "quyết định thu hồi đất")
        return None, "decided"
    decided = facts.last_side(K.ENFORCEMENT_DECIDED)
    if facts.enforcement_stage != "decided" or decided is None:
        why = {"complied": Term("người có đất đã chấp hành"),
               "executed": Term("đã cưỡng chế xong")}.get(
            facts.enforcement_stage or "", Term("hồ sơ chưa có quyết định cưỡng chế"))
        raise refuse("no enforcement decision pending", "Chưa thể ghi nhận: {why}.",
                     "no_enforcement_decision", {"why": why},
                     enforcement_stage=facts.enforcement_stage)
    _not_before(req, decided.legal_date, "quyết định cưỡng chế")
    if req.kind == K.OWNER_COMPLIED:
        limit = rules.for_date(req.legal_date).limit(RuleKey.HANDOVER_AFTER_COMPLIANCE)
        return limit.due(req.legal_date), "complied"
    for doc in req.documents:
        if doc.doc_date < decided.legal_date:
            raise refuse(f"{doc.kind} before the enforcement decision", "Văn bản số "
                         "{number} ({day}) lập trước quyết định cưỡng chế ({decided}).",
                         "document_before_decision", {"number": doc.doc_no, "day": doc.doc_date,
                                                      "decided": decided.legal_date},
                         field="documents", document_kind=doc.kind.value)
    if req.at is None:
        raise refuse("enforcement needs its start time", "Cần nhập giờ bắt đầu cưỡng chế.",
                     "required", field="at")
    if local_time(req.at).date() != req.occurred_on:
        raise refuse("'at' is not on occurred_on", "Giờ bắt đầu cưỡng chế phải thuộc ngày "
                     "cưỡng chế ({day}).", "date_mismatch", {"day": req.occurred_on}, field="at")
    check_enforcement_time(req.at, facts.blackouts)
    return None, "executed"
