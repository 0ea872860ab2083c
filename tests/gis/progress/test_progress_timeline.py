"""The S-curve agrees with the as-of figures; pace, forecasts, milestones and periods."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gis.core.lookups import project_by_code
from gis.progress import MilestoneStatus, SCurve, pace, progress_figures, project_progress
from gis.progress.figures import EMPTY, Figures
from gis.progress.milestones import MilestoneCheck, check_milestone
from gis.progress.timeline import CurvePoint, s_curve
from gis.reports.period import Period, report_period

EXPRESSWAY = "CT-HNCL"


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(as_of=st.dates(dt.date(2024, 3, 1), dt.date(2026, 12, 31)))
def test_curve_points_equal_the_figures_of_their_day(demo_engine: Engine,
                                                      as_of: dt.date) -> None:
    with Session(demo_engine) as s:
        project = project_by_code(s, EXPRESSWAY)
        curve = s_curve(s, project.id, as_of)
        assert curve.points[-1].week_end == as_of
        for point in (curve.points[-1], curve.points[len(curve.points) // 2]):
            f = progress_figures(s, point.week_end, project_id=project.id).total
            assert point.handed_over_m2 == f.handed_over_m2
            assert point.paid_households == f.households_paid
    days = [p.week_end for p in curve.points]
    assert all((b - a).days == 7 for a, b in itertools.pairwise(days))
    assert all(a.handed_over_m2 <= b.handed_over_m2
               for a, b in itertools.pairwise(curve.points))


def test_project_progress_ranks_communes_by_area_left(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        p = project_progress(s, EXPRESSWAY, dt.date(2025, 3, 31))
    left = [r.figures.remaining_m2 for r in p.ranking]
    assert left == sorted(left, reverse=True)
    assert {m.status for m in p.milestones} <= set(MilestoneStatus)
    assert len(p.milestones) == 3
    assert all(r.name.startswith(("xã ", "phường ")) for r in p.communes)


def _curve(as_of: dt.date, ha_by_week: list[float]) -> SCurve:
    n = len(ha_by_week)
    return SCurve(as_of, [CurvePoint(as_of - dt.timedelta(weeks=n - 1 - i),
                                     Decimal(str(v * 10_000)), 0)
                          for i, v in enumerate(ha_by_week)])


def test_pace_and_forecast() -> None:
    day = dt.date(2025, 3, 31)
    steady = pace(_curve(day, [float(i) for i in range(10)]), Decimal(190_000))
    assert steady.handed_over_m2_per_week == Decimal(10_000)
    assert steady.forecast_completion == day + dt.timedelta(weeks=10)
    stalled = pace(_curve(day, [5.0] * 10), Decimal(190_000))
    assert stalled.forecast_completion is None and not stalled.completed
    done = pace(_curve(day, [19.0] * 10), Decimal(190_000))
    assert done.completed and done.forecast_completion == day


def test_milestone_statuses() -> None:
    day = dt.date(2025, 1, 1)
    half = EMPTY.__class__(**{**EMPTY.__dict__, "area_m2": Decimal(100),
                              "handed_over_m2": Decimal(50)})
    quarter = EMPTY.__class__(**{**EMPTY.__dict__, "area_m2": Decimal(100),
                                 "handed_over_m2": Decimal(25)})

    def status(due: dt.date, target: str) -> MilestoneStatus:
        return check_milestone("x", "handover_all", due, Decimal(target), half, quarter, day,
                               56).status

    assert status(dt.date(2025, 6, 1), "0.5") == MilestoneStatus.ACHIEVED
    assert status(dt.date(2024, 12, 1), "1") == MilestoneStatus.LATE
    assert status(dt.date(2025, 6, 1), "1") == MilestoneStatus.ON_TRACK  # 112 days needed
    assert status(dt.date(2025, 2, 1), "1") == MilestoneStatus.AT_RISK


def test_report_periods() -> None:
    day = dt.date(2025, 5, 14)
    assert report_period(Period.WEEK, day).start == dt.date(2025, 5, 8)
    assert report_period(Period.MONTH, day).start == dt.date(2025, 5, 1)
    quarter = report_period(Period.QUARTER, day)
    assert quarter.start == dt.date(2025, 4, 1) and quarter.label_vi == "Quý II/2025"
    assert report_period(Period.MONTH, day).label_vi == "Tháng 5/2025"


def test_forecast_needs_evidence_and_a_sane_bound() -> None:
    """One 0.16 ha handover does not make a forecast (it used to say 2058); neither does a
    pace that would take longer than five years."""
    day = dt.date(2025, 3, 31)
    total = Decimal(1_000_000)  # 100 ha
    once = pace(_curve(day, [0.0] * 9 + [0.16]), total)
    assert once.forecast_completion is None and once.no_forecast == "too_little"
    slow_but_steady = [i * 0.2 for i in range(10)]  # 0.2 ha every week: over 9 years left
    slow = pace(_curve(day, slow_but_steady), total)
    assert slow.forecast_completion is None and slow.no_forecast == "too_far"
    stalled = pace(_curve(day, [5.0] * 10), Decimal(190_000))
    assert stalled.no_forecast == "no_progress"
    steady = pace(_curve(day, [float(i) for i in range(10)]), Decimal(190_000))
    assert steady.no_forecast is None and steady.forecast_completion is not None


def test_milestone_forecast_needs_evidence_and_a_sane_bound(demo_engine: Engine) -> None:
    """A milestone's date comes from a pace with evidence: not from 0.2 % gained in eight
    weeks (that said 2058 for the completion), not from one active week, not decades off."""
    day = dt.date(2025, 1, 1)

    def figures(m2: str) -> Figures:
        return EMPTY.__class__(**{**EMPTY.__dict__, "area_m2": Decimal(1_000_000),
                                  "handed_over_m2": Decimal(m2)})

    def judged(now: str, before: str, active: int | None = 5) -> MilestoneCheck:
        return check_milestone("Bàn giao 100 %", "handover_all", dt.date(2030, 1, 1),
                               Decimal(1), figures(now), figures(before), day, 56, active)

    crumbs = judged("102000", "100000")  # 0.2 % of the area in eight weeks
    assert (crumbs.forecast, crumbs.no_forecast) == (None, "too_little")
    assert crumbs.status == MilestoneStatus.AT_RISK
    one_week = judged("300000", "100000", active=1)  # 20 % but in a single week
    assert (one_week.forecast, one_week.no_forecast) == (None, "too_little")
    slow = judged("120000", "100000")  # 2 % in 8 weeks: 88 % left takes 6.7 years
    assert (slow.forecast, slow.no_forecast) == (None, "too_far")
    stalled = judged("100000", "100000")
    assert (stalled.forecast, stalled.no_forecast) == (None, "no_progress")
    steady = judged("600000", "400000")  # 20 % in 8 weeks: 40 % left in 112 days
    assert steady.no_forecast is None and steady.forecast == day + dt.timedelta(days=112)
    assert steady.status == MilestoneStatus.ON_TRACK
    # on the demo: every milestone not achieved has a date within five years or says why
    with Session(demo_engine) as s:
        for as_of in (dt.date(2024, 6, 30), dt.date(2025, 3, 31), dt.date(2026, 6, 30)):
            for m in project_progress(s, EXPRESSWAY, as_of).milestones:
                if m.status == MilestoneStatus.ACHIEVED:
                    continue
                assert (m.forecast is None) == (m.no_forecast is not None), m
                if m.forecast is not None:
                    assert m.forecast <= as_of + dt.timedelta(days=5 * 366)
