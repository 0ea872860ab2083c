"""Progress over time: the weekly S-curve of a project, its recent pace and a forecast.

The curve is read from the same history as the figures: a case counts as handed over from
the day of its handover event; a household record counts as paid on the days its payees
had received or had deposited all of its approved amount (an amending decision may make it
unpaid again). So the curve's point for a week ending on day D equals the figures as of D
(a test holds the two together).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.progress.state import HANDED, in_list

PACE_WEEKS = 8
MIN_ACTIVE_WEEKS = 3
"""A forecast needs handovers in at least this many of the recent weeks…"""
MIN_WINDOW_SHARE = Decimal("0.01")
"""…adding up to at least this share of the project's area…"""
MAX_FORECAST_YEARS = 5
"""…and a date no further than this: beyond it the pace says nothing useful."""
"""The recent pace is measured over this many weeks."""

_SQL = f"""
WITH h AS (
    SELECT c.id, c.recovered_area_m2 AS area_m2, min(e.occurred_on) AS on_day
    FROM clearance_cases c JOIN case_events e ON e.case_id = c.id
    WHERE c.project_id = :project_id AND e.kind = 'step'
      AND e.step_to IN {in_list(HANDED)} AND e.occurred_on <= :as_of
    GROUP BY c.id, c.recovered_area_m2
), hh AS (
    SELECT id FROM compensation_households WHERE project_id = :project_id
)
SELECT 'area' AS what, on_day, sum(area_m2) AS amount, NULL::bigint AS household_id,
       NULL::bigint AS decision_id, NULL::bigint AS amends_id
FROM h GROUP BY on_day
UNION ALL
SELECT 'decision', d.decision_date, d.total_vnd, d.household_id, d.id, d.amends_decision_id
FROM compensation_decisions d JOIN hh ON hh.id = d.household_id
WHERE d.decision_date <= :as_of
UNION ALL
SELECT 'entry', y.paid_on, y.amount_vnd, y.household_id, NULL, NULL
FROM payments y JOIN hh ON hh.id = y.household_id WHERE y.paid_on <= :as_of
UNION ALL
SELECT 'first', min(e.occurred_on), NULL, NULL, NULL, NULL FROM case_events e
    JOIN clearance_cases c ON c.id = e.case_id WHERE c.project_id = :project_id
ORDER BY 2
"""


@dataclass(frozen=True)
class CurvePoint:
    """Cumulative progress at the end of one week."""

    week_end: dt.date
    handed_over_m2: Decimal
    paid_households: int


@dataclass(frozen=True)
class SCurve:
    """A project's weekly S-curve up to ``as_of`` (its last point is ``as_of`` itself)."""

    as_of: dt.date
    points: list[CurvePoint]

    def at_or_before(self, day: dt.date) -> CurvePoint | None:
        """The last point on or before ``day`` (None before the first)."""
        found = [p for p in self.points if p.week_end <= day]
        return found[-1] if found else None


@dataclass(frozen=True)
class Pace:
    """Recent pace and the completion date it leads to."""

    weeks: int
    handed_over_m2_per_week: Decimal
    paid_households_per_week: float
    remaining_m2: Decimal
    forecast_completion: dt.date | None
    """None when work is left and the recent pace gives too little to go on."""
    completed: bool
    no_forecast: str | None = None
    """Why there is no forecast: "no_progress" (nothing handed over lately), "too_little"
    (handovers in fewer than ``MIN_ACTIVE_WEEKS`` of the weeks, or under
    ``MIN_WINDOW_SHARE`` of the area) or "too_far" (beyond ``MAX_FORECAST_YEARS``)."""


