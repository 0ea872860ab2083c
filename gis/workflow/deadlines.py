"""What a case owes next, by when, under which rule version — as a pure function.

The office's obligations once a case is under way:

* ``notice_expiry``: the recovery decision must come before the notice lapses (12 months
  from the latest notice: a renewed notice restarts them);
* ``plan_approval``: after the posted plan (30 days, 10 from 2026) and its appraisal
  (30 days), the plan is due for approval;
* ``recovery_decision``: within 10 days of approval (of resettlement being ready, when the
  household needs resettlement; no due date while it is not ready);
* ``payment``: within 30 days of approval.

Each period follows the rule version in force on the day it starts. The rule is written
once, as data: ``START_DATES`` (the days periods run from, read from the step history) and
``OBLIGATIONS`` (at which steps each obligation is open, from which day, through which time
limits, in tie-break order). ``pending_deadlines`` applies them to one case in Python;
``gis.workflow.overdue`` renders the same tables as SQL for whole projects, for the
trigger-kept ``case_next_deadlines`` (revision 0015) and for the as-of replay of
``gis.progress.state``. Tests keep all of them in agreement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum
from typing import NamedTuple, Protocol

from gis.core.domain import STEP_ORDER, CaseStep, EventKind
from gis.workflow.facts import NEEDS_DOCUMENT
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


class StartDate(NamedTuple):
    """A day periods run from: the legal date of the latest ``action`` in the step history
    (a decision's date for decisions, else the day it happened), or of a later
    ``renewed_by`` event, which restarts it."""

    name: str
    action: StepAction
    renewed_by: EventKind | None = None

    @property
    def uses_decision_date(self) -> bool:
        """True when the step's decision date, not the day it was recorded, counts."""
        return self.action in NEEDS_DOCUMENT


START_DATES: tuple[StartDate, ...] = (
    StartDate("notice_on", StepAction.NOTICE, renewed_by=EventKind.NOTICE_RENEWED),
    StartDate("posted_on", StepAction.POSTING),
    StartDate("approved_on", StepAction.APPROVAL),
)

DECISION_FROM = "decision_from"
"""The day the recovery decision's period runs from: the approval, or when the household
needs resettlement the day resettlement is ready if later (none while it is not ready)."""


class Obligation(NamedTuple):
    """One obligation: open while the case is at one of ``steps``, due after the time limits
    ``keys`` applied one after the other from the start date named ``start`` (under the rule
    version in force on that day)."""

    what: DeadlineKind
    steps: frozenset[CaseStep]
    start: str
    keys: tuple[RuleKey, ...]


OBLIGATIONS: tuple[Obligation, ...] = (
    Obligation(DeadlineKind.NOTICE_EXPIRY, BEFORE_DECISION, "notice_on",
               (RuleKey.NOTICE_VALIDITY,)),
    Obligation(DeadlineKind.PLAN_APPROVAL, frozenset({S.PLAN_POSTED}), "posted_on",
               (RuleKey.PLAN_POSTING, RuleKey.PLAN_APPRAISAL)),
    Obligation(DeadlineKind.RECOVERY_DECISION, DECISION_DUE, DECISION_FROM,
               (RuleKey.DECISION_AFTER_APPROVAL,)),
    Obligation(DeadlineKind.PAYMENT, PAYMENT_DUE, "approved_on",
               (RuleKey.PAYMENT_AFTER_APPROVAL,)),
)
"""Every obligation, in tie-break order (``DeadlineKind`` order)."""

OPEN_STEPS = frozenset().union(*(o.steps for o in OBLIGATIONS))
"""Steps at which some obligation can be open."""


def decision_from(approved_on: dt.date | None, resettlement_needed: bool,
                  resettlement_ready_on: dt.date | None) -> dt.date | None:
    """The start of the recovery decision's period (see ``DECISION_FROM``)."""
    if approved_on is None or not resettlement_needed:
        return approved_on
    return None if resettlement_ready_on is None else max(approved_on, resettlement_ready_on)


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

    def legal_date(start: StartDate) -> dt.date | None:
        records = [r for r in steps if r.action == start.action]
        if not records:
            return None
        latest = records[-1].legal_date
        if start.renewed_by is None:
            return latest
        # A renewed notice restarts its period: the latest one, first or renewed, counts.
        return max([latest, *(e.decision_date or e.occurred_on for e in events
                              if e.kind == start.renewed_by and e.occurred_on <= today)])

    starts = {start.name: legal_date(start) for start in START_DATES}
    starts[DECISION_FROM] = decision_from(starts["approved_on"], case.resettlement_needed,
                                          resettlement_ready_on)
    found: list[Deadline | None] = []
    for obligation in OBLIGATIONS:
        start_on = starts[obligation.start]
        if step in obligation.steps and start_on is not None:
            found.append(_due(rules, obligation.what, start_on, *obligation.keys))
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
