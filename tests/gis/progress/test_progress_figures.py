"""As-of figures against a replay of the event history in Python, on the demo database."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gis.core.domain import CaseStep, EventKind
from gis.progress import ADDITIVE_FIELDS, Figures, progress_figures
from gis.progress.figures import sum_figures
from gis.progress.state import APPROVED, COUNTED, HANDED, PAID, history_end
from gis.workflow.deadlines import DeadlineKind, pending_deadlines
from gis.workflow.rules import RuleBook, load_rule_book

DAYS = st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31))


@dataclass(frozen=True)
class Event:
    """A history row as ``pending_deadlines`` reads it."""

    id: int
    kind: EventKind
    step_from: CaseStep | None
    step_to: CaseStep | None
    occurred_on: dt.date
    decision_date: dt.date | None


@dataclass
class History:
    """The demo's whole history, loaded once."""

    cases: list[Any]
    events: dict[int, list[Event]]
    payments: dict[int, list[tuple[dt.date, int]]]
    allocations: dict[int, list[tuple[dt.date, dt.date | None]]]
    holders: dict[int, list[int]]
    rules: RuleBook
    household_cases: dict[int, list[int]]  # household record → its cases
    decisions: list[Any]  # id, household_id, decision_date, amends_decision_id, total_vnd
    ledger: dict[int, list[tuple[dt.date, int]]]  # household record → (day, amount)