def s_curve(session: Session, project_id: int, as_of: dt.date, *,
            start: dt.date | None = None) -> SCurve:
    """Weekly cumulative handed-over area and paid households, weeks ending on ``as_of``.

    The curve starts with the week holding the project's first event (or ``start``).
    """
    rows = list(session.execute(text(_SQL), {"project_id": project_id, "as_of": as_of}))
    first = next((r.on_day for r in rows if r.what == "first"), None)
    begin = start or first or as_of
    weeks = max(0, math.ceil((as_of - begin).days / 7))
    ends = [as_of - dt.timedelta(days=7 * k) for k in range(weeks, -1, -1)]
    area = sorted((r.on_day, Decimal(r.amount)) for r in rows if r.what == "area")
    households = paid_household_changes(rows)
    points: list[CurvePoint] = []
    a_sum, h_sum, ai, hi = Decimal(0), 0, 0, 0
    for end in ends:
        while ai < len(area) and area[ai][0] <= end:
            a_sum += area[ai][1]
            ai += 1
        while hi < len(households) and households[hi][0] <= end:
            h_sum += households[hi][1]
            hi += 1
        points.append(CurvePoint(end, a_sum, h_sum))
    return SCurve(as_of, points)


def paid_household_changes(rows: list[Any]) -> list[tuple[dt.date, int]]:
    """(day, +1 / −1) each time a household record becomes paid or stops being paid, from
    its decisions (``what="decision"``) and ledger entries (``what="entry"``)."""
    by_household: dict[int, list[Any]] = defaultdict(list)
    for r in rows:
        if r.what in {"decision", "entry"}:
            by_household[r.household_id].append(r)
    changes: list[tuple[dt.date, int]] = []
    for items in by_household.values():
        decisions = [r for r in items if r.what == "decision"]
        paid = False
        for day in sorted({r.on_day for r in items}):
            known = [d for d in decisions if d.on_day <= day]
            replaced = {d.amends_id for d in known if d.amends_id is not None}
            approved = sum(int(d.amount) for d in known if d.decision_id not in replaced)
            settled = sum(int(r.amount) for r in items if r.what == "entry" and r.on_day <= day)
            now = approved > 0 and settled == approved
            if now != paid:
                changes.append((day, 1 if now else -1))
                paid = now
    return sorted(changes)


def active_weeks(curve: SCurve, weeks: int, value: Callable[[CurvePoint], float]) -> int:
    """In how many of the last ``weeks`` weeks of the curve ``value`` went up."""
    start = curve.as_of - dt.timedelta(weeks=weeks)
    base = curve.at_or_before(start)
    earlier = value(base) if base is not None else 0.0
    active = 0
    for point in (p for p in curve.points if p.week_end > start):
        active += value(point) > earlier
        earlier = value(point)
    return active


def pace(curve: SCurve, total_area_m2: Decimal, *, weeks: int = PACE_WEEKS) -> Pace:
    """Pace over the last ``weeks`` weeks and the forecast completion of the handover."""
    last = curve.points[-1] if curve.points else CurvePoint(curve.as_of, Decimal(0), 0)
    before = curve.at_or_before(curve.as_of - dt.timedelta(weeks=weeks))
    base = before or CurvePoint(curve.as_of, Decimal(0), 0)
    area_rate = (last.handed_over_m2 - base.handed_over_m2) / weeks
    household_rate = (last.paid_households - base.paid_households) / weeks
    remaining = total_area_m2 - last.handed_over_m2
    if remaining <= 0:
        return Pace(weeks, area_rate, household_rate, remaining, curve.as_of, True)
    active = active_weeks(curve, weeks, lambda p: float(p.handed_over_m2))
    gained = last.handed_over_m2 - base.handed_over_m2
    reason: str | None = None
    forecast: dt.date | None = None
    if area_rate <= 0:
        reason = "no_progress"
    elif active < MIN_ACTIVE_WEEKS or gained < total_area_m2 * MIN_WINDOW_SHARE:
        reason = "too_little"
    else:
        days = math.ceil(float(remaining / area_rate) * 7)
        if days > MAX_FORECAST_YEARS * 366:
            reason = "too_far"
        else:
            forecast = curve.as_of + dt.timedelta(days=days)
    return Pace(weeks, area_rate, household_rate, remaining, forecast, False, reason)
