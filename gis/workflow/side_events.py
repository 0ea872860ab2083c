"""Side branches of the procedure, as pure checks: compulsory inventory, complaints,
enforced recovery, and plain notes. They do not move the case's step; some set its flags
(``complaint_open``, ``enforcement_stage``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from gis.domain import CaseStep, EventKind
from gis.errors import InvalidInput
from gis.workflow.calendar import check_enforcement_time, local_time
from gis.workflow.rules import RuleBook, RuleKey
from gis.workflow.text import clean_decision_no, clean_text, fmt_date
from gis.workflow.transitions import (
    NEEDS_DOCUMENT,
    CaseFacts,
    StepAction,
    check_document,
    needed_record,
    refuse,
)

K = EventKind

SIDE_KINDS = frozenset(EventKind) - {EventKind.STEP}

KIND_LABELS_VI: dict[EventKind, str] = {
    K.COMPULSORY_INVENTORY: "quyết định kiểm đếm bắt buộc",
    K.COMPLAINT_FILED: "đơn khiếu nại",
    K.COMPLAINT_RESOLVED: "quyết định giải quyết khiếu nại",
    K.ENFORCEMENT_DECIDED: "quyết định cưỡng chế thu hồi đất",
    K.ENFORCEMENT_EXECUTED: "cưỡng chế thu hồi đất",
    K.NOTE: "ghi chú",
}

_NEEDS_DOCUMENT = frozenset({K.COMPULSORY_INVENTORY, K.COMPLAINT_RESOLVED,
                             K.ENFORCEMENT_DECIDED})


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

    def cleaned(self) -> SideRequest:
        """The same request with text normalised (and a document number checked)."""
        kind = EventKind(self.kind)
        if kind not in SIDE_KINDS:
            raise InvalidInput("steps are recorded with record_step",
                               message_vi="Bước thủ tục được ghi bằng chức năng chuyển bước.",
                               reason="not_a_side_event", field="kind")
        return SideRequest(
            kind, self.occurred_on, clean_decision_no(self.decision_no), self.decision_date,
            clean_text(self.signer, field="signer", label_vi="Người ký"),
            clean_text(self.note, field="note", label_vi="Ghi chú"), self.at, self.remote_area)


@dataclass(frozen=True)
class SideOutcome:
    """An accepted side event: its rule version and the case flags it changes."""

    kind: EventKind
    rule_version: str | None
    request: SideRequest = field(repr=False)
    case_updates: dict[str, Any] = field(default_factory=dict)


def check_side_event(facts: CaseFacts, request: SideRequest, rules: RuleBook,
                     today: dt.date) -> SideOutcome:
    """Accept or refuse a side event; raises ``InvalidTransition`` naming the rule."""
    req = request.cleaned()
    what = KIND_LABELS_VI[req.kind]
    check_document(what, required=req.kind in _NEEDS_DOCUMENT, today=today,
                   occurred_on=req.occurred_on, decision_no=req.decision_no,
                   decision_date=req.decision_date, signer=req.signer)
    version = rules.for_date(req.occurred_on).version if rules.sets and (
        rules.sets[0].effective_from <= req.occurred_on) else None
    updates: dict[str, Any] = {}
    if req.kind == K.NOTE:
        if req.note is None:
            raise refuse("a note needs text", "Ghi chú không được để trống.", "required",
                         field="note")
    elif req.kind == K.COMPULSORY_INVENTORY:
        if facts.step != CaseStep.NOTIFIED:
            raise refuse("compulsory inventory only after the notice, before the inventory",
                         "Chỉ ra quyết định kiểm đếm bắt buộc khi đã thông báo thu hồi và chưa "
                         "kiểm đếm.", "wrong_step", current_step=facts.step.value)
        _not_before(req, needed_record(facts, StepAction.NOTICE).legal_date,
                    "thông báo thu hồi đất")
    elif req.kind == K.COMPLAINT_FILED:
        version = _check_complaint_window(facts, req, rules)
        updates["complaint_open"] = True
    elif req.kind == K.COMPLAINT_RESOLVED:
        filed = facts.last_side(K.COMPLAINT_FILED)
        if not facts.complaint_open or filed is None:
            raise refuse("no open complaint", "Hồ sơ không có khiếu nại đang chờ giải quyết.",
                         "no_open_complaint")
        _not_before(req, filed.occurred_on, "nhận đơn khiếu nại")
        updates["complaint_open"] = False
    elif req.kind == K.ENFORCEMENT_DECIDED:
        if facts.enforcement_stage is not None:
            raise refuse("enforcement already decided", "Hồ sơ đã có quyết định cưỡng chế.",
                         "enforcement_exists", enforcement_stage=facts.enforcement_stage)
        if facts.record(StepAction.DECISION) is None:
            raise refuse("enforcement needs a recovery decision", "Chưa thể quyết định cưỡng "
                         "chế: hồ sơ chưa có quyết định thu hồi đất.", "wrong_step",
                         current_step=facts.step.value)
        _not_before(req, needed_record(facts, StepAction.DECISION).legal_date,
                    "quyết định thu hồi đất")
        updates["enforcement_stage"] = "decided"
    elif req.kind == K.ENFORCEMENT_EXECUTED:
        _check_execution(facts, req)
        updates["enforcement_stage"] = "executed"
    return SideOutcome(req.kind, version, req, updates)


def _not_before(req: SideRequest, earliest: dt.date, label: str) -> None:
    day = req.decision_date or req.occurred_on
    if day < earliest:
        raise refuse(f"{req.kind} on {day} before {earliest}",
                     f"Ngày {KIND_LABELS_VI[req.kind]} ({fmt_date(day)}) không được trước "
                     f"ngày {label} ({fmt_date(earliest)}).", "before_previous_step",
                     field="occurred_on", previous_date=earliest.isoformat())


def _check_execution(facts: CaseFacts, req: SideRequest) -> None:
    decided = facts.last_side(K.ENFORCEMENT_DECIDED)
    if facts.enforcement_stage != "decided" or decided is None:
        raise refuse("no enforcement decision to execute", "Chưa thể cưỡng chế: hồ sơ chưa có "
                     "quyết định cưỡng chế hoặc đã cưỡng chế xong.", "no_enforcement_decision",
                     enforcement_stage=facts.enforcement_stage)
    if req.at is None:
        raise refuse("enforcement needs its start time", "Cần nhập giờ bắt đầu cưỡng chế.",
                     "required", field="at")
    if local_time(req.at).date() != req.occurred_on:
        raise refuse("'at' is not on occurred_on", "Giờ bắt đầu cưỡng chế phải thuộc ngày "
                     f"cưỡng chế ({fmt_date(req.occurred_on)}).", "date_mismatch", field="at")
    _not_before(req, decided.legal_date, "quyết định cưỡng chế")
    check_enforcement_time(req.at)


def _check_complaint_window(facts: CaseFacts, req: SideRequest, rules: RuleBook) -> str:
    """The complaint must come within 90 days of the latest decision, or within 30 (45 in
    remote areas) of the resolution of the first complaint; returns the rule version."""
    if facts.step == CaseStep.NOT_STARTED:
        raise refuse("nothing to complain about yet", "Hồ sơ chưa có văn bản nào để khiếu nại.",
                     "wrong_step", current_step=facts.step.value)
    if facts.complaint_open:
        raise refuse("a complaint is already open", "Hồ sơ đang có khiếu nại chưa giải quyết; "
                     "ghi nhận giải quyết khiếu nại đó trước.", "complaint_open")
    # A complaint answers the latest decision made before it was filed (a complaint may
    # be entered late, after later decisions).
    filed_on = req.occurred_on
    decisions = [r.legal_date for r in facts.history if r.action in NEEDS_DOCUMENT]
    decisions += [r.legal_date for r in facts.side
                  if r.kind in {K.COMPULSORY_INVENTORY, K.ENFORCEMENT_DECIDED}]
    decisions = [d for d in decisions if d <= filed_on]
    resolutions = [r.legal_date for r in facts.side
                   if r.kind == K.COMPLAINT_RESOLVED and r.legal_date <= filed_on]
    if resolutions and (not decisions or max(resolutions) >= max(decisions)):
        start, against = max(resolutions), "quyết định giải quyết khiếu nại lần đầu"
        key = RuleKey.COMPLAINT_SECOND_REMOTE if req.remote_area else RuleKey.COMPLAINT_SECOND
    elif decisions:
        start, against = max(decisions), "văn bản gần nhất của hồ sơ"
        key = RuleKey.COMPLAINT_FIRST
    else:
        raise refuse("no decision before the complaint", "Không có văn bản nào của hồ sơ trước "
                     f"ngày nhận đơn khiếu nại ({fmt_date(filed_on)}).", "before_previous_step",
                     field="occurred_on")
    rule_set = rules.for_date(start)
    limit = rule_set.limit(key)
    due = limit.due(start)
    if filed_on > due:
        late = (filed_on - due).days
        raise refuse(
            f"complaint filed {late} days after the window closed on {due}",
            f"Đã quá thời hiệu khiếu nại {limit.text_vi} kể từ {against} ngày {fmt_date(start)} "
            f"(hết hạn ngày {fmt_date(due)}, quá {late} ngày; {limit.legal_reference}).",
            "complaint_out_of_time", field="occurred_on", late_days=late,
            rule_version=rule_set.version)
    return rule_set.version