@pytest.fixture(scope="module")
def history(demo_engine: Engine) -> Iterator[History]:
    with Session(demo_engine) as s:
        cases = s.execute(text(
            "SELECT c.id, c.project_id, p.commune_code, c.parcel_id, c.recovered_area_m2,"
            " c.approved_total_vnd, c.resettlement_needed, c.step::text AS step"
            " FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id")).all()
        events: dict[int, list[Event]] = defaultdict(list)
        for r in s.execute(text(
                "SELECT id, case_id, kind::text, step_from::text, step_to::text, occurred_on,"
                " decision_date FROM case_events ORDER BY occurred_on, id")):
            events[r.case_id].append(Event(
                r.id, EventKind(r.kind), CaseStep(r.step_from) if r.step_from else None,
                CaseStep(r.step_to) if r.step_to else None, r.occurred_on, r.decision_date))
        payments: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
        for r in s.execute(text("SELECT case_id, paid_on, amount_vnd FROM payments")):
            payments[r.case_id].append((r.paid_on, r.amount_vnd))
        allocations: dict[int, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
        for r in s.execute(text(
                "SELECT case_id, allocated_on, released_on FROM resettlement_allocations")):
            allocations[r.case_id].append((r.allocated_on, r.released_on))
        holders: dict[int, list[int]] = defaultdict(list)
        for r in s.execute(text("SELECT parcel_id, land_user_id FROM parcel_land_users")):
            holders[r.parcel_id].append(r.land_user_id)
        household_cases: dict[int, list[int]] = defaultdict(list)
        for r in s.execute(text("SELECT household_id, case_id FROM compensation_household_cases")):
            household_cases[r.household_id].append(r.case_id)
        decisions = s.execute(text(
            "SELECT id, household_id, decision_date, amends_decision_id, total_vnd"
            " FROM compensation_decisions")).all()
        ledger: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
        for r in s.execute(text("SELECT household_id, paid_on, amount_vnd FROM payments"
                                " WHERE household_id IS NOT NULL")):
            ledger[r.household_id].append((r.paid_on, r.amount_vnd))
        yield History(cases, events, payments, allocations, holders, load_rule_book(s),
                      household_cases, decisions, ledger)


@dataclass(frozen=True)
class _Case:
    step: CaseStep
    resettlement_needed: bool


def replay(h: History, as_of: dt.date) -> dict[tuple[int, str], dict[str, Any]]:
    """Per project × commune, what the history says was true at the end of ``as_of``."""
    out: dict[tuple[int, str], dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    users: dict[tuple[int, str], dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for c in h.cases:
        evs = [e for e in h.events[c.id] if e.occurred_on <= as_of]
        steps = [e for e in evs if e.kind == EventKind.STEP and e.step_to]
        step = steps[-1].step_to if steps else CaseStep.NOT_STARTED
        assert step is not None
        row, who = out[(c.project_id, c.commune_code)], users[(c.project_id, c.commune_code)]
        row["parcels"] += 1
        row["area_m2"] += c.recovered_area_m2
        row[f"step_{step.value}"] += 1
        for name, group in (("counted", COUNTED), ("approved", APPROVED), ("paid", PAID),
                            ("handed_over", HANDED)):
            if step in group:
                row[f"parcels_{name}"] += 1
                if name in {"counted", "handed_over"}:
                    who[name].update(h.holders[c.parcel_id])
        who["all"].update(h.holders[c.parcel_id])
        if step in HANDED:
            row["handed_over_m2"] += c.recovered_area_m2
        if step in APPROVED:
            row["approved_vnd"] += c.approved_total_vnd
        row["paid_vnd"] += sum(a for d, a in h.payments[c.id] if d <= as_of)
        filed = sum(1 for e in evs if e.kind == EventKind.COMPLAINT_FILED)
        resolved = sum(1 for e in evs if e.kind == EventKind.COMPLAINT_RESOLVED)
        row["complaints_filed"] += filed
        row["complaints_open"] += filed > resolved
        row["enforcement_decided"] += any(e.kind == EventKind.ENFORCEMENT_DECIDED for e in evs)
        row["enforcement_executed"] += any(e.kind == EventKind.ENFORCEMENT_EXECUTED for e in evs)
        row["resettlement_needed"] += c.resettlement_needed and step != CaseStep.NOT_STARTED
        held = [a for a, r in h.allocations[c.id] if a <= as_of and (r is None or r > as_of)]
        row["resettlement_allocated"] += bool(held)
        if step != CaseStep.NOT_STARTED:
            due = pending_deadlines(_Case(step, c.resettlement_needed), evs, as_of, h.rules,
                                    resettlement_ready_on=min(held) if held else None)
            if due and due[0].due_date < as_of:
                row[f"overdue_{due[0].what.value}"] += 1
    where = {c.id: (c.project_id, c.commune_code) for c in h.cases}
    for household, approved, settled in household_money(h, as_of):
        for case_id in h.household_cases[household]:
            users[where[case_id]]["approved"].add(household)
            if approved > 0 and settled == approved:
                users[where[case_id]]["paid"].add(household)
    for key, who in users.items():
        out[key]["households"] = len(who["all"])
        for name in ("counted", "approved", "paid", "handed_over"):
            out[key][f"households_{name}"] = len(who[name])
    return out


def household_money(h: History, as_of: dt.date) -> list[tuple[int, int, int]]:
    """(household, approved, paid + deposited) at the end of ``as_of`` for every household
    record with a decision in force then: decisions dated by then that no amendment dated
    by then replaced."""
    known = [d for d in h.decisions if d.decision_date <= as_of]
    replaced = {d.amends_decision_id for d in known if d.amends_decision_id is not None}
    approved: dict[int, int] = defaultdict(int)
    for d in known:
        if d.id not in replaced:
            approved[d.household_id] += d.total_vnd
    return [(hid, total, sum(a for day, a in h.ledger[hid] if day <= as_of))
            for hid, total in approved.items()]


def test_households_paid_is_paid_plus_deposited_equal_to_approved(
        demo_engine: Engine, history: History) -> None:
    """Today's province figure counts exactly the household records whose payees received
    or had deposited all of the approved amount, recounted here record by record."""
    today = dt.date(2026, 11, 21)
    money = household_money(history, today)
    with Session(demo_engine) as s:
        got = progress_figures(s, today).total
    assert got.households_approved == len(money) > 0
    assert got.households_paid == sum(1 for _, a, p in money if a > 0 and p == a) > 0
    assert got.households_paid < got.households_approved


def _as_dict(f: Figures) -> dict[str, Any]:
    d: dict[str, Any] = {k: getattr(f, k) for k in (
        "parcels", "area_m2", "handed_over_m2", "parcels_counted", "parcels_approved",
        "parcels_paid", "parcels_handed_over", "approved_vnd", "paid_vnd",
        "complaints_filed", "complaints_open", "enforcement_decided", "enforcement_executed",
        "resettlement_needed", "resettlement_allocated", "households", "households_counted",
        "households_approved", "households_paid", "households_handed_over")}
    d.update({f"step_{s.value}": n for s, n in f.parcels_by_step.items()})
    d.update({f"overdue_{k.value}": n for k, n in f.overdue.items()})
    return d


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(as_of=DAYS)
def test_as_of_figures_equal_a_replay_of_the_history(demo_engine: Engine, history: History,
                                                     as_of: dt.date) -> None:
    expected = replay(history, as_of)
    with Session(demo_engine) as s:
        got = progress_figures(s, as_of)
    assert set(got.by_project_commune) == set(expected)
    for key, figures in got.by_project_commune.items():
        mine = _as_dict(figures)
        for name, value in mine.items():
            want = expected[key].get(name, 0)
            assert value == (Decimal(want) if isinstance(value, Decimal) else want), (
                key, name, as_of)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(as_of=DAYS)
def test_totals_are_the_sum_of_their_rows(demo_engine: Engine, as_of: dt.date) -> None:
    with Session(demo_engine) as s:
        got = progress_figures(s, as_of)
    for rows in (got.by_project_commune, got.by_commune, got.by_project):
        summed = sum_figures(list(rows.values()))
        for name in ADDITIVE_FIELDS:
            assert getattr(summed, name) == getattr(got.total, name), name
        assert got.total.households <= summed.households
    for project_id, project in got.by_project.items():
        rows = [f for (p, _), f in got.by_project_commune.items() if p == project_id]
        assert sum_figures(rows).paid_vnd == project.paid_vnd


def test_today_replay_agrees_with_the_cases_current_state(demo_engine: Engine) -> None:
    """The workflow keeps each case's step and paid sum; replaying to today gives the same."""
    with Session(demo_engine) as s:
        current = s.execute(text(
            "SELECT count(*) FILTER (WHERE step = 'handed_over') AS handed,"
            " sum(paid_vnd) AS paid FROM clearance_cases")).one()
        got = progress_figures(s, dt.date(2100, 1, 1), replay=True).total
    assert got.parcels_handed_over == current.handed
    assert got.paid_vnd == current.paid


def test_after_the_history_the_current_state_gives_the_replayed_figures(
        demo_engine: Engine, history: History) -> None:
    """From the history's last day on, figures are read from the cases' current state and
    ``case_next_deadlines``: every figure at every level equals the SQL replay, and the
    project × commune rows equal the Python replay."""
    with Session(demo_engine) as s:
        end = history_end(s)
        assert end is not None
        days = [end - dt.timedelta(days=1), end, end + dt.timedelta(days=1),
                end + dt.timedelta(days=45), end + dt.timedelta(days=400)]
        for day in days:
            for project_id in (None, *sorted({c.project_id for c in history.cases})):
                fast = progress_figures(s, day, project_id=project_id)
                slow = progress_figures(s, day, project_id=project_id, replay=True)
                assert fast == slow, (day, project_id)
            expected = replay(history, day)
            got = progress_figures(s, day)
            assert set(got.by_project_commune) == set(expected)
            for key, figures in got.by_project_commune.items():
                for name, value in _as_dict(figures).items():
                    want = expected[key].get(name, 0)
                    assert value == (Decimal(want) if isinstance(value, Decimal) else want), (
                        key, name, day)
        overdue = sum(progress_figures(s, days[-1]).total.overdue.values())
    assert overdue > 0, "the demo has overdue cases after its history"


def test_nothing_before_the_history_starts(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        got = progress_figures(s, dt.date(2020, 1, 1)).total
    assert got.parcels > 0
    assert got.parcels_by_step[CaseStep.NOT_STARTED] == got.parcels
    assert got.paid_vnd == 0 and got.handed_over_m2 == 0
    assert got.overdue == dict.fromkeys(DeadlineKind, 0)


def test_history_written_after_the_check_is_replayed(demo_engine: Engine,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The current-state query reads the history's end again in its own snapshot: when the
    history reaches past the day asked (as if an event was back-dated between the check and
    the query), the figures are replayed, not read from the current state."""
    import gis.progress.figures as figures_module

    with Session(demo_engine) as s:
        end = history_end(s)
        assert end is not None
        day = end - dt.timedelta(days=30)
        monkeypatch.setattr(figures_module, "history_end", lambda session: day)
        got = progress_figures(s, day)
        assert got == progress_figures(s, day, replay=True)
        assert got.total != progress_figures(s, end).total  # the current state differs
