"""Actuals as of each month's end against the plan in force, on the real demo database."""

from __future__ import annotations

import calendar
import datetime as dt

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.committee.actuals import compare, monthly_actuals, plan_on
from gis.committee.board import committee_board
from gis.committee.plans import plans_in_force, record_plan
from gis.committee.vocab import LIGHT_ORDER, Light, Measure
from gis.progress.figures import progress_figures

TODAY = dt.date(2026, 11, 21)


def _pid(session: Session, code: str) -> int:
    return int(session.execute(text("SELECT id FROM projects WHERE code = :c"), {"c": code}
                               ).scalar_one())


def _ledger(session: Session, pid: int, day: dt.date) -> int:
    return int(session.execute(text(
        "SELECT COALESCE(sum(amount_vnd), 0) FROM disbursements WHERE project_id = :p"
        " AND year = 2026 AND disbursed_on <= :d"), {"p": pid, "d": day}).scalar_one())


def test_month_end_actuals_equal_the_replayed_figures_and_the_ledger(
        demo_session: Session) -> None:
    pid = _pid(demo_session, "CT-HNCL")
    series = monthly_actuals(demo_session, 2026, dt.date(2026, 5, 10), [pid])[pid]
    assert [m for m, _ in series] == [1, 2, 3, 4, 5]
    for month, actual in series:
        day = min(dt.date(2026, month, calendar.monthrange(2026, month)[1]),
                  dt.date(2026, 5, 10))
        assert actual.day == day
        replay = progress_figures(demo_session, day, project_id=pid, replay=True).total
        assert actual.households_paid == replay.households_paid
        assert actual.households_handed_over == replay.households_handed_over
        assert abs(actual.handed_over_ha - float(replay.handed_over_ha)) < 1e-4
        assert actual.disbursed_vnd == _ledger(demo_session, pid, day)


def test_board_handover_equals_the_dashboard_figures(demo_session: Session) -> None:
    """The board's slim reading (key projects only) gives the dashboard's per-project
    figures, replayed and from the current state; a project without cases shows zeros."""
    from gis.committee.register import key_projects
    from gis.progress.figures import handover_figures

    ids = [k.project_id for k in key_projects(demo_session, 2026, TODAY)]
    with_cases = {_pid(demo_session, "CT-HNCL"), _pid(demo_session, "CA-LSN")}
    assert with_cases <= set(ids)
    today = dt.date.today()
    for day, replay in ((dt.date(2026, 3, 31), True), (dt.date(2026, 8, 15), True),
                        (TODAY, False), (today, False), (today, True)):
        full = progress_figures(demo_session, day, replay=replay).by_project
        slim = handover_figures(demo_session, day, ids, replay=replay)
        assert set(slim) == set(ids)
        for pid in ids:
            if pid not in full:
                assert pid not in with_cases or day < dt.date(2026, 1, 1)
                assert (slim[pid].handed_over_m2, slim[pid].households_paid,
                        slim[pid].households_handed_over) == (0, 0, 0)
                continue
            f = full[pid]
            assert (slim[pid].handed_over_m2, slim[pid].households_paid,
                    slim[pid].households_handed_over) == (
                f.handed_over_m2, f.households_paid, f.households_handed_over), (day, pid)
        assert sum(slim[p].households_handed_over for p in with_cases) > 0 or day < TODAY


def test_money_equals_the_disbursement_figures(demo_session: Session) -> None:
    from gis.capital.figures import disbursement_figures
    from gis.committee.register import key_projects
    from gis.committee.series import money_by_day

    ids = [k.project_id for k in key_projects(demo_session, 2026, TODAY)]
    for day in (dt.date(2026, 3, 31), TODAY):
        money = money_by_day(demo_session, 2026, day, ids)
        for pid in ids:
            official = disbursement_figures(demo_session, pid, day, 2026)
            assert money[pid].plan_vnd == official.plan_vnd
            assert money[pid].disbursed_to(day) == official.disbursed_vnd
            for point in official.months:
                assert money[pid].disbursed_to(point.day) == point.disbursed_vnd


def test_plan_to_date_is_prorated_inside_the_month(demo_session: Session) -> None:
    pid = _pid(demo_session, "DT-QL4B")
    plan = plans_in_force(demo_session, 2026, TODAY, [pid])[pid]
    oct_, nov = plan.months[10].disbursed_vnd, plan.months[11].disbursed_vnd
    to_date, end = plan_on(plan, Measure.DISBURSED_VND, 2026, TODAY)
    assert end == nov
    assert to_date is not None and abs(to_date - (oct_ + (nov - oct_) * 21 / 30)) < 1
    jan_to_date, _ = plan_on(plan, Measure.DISBURSED_VND, 2026, dt.date(2026, 1, 10))
    assert jan_to_date is not None
    assert abs(jan_to_date - plan.months[1].disbursed_vnd * 10 / 31) < 1


def test_deviation_flags_and_worst_first(demo_session: Session) -> None:
    board = committee_board(demo_session, TODAY)
    assert len(board.rows) == 22
    ranks = [(LIGHT_ORDER[r.light], r.worst_ratio) for r in board.rows]
    assert ranks == sorted(ranks)
    for row in board.rows:
        money = row.month[Measure.DISBURSED_VND]
        assert money.actual == _ledger(demo_session, row.key.project_id, TODAY)
        assert row.actual.disbursed_vnd == row.money.disbursed_to(TODAY)
        if money.ratio is not None:
            expected = (Light.GREEN if money.ratio >= 0.95 else
                        Light.AMBER if money.ratio >= 0.80 else Light.RED)
            assert money.light == expected
    slow = next(r for r in board.rows if r.key.code == "DL-MAUSON")  # 40 % of its pace
    assert slow.month[Measure.DISBURSED_VND].light == Light.RED
    assert board.rows[0].light == Light.RED
    no_parcels = next(r for r in board.rows if r.key.code == "KDT-MAIPHA")
    assert no_parcels.month[Measure.HANDED_OVER_HA].light == Light.NONE


def test_a_new_revision_changes_the_comparison_from_its_date(demo_session: Session,
                                                             standing: int) -> None:
    pid = _pid(demo_session, "DT-QL4B")
    spent = _ledger(demo_session, pid, TODAY)
    months: list[dict[str, object]] = [
        {"month": m, "handed_over_ha": 0, "households_paid": 0, "households_handed_over": 0,
         "disbursed_vnd": spent} for m in range(1, 13)]
    record_plan(demo_session, standing, project_code="DT-QL4B", year=2026, months=months,
                submitted_on=dt.date(2026, 11, 1), version=1, today=TODAY)
    row = next(r for r in committee_board(demo_session, TODAY).rows
               if r.key.code == "DT-QL4B")
    assert row.plan is not None and row.plan.revision == 2
    assert row.month[Measure.DISBURSED_VND].gap == 0
    assert row.month[Measure.DISBURSED_VND].light == Light.GREEN
    before = committee_board(demo_session, dt.date(2026, 10, 31))
    old = next(r for r in before.rows if r.key.code == "DT-QL4B")
    assert old.plan is not None and old.plan.revision == 1
    assert compare(old.plan, old.actual, 2026)[Measure.DISBURSED_VND].light == Light.RED
