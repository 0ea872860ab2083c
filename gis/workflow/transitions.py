"""The legal procedure as a pure state machine: which step may follow which, and on what
conditions. No database here; ``gis.workflow.service`` feeds it the case's facts.

After the plan is approved, the recovery decision and the completed payment may come in
either order, so each move is named by what happened (:class:`StepAction`), not only by
the step it leads to: ``decided → decided_paid`` is the payment, ``paid → decided_paid``
the decision. The moves and records live in ``gis.workflow.facts``, the conditions of
single moves in ``gis.workflow.step_checks``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from gis.core.domain import STEP_LABELS_VI, STEP_ORDER, CaseStep
from gis.core.formats import OneOf, Term
from gis.core.text import clean_decision_no, clean_text
from gis.workflow.authority import Issuer, check_issuer, clean_issuer
from gis.workflow.facts import (
    ACTION_LABELS_VI,
    MOVES,
    NEEDS_DOCUMENT,
    CaseFacts,
    SideRecord,
    StepAction,
    StepRecord,
    action_for,
    needed_record,
    refuse,
)
from gis.workflow.paperwork import DocumentRef, check_paperwork
from gis.workflow.rules import RuleBook
from gis.workflow.step_checks import (
    STEP_DOCUMENTS,
    check_approval,
    check_decision,
    check_inventory,
)

S = CaseStep

__all__ = [
    "ACTION_LABELS_VI",
    "MOVES",
    "NEEDS_DOCUMENT",
    "CaseFacts",
    "SideRecord",
    "StepAction",
    "StepRecord",
    "StepRequest",
    "TransitionOutcome",
    "action_for",
    "check_document",
    "check_transition",
    "needed_record",
    "refuse",
    "resolve_target",
]


def resolve_target(current: CaseStep, requested: CaseStep) -> CaseStep:
    """The step a request leads to: asking for 'decided' when already paid (or 'paid' when
    already decided) means both are now done."""
    if {current, requested} == {S.DECIDED, S.PAID}:
        return S.DECIDED_PAID
    return requested


@dataclass(frozen=True)
class StepRequest:
    """A person's request to move a case on, as entered. ``decision_no`` and
    ``decision_date`` are the step's main document (the notice, the inventory minutes, the
    receipt…); ``documents`` the supporting ones; ``issuer_*`` who issued a decision."""

    to_step: CaseStep
    occurred_on: dt.date
    decision_no: str | None = None
    decision_date: dt.date | None = None
    signer: str | None = None
    note: str | None = None
    issuer_level: str | None = None
    issuer_unit: str | None = None
    documents: Sequence[DocumentRef] = ()

    def cleaned(self) -> StepRequest:
        """The same request with text normalised (and a document number checked)."""
        return StepRequest(
            CaseStep(self.to_step), self.occurred_on, clean_decision_no(self.decision_no),
            self.decision_date, clean_text(self.signer, field="signer", label_vi="Người ký"),
            clean_text(self.note, field="note", label_vi="Ghi chú"),
            self.issuer_level, self.issuer_unit, tuple(d.cleaned() for d in self.documents))

    def issuer(self) -> Issuer | None:
        """The structured issuer, else the one the signer text names."""
        return clean_issuer(self.issuer_level, self.issuer_unit, self.signer)


@dataclass(frozen=True)
class TransitionOutcome:
    """An accepted move: where the case goes, what it records, under which rule version."""

    step_from: CaseStep
    step_to: CaseStep
    action: StepAction
    rule_version: str
    request: StepRequest = field(repr=False)
    issuer: Issuer | None = None


def _check_order(current: CaseStep, requested: CaseStep) -> tuple[CaseStep, StepAction]:
    target = resolve_target(current, requested)
    action = action_for(current, target)
    if action is not None:
        return target, action
    steps = {"here": Term(STEP_LABELS_VI[current]), "there": Term(STEP_LABELS_VI[requested])}
    if current == S.HANDED_OVER:
        raise refuse("case already handed over", "Hồ sơ đã bàn giao mặt bằng; không còn bước "
                     "nào tiếp theo.", "case_closed", current_step=current.value)
    if STEP_ORDER[target] <= STEP_ORDER[current]:
        reason = "step_repeated" if target == current else "step_backwards"
        raise refuse(f"{current} → {requested} goes back", "Hồ sơ đã ở bước '{here}'; không "
                     "thể ghi lại hoặc quay về bước '{there}'.", reason, steps,
                     current_step=current.value)
    needed = OneOf(Term(ACTION_LABELS_VI[a]) for a in MOVES[current].values())
    raise refuse(
        f"{current} → {requested} skips a step",
        "Chưa thể chuyển sang bước '{there}': hồ sơ đang ở bước '{here}' — cần {needed} "
        "trước.", "step_skipped", {**steps, "needed": needed}, current_step=current.value,
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
                raise refuse(f"{name} is required for {what}", "Thiếu {label} của {what}.",
                             "required", {"label": Term(label), "what": Term(what)},
                             field=name)
    for name, day, label in (("occurred_on", occurred_on, what),
                             ("decision_date", decision_date, "ký văn bản")):
        if day is not None and day > today:
            raise refuse(f"{name} {day} is in the future", "Ngày {label} ({day}) "
                         "ở tương lai — hôm nay là {today}.", "date_in_future",
                         {"label": Term(label), "day": day, "today": today}, field=name)
    if decision_date is not None and decision_date > occurred_on:
        raise refuse("decision_date after occurred_on", "Ngày ký văn bản "
                     "({signed}) không được sau ngày {what} ({day}).",
                     "decision_after_occurrence",
                     {"signed": decision_date, "what": Term(what), "day": occurred_on},
                     field="decision_date")


def check_transition(facts: CaseFacts, request: StepRequest, rules: RuleBook,
                     today: dt.date) -> TransitionOutcome:
    """Accept or refuse a move; raises ``InvalidTransition`` naming the rule it breaks."""
    req = request.cleaned()
    target, action = _check_order(facts.step, req.to_step)
    what = ACTION_LABELS_VI[action]
    is_decision = action in NEEDS_DOCUMENT
    check_document(what, required=is_decision, today=today, occurred_on=req.occurred_on,
                   decision_no=req.decision_no, decision_date=req.decision_date,
                   signer=req.signer)
    check_paperwork(what, STEP_DOCUMENTS[action], occurred_on=req.occurred_on, today=today,
                    main_no=req.decision_no, main_date=req.decision_date,
                    main_signed=req.signer, documents=req.documents)
    legal = req.decision_date if is_decision and req.decision_date else req.occurred_on
    issuer = req.issuer() if is_decision else None
    if is_decision:
        check_issuer(what, issuer, legal, commune_name=facts.commune_name,
                     organisation=facts.organisation)
    if facts.history:
        prev = facts.history[-1]
        prev_what = Term(ACTION_LABELS_VI[prev.action] if prev.action else "bước trước")
        for mine, theirs, name in ((req.occurred_on, prev.occurred_on, "occurred_on"),
                                   (legal, prev.legal_date, "decision_date")):
            if mine < theirs:
                raise refuse(f"{action} on {mine} before {prev.step_to} on {theirs}",
                             "Ngày {what} ({day}) không được trước ngày {previous} "
                             "({previous_day}).", "before_previous_step",
                             {"what": Term(what), "day": mine, "previous": prev_what,
                              "previous_day": theirs},
                             field=name, previous_date=theirs.isoformat())
    elif facts.step != S.NOT_STARTED:
        needed_record(facts, StepAction.NOTICE)
    rule_set = rules.for_date(legal)
    if action == StepAction.INVENTORY:
        assert req.decision_date is not None  # check_paperwork requires it
        check_inventory(facts, req.decision_date)
    elif action == StepAction.APPROVAL:
        rule_set = check_approval(facts, legal, rules)
    elif action == StepAction.DECISION:
        rule_set = check_decision(facts, legal, rules)
    elif action == StepAction.PAYMENT:
        _check_paid(facts, req)
        rule_set = rules.for_date(needed_record(facts, StepAction.APPROVAL).legal_date)
    if action == StepAction.HANDOVER:
        check_settled(facts)
    return TransitionOutcome(facts.step, target, action, rule_set.version, req, issuer)


def _check_paid(facts: CaseFacts, req: StepRequest) -> None:
    if facts.last_payment_on is not None and req.occurred_on < facts.last_payment_on:
        raise refuse(
            f"payment completed {req.occurred_on} before last payment {facts.last_payment_on}",
            "Ngày hoàn thành chi trả ({day}) không được trước lần chi trả cuối ({last}).",
            "before_last_payment", {"day": req.occurred_on, "last": facts.last_payment_on},
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
            "Chưa thể ghi nhận hoàn thành chi trả: đã chi trả và gửi {paid} đ trên {approved} đ"
            " được duyệt, còn thiếu {short} đ. Tiền hộ không nhận phải được ghi là khoản gửi"
            " tài khoản tạm giữ.", "payment_incomplete",
            {"paid": facts.paid_vnd, "approved": facts.approved_total_vnd, "short": short},
            outstanding_vnd=short)
