"""The legal procedure as a pure state machine: which step may follow which, and on what
conditions. No database here; ``gis.workflow.service`` feeds it the case's facts.

After the plan is approved, the recovery decision and the completed payment may come in
either order, so each move is named by what happened (:class:`StepAction`), not only by
the step it leads to: ``decided → decided_paid`` is the payment, ``paid → decided_paid``
the decision.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from gis.domain import STEP_LABELS_VI, STEP_ORDER, CaseStep, EventKind
from gis.errors import InvalidTransition
from gis.landuse import LandGroup
from gis.workflow.rules import RuleBook, RuleKey, RuleSet
from gis.workflow.text import clean_decision_no, clean_text, fmt_date, fmt_vnd

S = CaseStep


class StepAction(StrEnum):
    """What a move along the procedure records."""

    NOTICE = "notice"  # thông báo thu hồi đất
    INVENTORY = "inventory"  # điều tra, đo đạc, kiểm đếm
    POSTING = "posting"  # niêm yết phương án
    APPROVAL = "approval"  # phê duyệt phương án
    DECISION = "decision"  # quyết định thu hồi đất
    PAYMENT = "payment"  # hoàn thành chi trả: paid + deposited = approved
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
"""Every allowed move: current step → {next step: what it records}. Nothing else is."""

NEEDS_DOCUMENT = frozenset({StepAction.NOTICE, StepAction.APPROVAL, StepAction.DECISION})
"""Moves that are decisions: number, date and signer are required and the decision date
is the legal date of the step."""


def action_for(step_from: CaseStep, step_to: CaseStep) -> StepAction | None:
    """What the move ``step_from → step_to`` records, or None if it is not allowed."""
    return MOVES[step_from].get(step_to)


def resolve_target(current: CaseStep, requested: CaseStep) -> CaseStep:
    """The step a request leads to: asking for 'decided' when already paid (or 'paid' when
    already decided) means both are now done."""
    if {current, requested} == {S.DECIDED, S.PAID}:
        return S.DECIDED_PAID
    return requested


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
    """A side event already recorded (complaint, compulsory inventory, enforcement)."""

    kind: EventKind
    occurred_on: dt.date
    decision_date: dt.date | None = None

    @property
    def legal_date(self) -> dt.date:
        """The document's date when there is one, else the day it happened."""
        return self.decision_date or self.occurred_on


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

    def last_side(self, kind: EventKind) -> SideRecord | None:
        """The latest side event of ``kind``."""
        found = [r for r in self.side if r.kind == kind]
        return found[-1] if found else None

    def record(self, action: StepAction) -> StepRecord | None:
        """The move that recorded ``action`` (the latest one)."""
        found = [r for r in self.history if r.action == action]
        return found[-1] if found else None


@dataclass(frozen=True)
class StepRequest:
    """A person's request to move a case on, as entered."""

    to_step: CaseStep
    occurred_on: dt.date
    decision_no: str | None = None
    decision_date: dt.date | None = None
    signer: str | None = None
    note: str | None = None

    def cleaned(self) -> StepRequest:
        """The same request with text normalised (and a document number checked)."""
        return StepRequest(
            CaseStep(self.to_step), self.occurred_on, clean_decision_no(self.decision_no),
            self.decision_date, clean_text(self.signer, field="signer", label_vi="Người ký"),
            clean_text(self.note, field="note", label_vi="Ghi chú"))


@dataclass(frozen=True)
class TransitionOutcome:
    """An accepted move: where the case goes, what it records, under which rule version."""

    step_from: CaseStep
    step_to: CaseStep
    action: StepAction
    rule_version: str
    request: StepRequest = field(repr=False)


def refuse(detail: str, message_vi: str, reason: str, **extra: object) -> InvalidTransition:
    """An ``InvalidTransition`` with a machine ``reason`` (and e.g. ``field``) in ``extra``."""
    return InvalidTransition(detail, message_vi=message_vi, reason=reason, **extra)


