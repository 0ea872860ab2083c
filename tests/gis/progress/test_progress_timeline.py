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
from gis.progress.figures import EMPTY
from gis.progress.milestones import check_milestone
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
