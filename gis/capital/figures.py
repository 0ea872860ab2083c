"""Capital disbursement figures of a project as of any day, replayed from the append-only
records of ``gis.capital.disbursement``.

As of day D, for the plan year Y:

* the plan is the latest revision decided on or before D; the money disbursed is the sum of
  the ledger (reversals included) dated on or before D;
* the investor's target is the schedule revision committed on or before D; a month's
  cumulative target in VND is read as a share of the plan in force on D. The target *on* D
  is prorated linearly between the end of the previous month and the end of D's month, so
  a project is compared with what it promised by that day, not by the month's end;
* the national average is the latest figure published on or before D for the latest month
  that has one; the project is compared with it at the end of that same month.

Shares in the monthly series are of the plan in force on D (the plan leaders read against
that day). Money disbursed in January of the next year (the legal extension) counts in the
headline figure, not in December's point.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.models import CapitalPlan, Disbursement, DisbursementTarget, NationalDisbursementRate

TOLERANCE_PCT = 0.005
"""Shares closer than this (percentage points) count as equal."""


class Standing(StrEnum):
    """Where the project stands against a comparison line."""

    AHEAD = "ahead"
    BEHIND = "behind"


STANDING_VS_TARGET_VI = {Standing.AHEAD: "Đạt hoặc vượt mục tiêu",
                         Standing.BEHIND: "Chậm so với mục tiêu"}
STANDING_VS_NATIONAL_VI = {Standing.AHEAD: "Bằng hoặc cao hơn bình quân cả nước",
                           Standing.BEHIND: "Thấp hơn bình quân cả nước"}


@dataclass(frozen=True)
class MonthPoint:
    """The end of one month of the plan year (or D itself for D's month)."""

    month: int
    day: dt.date
    disbursed_vnd: int
    pct: float | None
    target_pct: float | None
    national_pct: float | None


@dataclass(frozen=True)
class PlanRevision:
    """A revision of the plan as known on D."""

    revision: int
    amount_vnd: int
    decision_no: str
    decision_date: dt.date


@dataclass(frozen=True)
class DisbursementFigures:
    """A project's disbursement of the ``year``'s plan as of the end of ``as_of``."""

    project_id: int
    year: int
    as_of: dt.date
    plan_vnd: int
    plans: list[PlanRevision]
    disbursed_vnd: int
    target_pct: float | None
    month_target_pct: float | None
    national_month: int | None
    national_pct: float | None
    pct_at_national_month: float | None
    months: list[MonthPoint]

    @property
    def plan(self) -> PlanRevision | None:
        """The revision in force (None before the first decision)."""
        return self.plans[-1] if self.plans else None

    @property
    def remaining_vnd(self) -> int:
        """Plan not yet disbursed."""
        return self.plan_vnd - self.disbursed_vnd

    @property
    def pct(self) -> float | None:
        """Disbursed as a share of the plan, 0–100 (None without a plan)."""
        return pct_of(self.disbursed_vnd, self.plan_vnd)

    @property
    def vs_target(self) -> Standing | None:
        """Ahead of (or on) the prorated target, or behind it."""
        return standing(self.pct, self.target_pct)

    @property
    def vs_national(self) -> Standing | None:
        """At or above the national average for the same month, or below it."""
        return standing(self.pct_at_national_month, self.national_pct)

    @property
    def target_gap_pct(self) -> float | None:
        """Percentage points above (+) or below (−) the target on the day."""
        if self.pct is None or self.target_pct is None:
            return None
        return self.pct - self.target_pct

    @property
    def national_gap_pct(self) -> float | None:
        """Percentage points above (+) or below (−) the national average."""
        if self.pct_at_national_month is None or self.national_pct is None:
            return None
        return self.pct_at_national_month - self.national_pct


def pct_of(part: int, whole: int) -> float | None:
    """``part`` as a percentage of ``whole`` (None when there is no whole)."""
    return part / whole * 100 if whole > 0 else None


def standing(value: float | None, line: float | None) -> Standing | None:
    """Ahead (or equal) / behind, or None when either side is missing."""
    if value is None or line is None:
        return None
    return Standing.AHEAD if value >= line - TOLERANCE_PCT else Standing.BEHIND


def month_end(year: int, month: int) -> dt.date:
    """The last day of a month."""
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def default_year(as_of: dt.date) -> int:
    """The plan year a day is read against: its own year."""
    return as_of.year


def _targets(session: Session, project_id: int, year: int, as_of: dt.date,
             plan_vnd: int) -> dict[int, float]:
    rows = session.scalars(select(DisbursementTarget).where(
        DisbursementTarget.project_id == project_id, DisbursementTarget.year == year,
        DisbursementTarget.committed_on <= as_of)).all()
    if not rows:
        return {}
    latest = max(r.revision for r in rows)
    out: dict[int, float] = {}
    for r in rows:
        if r.revision != latest:
            continue
        if r.cumulative_pct is not None:
            out[r.month] = float(r.cumulative_pct)
        elif r.cumulative_vnd is not None and plan_vnd > 0:
            out[r.month] = r.cumulative_vnd / plan_vnd * 100
    return out


def _national(session: Session, year: int, as_of: dt.date) -> dict[int, float]:
    rows = session.scalars(select(NationalDisbursementRate).where(
        NationalDisbursementRate.year == year, NationalDisbursementRate.published_on <= as_of)
        .order_by(NationalDisbursementRate.month, NationalDisbursementRate.revision)).all()
    return {r.month: float(r.rate_pct) for r in rows}  # later revisions overwrite


def prorated_target(targets: dict[int, float], year: int, as_of: dt.date) -> float | None:
    """The target on ``as_of``: linear within its month from the previous month's end."""
    if as_of.year != year or as_of.month not in targets:
        return targets.get(12) if as_of.year > year else None
    end = targets[as_of.month]
    earlier = [m for m in targets if m < as_of.month]
    start = targets[max(earlier)] if earlier else 0.0
    days = calendar.monthrange(year, as_of.month)[1]
    return start + (end - start) * as_of.day / days


def disbursement_figures(session: Session, project_id: int, as_of: dt.date,
                         year: int | None = None) -> DisbursementFigures:
    """What was true at the end of ``as_of`` about the ``year``'s plan (default: its year)."""
    year = default_year(as_of) if year is None else year
    plans = [PlanRevision(p.revision, p.amount_vnd, p.decision_no, p.decision_date)
             for p in session.scalars(select(CapitalPlan).where(
                 CapitalPlan.project_id == project_id, CapitalPlan.year == year,
                 CapitalPlan.decision_date <= as_of).order_by(CapitalPlan.revision))]
    plan_vnd = plans[-1].amount_vnd if plans else 0
    ledger = session.execute(select(Disbursement.disbursed_on, Disbursement.amount_vnd).where(
        Disbursement.project_id == project_id, Disbursement.year == year,
        Disbursement.disbursed_on <= as_of)).all()
    targets = _targets(session, project_id, year, as_of, plan_vnd)
    national = _national(session, year, as_of)
    months: list[MonthPoint] = []
    for m in range(1, 13):
        if dt.date(year, m, 1) > as_of:
            break
        day = min(month_end(year, m), as_of)
        done = sum(a for d, a in ledger if d <= day)
        months.append(MonthPoint(m, day, done, pct_of(done, plan_vnd), targets.get(m),
                                 national.get(m)))
    disbursed = sum(a for _, a in ledger)
    # A month's national figure is published after the month began, so all are known by D.
    nat_month = max(national) if national else None
    at_nat = None
    if nat_month is not None:
        until = min(month_end(year, nat_month), as_of)
        at_nat = pct_of(sum(a for d, a in ledger if d <= until), plan_vnd)
    month_target = targets.get(as_of.month) if as_of.year == year else targets.get(12)
    return DisbursementFigures(
        project_id, year, as_of, plan_vnd, plans, disbursed,
        prorated_target(targets, year, as_of), month_target, nat_month,
        national.get(nat_month) if nat_month is not None else None, at_nat, months)