def _check_order(current: CaseStep, requested: CaseStep) -> tuple[CaseStep, StepAction]:
    target = resolve_target(current, requested)
    action = action_for(current, target)
    if action is not None:
        return target, action
    here, there = STEP_LABELS_VI[current], STEP_LABELS_VI[requested]
    if current == S.HANDED_OVER:
        raise refuse("case already handed over", "Hồ sơ đã bàn giao mặt bằng; không còn bước "
                     "nào tiếp theo.", "case_closed", current_step=current.value)
    if STEP_ORDER[target] <= STEP_ORDER[current]:
        reason = "step_repeated" if target == current else "step_backwards"
        raise refuse(f"{current} → {requested} goes back", f"Hồ sơ đã ở bước '{here}'; không "
                     f"thể ghi lại hoặc quay về bước '{there}'.", reason,
                     current_step=current.value)
    needed = " hoặc ".join(ACTION_LABELS_VI[a] for a in MOVES[current].values())
    raise refuse(
        f"{current} → {requested} skips a step",
        f"Chưa thể chuyển sang bước '{there}': hồ sơ đang ở bước '{here}' — cần {needed} "
        "trước.", "step_skipped", current_step=current.value,
        missing_steps=[s.value for s in MOVES[current]])


def check_document(what: str, *, required: bool, today: dt.date, occurred_on: dt.date,
                   decision_no: str | None, decision_date: dt.date | None,
                   signer: str | None) -> None:
    """Refuse a missing document (number, date, signer) when ``required``, days in the
    future, and a document dated after the day it took effect."""
    if required:
        for name, value, label in (("decision_no", decision_no, "số văn bản (ví dụ "
                                    "123/QĐ-UBND)"), ("decision_date", decision_date,
                                   "ngày ký văn bản"), ("signer", signer, "người ký")):
            if value is None:
                raise refuse(f"{name} is required for {what}", f"Thiếu {label} của {what}.",
                             "required", field=name)
    for name, day, label in (("occurred_on", occurred_on, what),
                             ("decision_date", decision_date, "ký văn bản")):
        if day is not None and day > today:
            raise refuse(f"{name} {day} is in the future", f"Ngày {label} ({fmt_date(day)}) "
                         f"ở tương lai — hôm nay là {fmt_date(today)}.", "date_in_future",
                         field=name)
    if decision_date is not None and decision_date > occurred_on:
        raise refuse("decision_date after occurred_on", f"Ngày ký văn bản "
                     f"({fmt_date(decision_date)}) không được sau ngày {what} "
                     f"({fmt_date(occurred_on)}).", "decision_after_occurrence",
                     field="decision_date")


def needed_record(facts: CaseFacts, action: StepAction) -> StepRecord:
    """The history's record of ``action``; refuses when the history lacks it."""
    record = facts.record(action)
    if record is None:
        label = ACTION_LABELS_VI[action]
        raise refuse(f"history has no {action} step", f"Lịch sử hồ sơ thiếu bước {label} nên "
                     "không kiểm tra được thời hạn; cần bổ sung lịch sử trước.",
                     "history_missing", missing_action=action.value)
    return record


def check_transition(facts: CaseFacts, request: StepRequest, rules: RuleBook,
                     today: dt.date) -> TransitionOutcome:
    """Accept or refuse a move; raises ``InvalidTransition`` naming the rule it breaks."""
    req = request.cleaned()
    target, action = _check_order(facts.step, req.to_step)
    check_document(ACTION_LABELS_VI[action], required=action in NEEDS_DOCUMENT,
                   today=today, occurred_on=req.occurred_on, decision_no=req.decision_no,
                   decision_date=req.decision_date, signer=req.signer)
    legal = req.decision_date if action in NEEDS_DOCUMENT and req.decision_date else (
        req.occurred_on)
    what = ACTION_LABELS_VI[action]
    if facts.history:
        prev = facts.history[-1]
        prev_what = ACTION_LABELS_VI[prev.action] if prev.action else "bước trước"
        for mine, theirs, name in ((req.occurred_on, prev.occurred_on, "occurred_on"),
                                   (legal, prev.legal_date, "decision_date")):
            if mine < theirs:
                raise refuse(f"{action} on {mine} before {prev.step_to} on {theirs}",
                             f"Ngày {what} ({fmt_date(mine)}) không được trước ngày "
                             f"{prev_what} ({fmt_date(theirs)}).", "before_previous_step",
                             field=name, previous_date=theirs.isoformat())
    elif facts.step != S.NOT_STARTED:
        needed_record(facts, StepAction.NOTICE)
    rule_set = rules.for_date(legal)
    if action == StepAction.APPROVAL:
        rule_set = _check_posting(facts, legal, rules)
    elif action == StepAction.DECISION:
        rule_set = _check_notice(facts, legal, rules)
    elif action == StepAction.PAYMENT:
        _check_paid(facts, req)
        rule_set = rules.for_date(needed_record(facts, StepAction.APPROVAL).legal_date)
    if action == StepAction.HANDOVER:
        check_settled(facts)
    return TransitionOutcome(facts.step, target, action, rule_set.version, req)


