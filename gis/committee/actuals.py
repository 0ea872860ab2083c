"""What key projects actually achieved, from GPMB's own figures, against their plans.

On the as-of day clearance comes from ``gis.progress.figures.handover_figures`` (the
dashboard's figures' reading, for the key projects only: the cases' history replayed; the
current state for today); the month-end series from ``gis.committee.series`` (one pass
over the history, held equal to the replayed figures by a test). Disbursement is the ledger
read like ``gis.capital.figures`` (the plan in force, entries to the day).

A month's plan is cumulative to its end; the plan *to date* inside a month is prorated
linearly from the previous month's target (disbursement starts the year at 0; a clearance
total with no earlier month is taken whole). The light compares the actual with the plan
to date: green from 95 %, amber from 80 %, red below; no target, no light.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from gis.capital.figures import month_end
from gis.committee.plans import PlanInForce
from gis.committee.series import Money, clearance_by_day, money_by_day, upto
from gis.committee.vocab import AMBER_FROM, GREEN_FROM, Light, Measure
from gis.progress.figures import (
    NO_HANDOVER,
    Handover,
    handover_figures,
)


@dataclass(frozen=True)
class Actual:
    """A project's cumulative figures at the end of a day."""

    day: dt.date
    handed_over_ha: float
    households_paid: int
    households_handed_over: int
    disbursed_vnd: int

    def value(self, measure: Measure) -> float:
        """One measure as a float."""
        return float(getattr(self, measure.value))


def month_ends(year: int, as_of: dt.date) -> list[tuple[int, dt.date]]:
    """(month, day) for each month of ``year`` begun by ``as_of``: its end, or ``as_of``."""
    return [(m, min(month_end(year, m), as_of)) for m in range(1, 13)
            if dt.date(year, m, 1) <= as_of]


def _actual(day: dt.date, figures: Handover, disbursed_vnd: int) -> Actual:
    return Actual(day, round(float(figures.handed_over_m2) / 10_000, 4),
                  figures.households_paid, figures.households_handed_over, disbursed_vnd)


def actuals_on(session: Session, day: dt.date, year: int, project_ids: list[int]
               ) -> tuple[dict[int, Actual], dict[int, Money]]:
    """Every project's actual at the end of ``day`` (clearance from the progress figures'
    reading, for these projects only; disbursement from the ledger) and its year's money."""
    figures = handover_figures(session, day, project_ids)
    money = money_by_day(session, year, day, project_ids)
    return ({pid: _actual(day, figures.get(pid, NO_HANDOVER),
                          money[pid].disbursed_to(day)) for pid in project_ids}, money)


def monthly_actuals(session: Session, year: int, as_of: dt.date, project_ids: list[int],
                    money: dict[int, Money] | None = None
                    ) -> dict[int, list[tuple[int, Actual]]]:
    """Per project, (month, actual at that month's end) for the months begun by ``as_of``
    (the as-of day for its own month), from one pass over the history."""
    money = money or money_by_day(session, year, as_of, project_ids)
    clearance = clearance_by_day(session, as_of, project_ids)
    out: dict[int, list[tuple[int, Actual]]] = {}
    for pid in project_ids:
        c = clearance[pid]
        out[pid] = [(m, Actual(day, round(upto(c.area_m2, day) / 10_000, 4),
                               int(upto(c.households_paid, day)),
                               int(upto(c.households_handed_over, day)),
                               money[pid].disbursed_to(day)))
                    for m, day in month_ends(year, as_of)]
    return out


@dataclass(frozen=True)
class Comparison:
    """One measure against the plan: the target to date, at the month's end, the actual."""

    measure: Measure
    plan_to_date: float | None
    plan_month_end: float | None
    actual: float

    @property
    def gap(self) -> float | None:
        """Actual minus plan to date (negative: behind)."""
        return None if self.plan_to_date is None else self.actual - self.plan_to_date

    @property
    def ratio(self) -> float | None:
        """Actual as a share of the plan to date (None without a positive target)."""
        if self.plan_to_date is None or self.plan_to_date <= 0:
            return None
        return self.actual / self.plan_to_date

    @property
    def light(self) -> Light:
        """Green / amber / red against the plan to date; none without a target."""
        if self.plan_to_date is None or (self.plan_to_date <= 0 and not self.plan_month_end):
            return Light.NONE
        ratio = self.ratio
        if ratio is None or ratio >= GREEN_FROM:
            return Light.GREEN
        return Light.AMBER if ratio >= AMBER_FROM else Light.RED


def plan_on(plan: PlanInForce | None, measure: Measure, year: int, day: dt.date
            ) -> tuple[float | None, float | None]:
    """(target to date, target at the end of ``day``'s month) of one measure."""
    if plan is None or day.year < year:
        return None, None
    if day.year > year:
        last = plan.months.get(12)
        value = last.value(measure) if last else None
        return value, value
    current = plan.months.get(day.month)
    if current is None:
        return None, None
    end = current.value(measure)
    earlier = [m for m in plan.months if m < day.month]
    if earlier:
        start = plan.months[max(earlier)].value(measure)
    elif measure == Measure.DISBURSED_VND:
        start = 0.0
    else:
        return end, end
    days = calendar.monthrange(year, day.month)[1]
    return start + (end - start) * day.day / days, end


def compare(plan: PlanInForce | None, actual: Actual, year: int) -> dict[Measure, Comparison]:
    """Every measure of ``actual`` against ``plan`` on the actual's day."""
    out: dict[Measure, Comparison] = {}
    for measure in Measure:
        to_date, month_end_value = plan_on(plan, measure, year, actual.day)
        out[measure] = Comparison(measure, to_date, month_end_value, actual.value(measure))
    return out


def quarter_target(plan: PlanInForce | None, measure: Measure, day: dt.date) -> float | None:
    """The plan at the end of ``day``'s quarter (its last month's cumulative target)."""
    if plan is None:
        return None
    last = plan.months.get(3 * ((day.month - 1) // 3) + 3)
    return last.value(measure) if last else None
