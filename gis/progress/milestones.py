"""Deadlines the province set for a project, judged as of a day.

A milestone is *achieved* when its measure reached the target share, *late* when its date
passed without that, *at risk* when the recent pace forecasts reaching it after the date
(or never), and *on track* otherwise.

A milestone's forecast date is given only on enough evidence, as for the completion
forecast (``timeline.pace``): the measure rose by at least ``MIN_WINDOW_SHARE`` over the
recent weeks, in at least ``MIN_ACTIVE_WEEKS`` of them where the weekly curve has the
measure, and the date is within ``MAX_FORECAST_YEARS``; otherwise ``no_forecast`` says why
and the page reads "chưa đủ dữ liệu để dự báo". The measure depends on the milestone's kind: the
share of the area handed over (``handover_*``), of households paid in full (``payment_*``,
from the household compensation records: the provinces' deadlines count households) or of
parcels with an approved plan (``plan_*``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from gis.progress.figures import Figures
from gis.progress.timeline import MAX_FORECAST_YEARS, MIN_ACTIVE_WEEKS, MIN_WINDOW_SHARE


class MilestoneStatus(StrEnum):
    """Where a milestone stands."""

    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    LATE = "late"


MILESTONE_STATUS_VI: dict[MilestoneStatus, str] = {
    MilestoneStatus.ACHIEVED: "Đã đạt",
    MilestoneStatus.ON_TRACK: "Đúng tiến độ",
    MilestoneStatus.AT_RISK: "Có nguy cơ chậm",
    MilestoneStatus.LATE: "Chậm tiến độ",
}

NO_FORECAST_VI = "chưa đủ dữ liệu để dự báo"
"""What a milestone without a forecast date shows (too little evidence, or too far off)."""

MEASURE_LABELS_VI = {
    "handover": "diện tích đã bàn giao",
    "payment": "số hộ đã chi trả",
    "plan": "số thửa đã phê duyệt phương án",
}


@dataclass(frozen=True)
class MilestoneCheck:
    """A milestone with its measure, forecast and status as of a day."""

    title: str
    kind: str
    due_date: dt.date
    target_share: float
    share: float
    forecast: dt.date | None
    status: MilestoneStatus
    no_forecast: str | None = None
    """Why no forecast date when not achieved: "no_progress", "too_little" or "too_far"."""

    @property
    def status_vi(self) -> str:
        """The status as leaders read it."""
        return MILESTONE_STATUS_VI[self.status]


def measure(kind: str) -> str:
    """Which measure a milestone kind is judged on."""
    for prefix in ("payment", "plan"):
        if kind.startswith(prefix):
            return prefix
    return "handover"


def share(figures: Figures, kind: str) -> float:
    """The milestone's measure, 0–1, from figures as of a day."""
    what = measure(kind)
    if what == "handover":
        return float(figures.handed_over_m2 / figures.area_m2) if figures.area_m2 else 0.0
    if what == "payment":
        return figures.households_paid / figures.households if figures.households else 0.0
    return figures.parcels_approved / figures.parcels if figures.parcels else 0.0


def check_milestone(title: str, kind: str, due_date: dt.date, target_share: Decimal | None,
                    now: Figures, earlier: Figures, as_of: dt.date,
                    days_between: int, active_weeks: int | None = None) -> MilestoneCheck:
    """Judge one milestone from the figures now and ``days_between`` days earlier;
    ``active_weeks`` (when the weekly curve has the measure) is in how many of those weeks
    it rose."""
    target = float(target_share) if target_share is not None else 1.0
    current, before = share(now, kind), share(earlier, kind)
    if current >= target - 1e-9:
        return MilestoneCheck(title, kind, due_date, target, current, None,
                              MilestoneStatus.ACHIEVED)
    forecast, reason = milestone_forecast(target - current, current - before, as_of,
                                          days_between, active_weeks)
    if due_date < as_of:
        status = MilestoneStatus.LATE
    elif forecast is None or forecast > due_date:
        status = MilestoneStatus.AT_RISK
    else:
        status = MilestoneStatus.ON_TRACK
    return MilestoneCheck(title, kind, due_date, target, current, forecast, status, reason)


def milestone_forecast(missing: float, gained: float, as_of: dt.date, days_between: int,
                       active_weeks: int | None) -> tuple[dt.date | None, str | None]:
    """The day the recent pace reaches the target, or None and why not."""
    if days_between <= 0 or gained <= 0:
        return None, "no_progress"
    if gained < float(MIN_WINDOW_SHARE) - 1e-12 or (
            active_weeks is not None and active_weeks < MIN_ACTIVE_WEEKS):
        return None, "too_little"
    days = math.ceil(missing * days_between / gained - 1e-9)  # no float dust past a day
    if days > MAX_FORECAST_YEARS * 366:
        return None, "too_far"
    return as_of + dt.timedelta(days=days), None