def _check_posting(facts: CaseFacts, approved_on: dt.date, rules: RuleBook) -> RuleSet:
    posting = needed_record(facts, StepAction.POSTING)
    rule_set = rules.for_date(posting.occurred_on)
    limit = rule_set.limit(RuleKey.PLAN_POSTING)
    short = (limit.due(posting.occurred_on) - approved_on).days
    if short > 0:
        raise refuse(
            f"plan posted {posting.occurred_on}, approval {approved_on}: {short} days short",
            f"Phương án phải được niêm yết ít nhất {limit.text_vi} trước khi phê duyệt — niêm "
            f"yết ngày {fmt_date(posting.occurred_on)}, còn thiếu {short} ngày "
            f"({limit.legal_reference}).", "posting_period_too_short", field="decision_date",
            missing_days=short, rule_version=rule_set.version)
    return rule_set


def _check_notice(facts: CaseFacts, decided_on: dt.date, rules: RuleBook) -> RuleSet:
    notice = needed_record(facts, StepAction.NOTICE)
    noticed_on = notice.legal_date
    rule_set = rules.for_date(noticed_on)
    minimum = rule_set.limit(RuleKey.NOTICE_MIN, facts.land_group)
    short = (minimum.due(noticed_on) - decided_on).days
    if short > 0:
        raise refuse(
            f"decision {decided_on} only {(decided_on - noticed_on).days} days after notice",
            f"Quyết định thu hồi phải sau thông báo ít nhất {minimum.text_vi} — thông báo ngày "
            f"{fmt_date(noticed_on)}, còn thiếu {short} ngày ({minimum.legal_reference}).",
            "notice_period_too_short", field="decision_date", missing_days=short,
            rule_version=rule_set.version)
    validity = rule_set.limit(RuleKey.NOTICE_VALIDITY)
    expired_on = validity.due(noticed_on)
    if decided_on > expired_on:
        raise refuse(
            f"notice of {noticed_on} lapsed on {expired_on}",
            f"Thông báo thu hồi đất ngày {fmt_date(noticed_on)} đã hết hiệu lực "
            f"{validity.text_vi} từ ngày {fmt_date(expired_on)}; cần ban hành thông báo mới "
            f"trước khi quyết định thu hồi ({validity.legal_reference}).", "notice_expired",
            field="decision_date", expired_on=expired_on.isoformat(),
            rule_version=rule_set.version)
    return rule_set


def _check_paid(facts: CaseFacts, req: StepRequest) -> None:
    if facts.last_payment_on is not None and req.occurred_on < facts.last_payment_on:
        raise refuse(
            f"payment completed {req.occurred_on} before last payment {facts.last_payment_on}",
            f"Ngày hoàn thành chi trả ({fmt_date(req.occurred_on)}) không được trước lần chi "
            f"trả cuối ({fmt_date(facts.last_payment_on)}).", "before_last_payment",
            field="occurred_on", previous_date=facts.last_payment_on.isoformat())
    check_settled(facts)


def check_settled(facts: CaseFacts) -> None:
    """The money condition of "paid" and of handover: paid + deposited = approved with
    approved > 0, or a 0 VND plan recorded by a decision (which names its legal ground)."""
    if facts.approved_total_vnd == 0:
        if facts.plan_items == 0:
            raise refuse("no plan recorded", "Chưa có quyết định phê duyệt phương án với các "
                         "khoản bồi thường, hỗ trợ cho thửa đất này; phương án 0 đồng cũng phải "
                         "có quyết định và căn cứ pháp lý.", "no_approved_plan")
        return
    short = facts.approved_total_vnd - facts.paid_vnd
    if short > 0:
        raise refuse(
            f"paid {facts.paid_vnd} of {facts.approved_total_vnd} VND",
            f"Chưa thể ghi nhận hoàn thành chi trả: đã chi trả và gửi {fmt_vnd(facts.paid_vnd)}"
            f" trên {fmt_vnd(facts.approved_total_vnd)} được duyệt, còn thiếu {fmt_vnd(short)}."
            " Tiền hộ không nhận phải được ghi là khoản gửi tài khoản tạm giữ.",
            "payment_incomplete", outstanding_vnd=short)
