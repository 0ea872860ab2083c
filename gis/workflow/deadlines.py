"""What a case owes next, by when, under which rule version — as a pure function.

The office's obligations once a case is under way:

* ``notice_expiry``: the recovery decision must come before the notice lapses (12 months
  from the latest notice: a renewed notice restarts them);
* ``plan_approval``: after the posted plan (30 days, 10 from 2026) and its appraisal
  (30 days), the plan is due for approval;
* ``recovery_decision``: within 10 days of approval (of resettlement being ready, when the
  household needs resettlement; no due date while it is not ready);
* ``payment``: within 30 days of approval.

Each period follows the rule version in force on the day it starts. ``gis.workflow.overdue``
computes the same in SQL for whole projects; a test keeps the two in agreement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum
from typing import NamedTuple, Protocol

from gis.core.domain import STEP_ORDER, CaseStep, EventKind
from gis.workflow.rules import RuleBook, RuleKey, RuleSet
from gis.workflow.transitions import StepAction, StepRecord

S = CaseStep


class DeadlineKind(StrEnum):
    """The obligations ``next_deadline`` knows, in tie-break order."""

    NOTICE_EXPIRY = "notice_expiry"
    PLAN_APPROVAL = "plan_approval"
    RECOVERY_DECISION = "recovery_decision"
    PAYMENT = "payment"


DEADLINE_LABELS_VI: dict[DeadlineKind, str] = {
    DeadlineKind.NOTICE_EXPIRY: "Quyết định thu hồi trước khi thông báo hết hiệu lực",
    DeadlineKind.PLAN_APPROVAL: "Phê duyệt phương án",
    DeadlineKind.RECOVERY_DECISION: "Ban hành quyết định thu hồi đất",
    DeadlineKind.PAYMENT: "Chi trả tiền bồi thường, hỗ trợ",
}

BEFORE_DECISION = frozenset({S.NOTIFIED, S.INVENTORIED, S.PLAN_POSTED, S.PLAN_APPROVED, S.PAID})
DECISION_DUE = frozenset({S.PLAN_APPROVED, S.PAID})
PAYMENT_DUE = frozenset({S.PLAN_APPROVED, S.DECIDED})


class Deadline(NamedTuple):
    """(what, due_date, rule_version): the obligation, its last day, the rules used."""

    what: DeadlineKind
    due_date: dt.date
    rule_version: str

    def days_left(self, today: dt.date) -> int:
        """Days until the due date (negative when overdue)."""
        return (self.due_date - today).days


class CaseLike(Protocol):
    """What deadlines read from a case (a ``ClearanceCase`` will do)."""

    @property
    def step(self) -> CaseStep: ...

    @property
    def resettlement_needed(self) -> bool: ...


class EventLike(Protocol):
    """What deadlines read from an event (a ``CaseEvent`` will do)."""

    @property
    def kind(self) -> EventKind: ...

    @property
    def step_from(self) -> CaseStep | None: ...

    @property
    def step_to(self) -> CaseStep | None: ...

    @property
    def occurred_on(self) -> dt.date: ...

    @property
    def decision_date(self) -> dt.date | None: ...


def _rule_set(rules: RuleBook, day: dt.date) -> RuleSet | None:
    # A period that started before any rule version has no due date (rather than an error).
    chosen = [r for r in rules.sets if r.effective_from <= day]
    return chosen[-1] if chosen else None


def _due(rules: RuleBook, what: DeadlineKind, start: dt.date,
         *keys: RuleKey) -> Deadline | None:
    rule_set = _rule_set(rules, start)
    if rule_set is None:
        return None
    due = start
    for key in keys:
        due = rule_set.limit(key).due(due)
    return Deadline(what, due, rule_set.version)


def pending_deadlines(case: CaseLike, events: Iterable[EventLike], today: dt.date,
                      rules: RuleBook, *,
                      resettlement_ready_on: dt.date | None = None) -> list[Deadline]:
    """Every obligation of ``case`` still open as of ``today``, earliest first.

    Only events up to ``today`` count, so a past ``today`` shows what was due then.
    """
    events = list(events)
    history = [StepRecord(e.step_from, e.step_to, e.occurred_on, e.decision_date)
               for e in events if e.kind == EventKind.STEP and e.step_from and e.step_to]
    steps = [r for r in history if r.occurred_on <= today]
    # The furthest step reached by then; a case without step history is where it says.
    step = max((r.step_to for r in steps), key=STEP_ORDER.__getitem__,
               default=S.NOT_STARTED if history else case.step)

    def last(action: StepAction) -> StepRecord | None:
        found = [r for r in steps if r.action == action]
        return found[-1] if found else None

    found: list[Deadline | None] = []
    notice, posting, approval = (last(StepAction.NOTICE), last(StepAction.POSTING),
                                 last(StepAction.APPROVAL))
    # A renewed notice restarts the 12 months: the latest notice, first or renewed, counts.
    renewals = [e.decision_date or e.occurred_on for e in events
                if e.kind == EventKind.NOTICE_RENEWED and e.occurred_on <= today]
    if step in BEFORE_DECISION and notice is not None:
        found.append(_due(rules, DeadlineKind.NOTICE_EXPIRY,
                          max([notice.legal_date, *renewals]), RuleKey.NOTICE_VALIDITY))
    if step == S.PLAN_POSTED and posting is not None:
        found.append(_due(rules, DeadlineKind.PLAN_APPROVAL, posting.occurred_on,
                          RuleKey.PLAN_POSTING, RuleKey.PLAN_APPRAISAL))
    if step in DECISION_DUE and approval is not None:
        start: dt.date | None = approval.legal_date
        if case.resettlement_needed:
            ready = resettlement_ready_on
            start = None if ready is None else max(approval.legal_date, ready)
        if start is not None:
            found.append(_due(rules, DeadlineKind.RECOVERY_DECISION, start,
                              RuleKey.DECISION_AFTER_APPROVAL))
    if step in PAYMENT_DUE and approval is not None:
        found.append(_due(rules, DeadlineKind.PAYMENT, approval.legal_date,
                          RuleKey.PAYMENT_AFTER_APPROVAL))
    order = list(DeadlineKind)
    return sorted((d for d in found if d is not None),
                  key=lambda d: (d.due_date, order.index(d.what)))


def next_deadline(case: CaseLike, events: Iterable[EventLike], today: dt.date,
                  rules: RuleBook, *,
                  resettlement_ready_on: dt.date | None = None) -> Deadline | None:
    """What ``case`` owes next and by when (an overdue obligation stays next), or None."""
    pending = pending_deadlines(case, events, today, rules,
                                resettlement_ready_on=resettlement_ready_on)
    return pending[0] if pending else None


def is_overdue(case: CaseLike, events: Iterable[EventLike], today: dt.date, rules: RuleBook,
               *, resettlement_ready_on: dt.date | None = None) -> bool:
    """True when an obligation of ``case`` was due before ``today``."""
    due = next_deadline(case, events, today, rules, resettlement_ready_on=resettlement_ready_on)
    return due is not None and due.due_date < today
