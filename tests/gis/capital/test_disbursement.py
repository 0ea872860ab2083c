"""Capital disbursement: recording rules (integer VND, append-only, never above the plan)
and the figures as of any day, revisions included, checked against a replay."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from gis.access.accounts import create_user
from gis.capital.disbursement import (
    MonthTarget,
    first_overshoot,
    record_disbursement,
    record_plan,
    reverse_disbursement,
    set_national_rate,
    set_targets,
)
from gis.capital.figures import Standing, disbursement_figures, prorated_target
from gis.core.domain import InvestmentForm, Role
from gis.core.errors import Conflict, GpmbError, InvalidInput, PermissionDenied
from gis.models import Project

B = 1_000_000_000
TODAY = dt.date(2026, 11, 21)
D = dt.date


@dataclass
class Capital:
    """A project and the people who write its capital records."""

    session: Session
    project_id: int
    staff: int
    leader: int

    def plan(self, amount: int, on: dt.date, version: int, year: int = 2025,
             number: str = "12/QĐ-UBND") -> int:
        return record_plan(self.session, self.project_id, year, amount, decision_no=number,
                           decision_date=on, expected_revision=version, actor_id=self.staff,
                           today=TODAY).revision

    def pay(self, amount: int, on: dt.date, **kw: object) -> int:
        result = record_disbursement(self.session, self.project_id, amount, on,
                                     actor_id=self.staff, today=TODAY, **kw)  # type: ignore[arg-type]
        return result.entry.id

    def figures(self, on: dt.date, year: int = 2025):  # type: ignore[no-untyped-def]
        return disbursement_figures(self.session, self.project_id, on, year)


@pytest.fixture
def cap(session: Session) -> Iterator[Capital]:
    project = Project(code="GN-TEST", name="Dự án thử giải ngân",
                      investment_form=InvestmentForm.PUBLIC_BUDGET, owner="Ban QLDA thử")
    session.add(project)
    staff = create_user(session, "gn.staff", Role.STAFF, "mat-khau-thu-gn-1")
    leader = create_user(session, "gn.leader", Role.LEADER, "mat-khau-thu-gn-2")
    session.flush()
    yield Capital(session, project.id, staff.id, leader.id)


def reason(info: pytest.ExceptionInfo[GpmbError]) -> str:
    return str(info.value.extra["reason"])


def test_figures_follow_plan_revisions_and_reversals(cap: Capital) -> None:
    cap.plan(100 * B, D(2025, 1, 10), 0)
    first = cap.pay(20 * B, D(2025, 2, 12), source="Ngân sách tỉnh")
    cap.pay(30 * B, D(2025, 3, 20))
    cap.plan(160 * B, D(2025, 6, 1), 1, number="345/QĐ-UBND")
    cap.pay(70 * B, D(2025, 7, 5))
    reverse_disbursement(cap.session, first, reason="Nhập nhầm chứng từ", actor_id=cap.staff,
                         reversed_on=D(2025, 8, 1), today=TODAY)

    before = cap.figures(D(2025, 1, 9))
    assert (before.plan_vnd, before.disbursed_vnd, before.pct, before.plan) == (0, 0, None, None)
    march = cap.figures(D(2025, 3, 31))
    assert (march.plan_vnd, march.disbursed_vnd) == (100 * B, 50 * B)
    assert march.pct == pytest.approx(50.0)
    assert march.plan is not None and march.plan.revision == 1
    july = cap.figures(D(2025, 7, 31))
    assert (july.plan_vnd, july.disbursed_vnd, july.remaining_vnd) == (160 * B, 120 * B, 40 * B)
    assert [p.decision_no for p in july.plans] == ["12/QĐ-UBND", "345/QĐ-UBND"]
    august = cap.figures(D(2025, 8, 1))
    assert august.disbursed_vnd == 100 * B and august.pct == pytest.approx(62.5)
    # the monthly series as of August: shares of the plan in force on 1 Aug
    assert [m.disbursed_vnd for m in august.months] == [0, 20 * B, 50 * B, 50 * B, 50 * B,
                                                        50 * B, 120 * B, 100 * B]
    assert august.months[-1].day == D(2025, 8, 1)
    assert august.months[2].pct == pytest.approx(50 / 160 * 100)
    # history is append-only
    with pytest.raises(DBAPIError), cap.session.begin_nested():
        cap.session.execute(text("UPDATE disbursements SET amount_vnd = 1"))


def test_disbursement_above_the_plan_is_refused_on_every_day(cap: Capital) -> None:
    cap.plan(100 * B, D(2025, 1, 10), 0)
    cap.pay(90 * B, D(2025, 2, 1))
    with pytest.raises(InvalidInput) as info:
        cap.pay(11 * B, D(2025, 2, 2))
    assert reason(info) == "exceeds_plan"
    assert info.value.message_vi == ("Giải ngân 11.000.000.000 đ làm lũy kế đến ngày 02/02/2025 "
                                     "(101.000.000.000 đ) vượt kế hoạch vốn năm 2025 "
                                     "(100.000.000.000 đ).")
    cap.plan(150 * B, D(2025, 6, 1), 1)
    cap.pay(40 * B, D(2025, 6, 2))  # fits the revised plan
    with pytest.raises(InvalidInput) as info:  # back-dated: would overshoot the first plan
        cap.pay(20 * B, D(2025, 5, 1))
    assert reason(info) == "exceeds_plan"
    with pytest.raises(InvalidInput) as info:  # a revision may not go below what was paid
        cap.plan(120 * B, D(2025, 7, 1), 2)
    assert reason(info) == "plan_below_disbursed"
    with pytest.raises(InvalidInput) as info:
        cap.plan(200 * B, D(2025, 5, 1), 2)
    assert reason(info) == "decision_before_previous"
    with pytest.raises(Conflict) as stale:
        cap.plan(200 * B, D(2025, 7, 1), 1)
    assert stale.value.extra["reason"] == "stale_version"
    assert stale.value.extra["current_version"] == 2


@pytest.mark.parametrize(("call", "code"), [
    (lambda c: c.pay(-5, D(2025, 3, 1)), "amount_not_positive"),
    (lambda c: c.pay(0, D(2025, 3, 1)), "amount_not_positive"),
    (lambda c: c.pay(1.5, D(2025, 3, 1)), "not_integer_vnd"),
    (lambda c: c.pay(1000, D(2026, 11, 22)), "date_in_future"),
    (lambda c: c.pay(1000, D(2026, 2, 1), year=2025), "outside_disbursement_window"),
    (lambda c: c.pay(1000, D(2024, 12, 31), year=2025), "outside_disbursement_window"),
    (lambda c: c.pay(1000, D(2025, 1, 5)), "no_plan"),
    (lambda c: c.plan(-1, D(2025, 1, 10), 1), "negative_amount"),
    (lambda c: c.plan(10**17, D(2025, 1, 10), 1), "amount_too_large"),
    (lambda c: c.plan(1, D(2025, 1, 10), 1, year=1999), "year_out_of_range"),
    (lambda c: c.plan(1, D(2025, 1, 10), 1, number="số 12"), "bad_decision_no"),
    (lambda c: c.plan(1, D(2026, 12, 1), 1), "date_in_future"),
    (lambda c: set_national_rate(c.session, 2025, 13, 5.0, published_on=D(2025, 2, 1),
                                 expected_revision=0, actor_id=c.staff, today=TODAY),
     "month_out_of_range"),
    (lambda c: set_national_rate(c.session, 2025, 3, 100.5, published_on=D(2025, 4, 5),
                                 expected_revision=0, actor_id=c.staff, today=TODAY),
     "pct_out_of_range"),
    (lambda c: set_national_rate(c.session, 2025, 3, 10, published_on=D(2025, 2, 5),
                                 expected_revision=0, actor_id=c.staff, today=TODAY),
     "published_before_month"),
    (lambda c: set_targets(c.session, c.project_id, 2025, [MonthTarget(1, 10), MonthTarget(
        2, 5)], committed_on=D(2025, 1, 5), expected_revision=0, actor_id=c.staff,
        today=TODAY), "target_not_cumulative"),
    (lambda c: set_targets(c.session, c.project_id, 2025, [MonthTarget(1, 10, 5)],
                           committed_on=D(2025, 1, 5), expected_revision=0, actor_id=c.staff,
                           today=TODAY), "target_measure"),
    (lambda c: set_targets(c.session, c.project_id, 2025, [MonthTarget(0, 10)],
                           committed_on=D(2025, 1, 5), expected_revision=0, actor_id=c.staff,
                           today=TODAY), "month_out_of_range"),
    (lambda c: set_targets(c.session, c.project_id, 2025, [MonthTarget(1, None, -3)],
                           committed_on=D(2025, 1, 5), expected_revision=0, actor_id=c.staff,
                           today=TODAY), "negative_amount"),
])
def test_refusals_have_specific_codes(cap: Capital, call: object, code: str) -> None:
    cap.plan(100 * B, D(2025, 1, 10), 0)
    with pytest.raises(InvalidInput) as info:
        call(cap)  # type: ignore[operator]
    assert reason(info) == code
    assert info.value.message_vi and info.value.message_vi != InvalidInput.message_vi


def test_leaders_may_not_write(cap: Capital) -> None:
    with pytest.raises(PermissionDenied):
        record_plan(cap.session, cap.project_id, 2025, B, decision_no="1/QĐ-UBND",
                    decision_date=D(2025, 1, 2), expected_revision=0, actor_id=cap.leader,
                    today=TODAY)


def test_idempotent_disbursement_and_single_reversal(cap: Capital) -> None:
    cap.plan(100 * B, D(2025, 1, 10), 0)
    a = record_disbursement(cap.session, cap.project_id, 5 * B, D(2025, 2, 3),
                            actor_id=cap.staff, idempotency_key="gn-1", today=TODAY)
    again = record_disbursement(cap.session, cap.project_id, 5 * B, D(2025, 2, 3),
                                actor_id=cap.staff, idempotency_key="gn-1", today=TODAY)
    assert again.replayed and again.entry.id == a.entry.id and again.disbursed_vnd == 5 * B
    with pytest.raises(Conflict):
        record_disbursement(cap.session, cap.project_id, 6 * B, D(2025, 2, 3),
                            actor_id=cap.staff, idempotency_key="gn-1", today=TODAY)
    back = reverse_disbursement(cap.session, a.entry.id, reason="Sai số tiền",
                                actor_id=cap.staff, reversed_on=D(2025, 2, 4), today=TODAY)
    assert back.entry.amount_vnd == -5 * B and back.disbursed_vnd == 0
    with pytest.raises(Conflict):
        reverse_disbursement(cap.session, a.entry.id, reason="Lần nữa", actor_id=cap.staff,
                             today=TODAY)
    with pytest.raises(InvalidInput) as info:
        reverse_disbursement(cap.session, back.entry.id, reason="Đảo của đảo",
                             actor_id=cap.staff, today=TODAY)
    assert reason(info) == "reversal_of_reversal"


def test_targets_and_national_average_as_of(cap: Capital) -> None:
    cap.plan(200 * B, D(2025, 1, 10), 0)
    set_targets(cap.session, cap.project_id, 2025, [MonthTarget(1, 5), MonthTarget(2, 15),
                                                   MonthTarget(3, 30)],
                committed_on=D(2025, 1, 15), expected_revision=0, actor_id=cap.staff,
                today=TODAY)
    cap.pay(20 * B, D(2025, 2, 10))  # 10 %
    cap.pay(30 * B, D(2025, 3, 10))  # 25 %
    set_national_rate(cap.session, 2025, 2, 8.0, published_on=D(2025, 3, 5),
                      expected_revision=0, actor_id=cap.staff, today=TODAY)
    set_national_rate(cap.session, 2025, 2, 12.5, published_on=D(2025, 3, 20),
                      expected_revision=1, actor_id=cap.staff, today=TODAY)
    with pytest.raises(Conflict):
        set_national_rate(cap.session, 2025, 2, 13.0, published_on=D(2025, 3, 21),
                          expected_revision=1, actor_id=cap.staff, today=TODAY)
    # 14 Feb: target prorated 5 + (15 - 5) * 14/28 = 10 %; disbursed 10 % -> on target
    feb = cap.figures(D(2025, 2, 14))
    assert feb.target_pct == pytest.approx(10.0) and feb.month_target_pct == 15
    assert feb.vs_target == Standing.AHEAD and feb.national_pct is None
    # 10 Mar: national Feb = 8 % (first figure); project at end of Feb: 10 % -> above
    mar = cap.figures(D(2025, 3, 10))
    assert (mar.national_month, mar.national_pct) == (2, 8.0)
    assert mar.pct_at_national_month == pytest.approx(10.0)
    assert mar.vs_national == Standing.AHEAD
    assert mar.target_pct == pytest.approx(15 + 15 * 10 / 31)
    assert mar.vs_target == Standing.AHEAD  # 25 % vs 19.8 %
    # 25 Mar: the revised national figure (12.5 %) wins -> below; behind the target too
    late = cap.figures(D(2025, 3, 25))
    assert late.national_pct == 12.5 and late.vs_national == Standing.BEHIND
    assert late.vs_target == Standing.BEHIND  # 25 % vs 27.1 %
    # A new schedule revision in VND, read against the plan in force
    set_targets(cap.session, cap.project_id, 2025, [MonthTarget(3, None, 40 * B)],
                committed_on=D(2025, 3, 26), expected_revision=1, actor_id=cap.staff,
                today=TODAY)
    assert cap.figures(D(2025, 3, 25)).month_target_pct == 30
    assert cap.figures(D(2025, 3, 31)).month_target_pct == pytest.approx(20.0)


def test_prorated_target_edges() -> None:
    targets = {1: 10.0, 3: 40.0}
    assert prorated_target(targets, 2025, D(2025, 1, 31)) == pytest.approx(10.0)
    assert prorated_target(targets, 2025, D(2025, 2, 15)) is None
    assert prorated_target(targets, 2025, D(2025, 3, 31)) == pytest.approx(40.0)
    assert prorated_target({12: 100.0}, 2025, D(2026, 1, 15)) == 100.0


ENTRIES = st.lists(st.tuples(st.integers(0, 400), st.integers(1, 30)), min_size=1, max_size=25)
PLANS = st.lists(st.tuples(st.integers(0, 380), st.integers(10, 200)), min_size=1, max_size=4)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(plans=PLANS, entries=ENTRIES, probe=st.integers(-10, 420))
def test_ledger_never_exceeds_the_plan_in_force(plans: list[tuple[int, int]],
                                                entries: list[tuple[int, int]],
                                                probe: int) -> None:
    """Whatever order entries arrive in, what is accepted never overshoots the plan in force
    on any day, and the figures equal a plain replay of the accepted entries."""
    start = D(2025, 1, 1)
    timeline = [(i + 1, start + dt.timedelta(days=d), amount * B)
                for i, (d, amount) in enumerate(sorted(plans))]
    accepted: list[tuple[dt.date, int]] = []
    for day, amount in entries:
        on = start + dt.timedelta(days=day)
        if first_overshoot(timeline, [*accepted, (on, amount * B)]) is None:
            accepted.append((on, amount * B))
    days = {d for d, _ in accepted} | {d for _, d, _ in timeline}
    days.add(start + dt.timedelta(days=probe))
    for day in days:
        in_force = [p for _, d, p in timeline if d <= day]
        done = sum(a for d, a in accepted if d <= day)
        assert done <= (in_force[-1] if in_force else 0)
    # an entry refused was one that would have overshot
    assert sum(a for _, a in accepted) <= max(p for _, _, p in timeline)


def test_demo_capital_figures(demo_engine: Engine) -> None:
    """The demo's expressway: a revised 2025 plan, January extension, the national line."""
    with Session(demo_engine) as s:
        pid = s.execute(text("SELECT id FROM projects WHERE code = 'CT-HNCL'")).scalar_one()
        dec = disbursement_figures(s, pid, D(2025, 12, 31))
        jan = disbursement_figures(s, pid, D(2026, 1, 31), 2025)
        ledger = s.execute(text("SELECT sum(amount_vnd) FROM disbursements WHERE project_id = :p"
                                " AND year = 2025 AND disbursed_on <= '2025-12-31'"),
                           {"p": pid}).scalar_one()
    assert dec.plan is not None and dec.plan.revision == 2 and len(dec.plans) == 2
    assert dec.disbursed_vnd == ledger and 0 < dec.pct < 100  # type: ignore[operator]
    assert jan.disbursed_vnd > dec.disbursed_vnd
    assert dec.national_month == 11 and dec.national_pct is not None
    assert len(dec.months) == 12 and all(m.target_pct is not None for m in dec.months)
