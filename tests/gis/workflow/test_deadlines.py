"""What is due next: the pure function, the SQL query, and their agreement on the demo."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gis.core.domain import CaseStep, EventKind
from gis.models import CaseEvent, ClearanceCase, ResettlementAllocation
from gis.workflow import (
    STATUTORY_RULE_BOOK,
    DeadlineKind,
    case_deadlines,
    is_overdue,
    load_rule_book,
    next_deadline,
    overdue_cases,
)
from gis.workflow.deadlines import DECISION_FROM, OBLIGATIONS, START_DATES
from tests.gis.workflow.helpers import TODAY, D, World

S = CaseStep
DK = DeadlineKind
RULES = STATUTORY_RULE_BOOK


@dataclass
class Case:
    step: CaseStep
    resettlement_needed: bool = False


@dataclass
class Event:
    kind: EventKind
    step_from: CaseStep | None
    step_to: CaseStep | None
    occurred_on: dt.date
    decision_date: dt.date | None = None


def chain(*steps: tuple[CaseStep, dt.date]) -> list[Event]:
    """Step events from not_started through ``steps``, each signed on the day it happened."""
    out, prev = [], S.NOT_STARTED
    for to, on in steps:
        out.append(Event(EventKind.STEP, prev, to, on, on))
        prev = to
    return out


NOTICE = D(2025, 3, 5)
BASE = [(S.NOTIFIED, NOTICE), (S.INVENTORIED, D(2025, 3, 25)), (S.PLAN_POSTED, D(2025, 4, 4))]


def test_nothing_due_before_the_notice_or_after_payment_and_decision() -> None:
    assert next_deadline(Case(S.NOT_STARTED), [], TODAY, RULES) is None
    full = chain(*BASE, (S.PLAN_APPROVED, D(2025, 5, 20)), (S.DECIDED, D(2025, 6, 10)),
                 (S.DECIDED_PAID, D(2025, 6, 15)))
    assert next_deadline(Case(S.DECIDED_PAID), full, TODAY, RULES) is None


def test_notice_expiry_while_inventory_is_pending() -> None:
    due = next_deadline(Case(S.NOTIFIED), chain(BASE[0]), D(2025, 3, 10), RULES)
    assert due == (DK.NOTICE_EXPIRY, D(2026, 3, 5), "LD2024")
    assert due is not None and due.days_left(D(2025, 3, 10)) == 360


def test_plan_approval_due_after_posting_and_appraisal() -> None:
    due = next_deadline(Case(S.PLAN_POSTED), chain(*BASE), D(2025, 4, 10), RULES)
    assert due == (DK.PLAN_APPROVAL, D(2025, 6, 3), "LD2024")  # 30 + 30 days
    assert not is_overdue(Case(S.PLAN_POSTED), chain(*BASE), D(2025, 6, 3), RULES)
    assert is_overdue(Case(S.PLAN_POSTED), chain(*BASE), D(2025, 6, 4), RULES)


def test_after_approval_decision_then_payment() -> None:
    events = chain(*BASE, (S.PLAN_APPROVED, D(2025, 5, 20)))
    assert next_deadline(Case(S.PLAN_APPROVED), events, TODAY, RULES) == (
        DK.RECOVERY_DECISION, D(2025, 5, 30), "LD2024")
    decided = [*events, Event(EventKind.STEP, S.PLAN_APPROVED, S.DECIDED, D(2025, 6, 10),
                              D(2025, 6, 10))]
    assert next_deadline(Case(S.DECIDED), decided, TODAY, RULES) == (
        DK.PAYMENT, D(2025, 6, 19), "LD2024")


def test_resettlement_postpones_the_decision() -> None:
    events = chain(*BASE, (S.PLAN_APPROVED, D(2025, 5, 20)))
    case = Case(S.PLAN_APPROVED, resettlement_needed=True)
    assert next_deadline(case, events, TODAY, RULES) == (DK.PAYMENT, D(2025, 6, 19), "LD2024")
    ready = next_deadline(case, events, D(2025, 6, 1), RULES,
                          resettlement_ready_on=D(2025, 6, 1))
    assert ready == (DK.RECOVERY_DECISION, D(2025, 6, 11), "LD2024")


def test_as_of_a_past_day() -> None:
    events = chain(*BASE, (S.PLAN_APPROVED, D(2025, 5, 20)))
    assert next_deadline(Case(S.PLAN_APPROVED), events, D(2025, 4, 10), RULES) == (
        DK.PLAN_APPROVAL, D(2025, 6, 3), "LD2024")


@settings(max_examples=300, deadline=None)
@given(posted=st.dates(D(2024, 1, 1), D(2027, 6, 30)))
def test_plan_approval_due_on_both_sides_of_2026(posted: dt.date) -> None:
    notice = posted - dt.timedelta(days=20)
    events = chain((S.NOTIFIED, notice), (S.INVENTORIED, notice), (S.PLAN_POSTED, posted))
    due = next_deadline(Case(S.PLAN_POSTED), events, posted, RULES)
    posting = 30 if posted < D(2026, 1, 1) else 10
    assert due is not None
    assert due.what == DK.PLAN_APPROVAL
    assert due.due_date == posted + dt.timedelta(days=posting + 30)
    assert due.rule_version == ("LD2024" if posted < D(2026, 1, 1) else "NQ254-2026")


def test_overdue_cases_query(world: World) -> None:
    w = world
    w.to_approved(w.agri_case)  # approved 20/05/2025 → decision due 30/05, payment 19/06
    w.decision(w.resid_case, S.NOTIFIED, D(2025, 9, 1), "15/TB-UBND")
    found = overdue_cases(w.session, w.project, D(2025, 6, 1))
    assert [(d.case_id, d.what, d.due_date, d.days_left) for d in found] == [
        (w.agri_case, DK.RECOVERY_DECISION, D(2025, 5, 30), -2)]
    assert overdue_cases(w.session, w.project, D(2025, 5, 30)) == []
    every = {d.case_id: d for d in case_deadlines(w.session, TODAY, project_id=w.project)}
    assert every[w.resid_case].what == DK.NOTICE_EXPIRY
    assert every[w.resid_case].due_date == D(2026, 9, 1)
    assert every[w.agri_case].is_overdue
    assert overdue_cases(w.session, w.project, TODAY, commune_code="00000") == []


def test_sql_agrees_with_python_on_the_demo(demo_engine: Engine) -> None:
    """Every open demo case: the SQL query and next_deadline give the same answer."""
    today = D(2026, 11, 21)
    with Session(demo_engine) as session:
        rules = load_rule_book(session)
        sql = {d.case_id: (d.what, d.due_date, d.rule_version)
               for d in case_deadlines(session, today)}
        cases = session.scalars(select(ClearanceCase)).all()
        events: dict[int, list[CaseEvent]] = {}
        for event in session.scalars(select(CaseEvent).order_by(CaseEvent.id)):
            events.setdefault(event.case_id, []).append(event)
        ready: dict[int, dt.date] = {}
        for alloc in session.scalars(select(ResettlementAllocation)
                                     .where(ResettlementAllocation.released_on.is_(None))):
            ready[alloc.case_id] = min(ready.get(alloc.case_id, alloc.allocated_on),
                                       alloc.allocated_on)
        python = {}
        for case in cases:
            due = next_deadline(case, events.get(case.id, []), today, rules,
                                resettlement_ready_on=ready.get(case.id))
            if due is not None:
                python[case.id] = tuple(due)
        session.rollback()
    assert len(python) > 100
    assert sql == python
    assert {what for what, _, _ in python.values()} >= {DK.NOTICE_EXPIRY, DK.PAYMENT}


def test_the_rule_table_is_complete_and_in_tie_break_order() -> None:
    """Every kind of deadline has one obligation, listed in DeadlineKind order (the SQL
    renderings break ties by their position), from a start date the table defines."""
    assert [o.what for o in OBLIGATIONS] == list(DeadlineKind)
    starts = {s.name for s in START_DATES} | {DECISION_FROM}
    assert all(o.start in starts and o.keys and o.steps for o in OBLIGATIONS)
