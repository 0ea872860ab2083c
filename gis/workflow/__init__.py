"""The clearance workflow: legal steps, time limits, deadlines and the payment ledger.

The legal procedure, and the one place to add a step or a time limit: pure rules
(``transitions``, ``side_events``, ``rules``, ``deadlines``; the calendar is
``gis.core.calendar``) and the functions that apply them to the database (``service``,
``overdue``); money per household is in ``gis.compensation``. The service functions run in
the caller's transaction; see ``gis.workflow.service``.
"""

from gis.core.calendar import check_enforcement_time, enforcement_blackout
from gis.workflow.deadlines import Deadline, DeadlineKind, is_overdue, next_deadline
from gis.workflow.money import PaymentResult
from gis.workflow.overdue import CaseDeadline, case_deadlines, overdue_cases
from gis.workflow.rules import (
    STATUTORY_RULE_BOOK,
    RuleBook,
    RuleKey,
    RuleSet,
    TimeLimit,
    load_rule_book,
    rule_set_for,
)
from gis.workflow.service import EventResult, record_note, record_side_event, record_step
from gis.workflow.transitions import MOVES, CaseFacts, StepAction, StepRequest, check_transition

__all__ = [
    "MOVES",
    "STATUTORY_RULE_BOOK",
    "CaseDeadline",
    "CaseFacts",
    "Deadline",
    "DeadlineKind",
    "EventResult",
    "PaymentResult",
    "RuleBook",
    "RuleKey",
    "RuleSet",
    "StepAction",
    "StepRequest",
    "TimeLimit",
    "case_deadlines",
    "check_enforcement_time",
    "check_transition",
    "enforcement_blackout",
    "is_overdue",
    "load_rule_book",
    "next_deadline",
    "overdue_cases",
    "record_note",
    "record_side_event",
    "record_step",
    "rule_set_for",
]
