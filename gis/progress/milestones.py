"""Deadlines the province set for a project, judged as of a day.

A milestone is *achieved* when its measure reached the target share, *late* when its date
passed without that, *at risk* when the recent pace forecasts reaching it after the date
(or never), and *on track* otherwise. The measure depends on the milestone's kind: the
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
                    days_between: int) -> MilestoneCheck:
    """Judge one milestone from the figures now and ``days_between`` days earlier."""
    target = float(target_share) if target_share is not None else 1.0
    current, before = share(now, kind), share(earlier, kind)
    rate = (current - before) / days_between if days_between > 0 else 0.0
    forecast: dt.date | None
    if current >= target - 1e-9:
        return MilestoneCheck(title, kind, due_date, target, current, None,
                              MilestoneStatus.ACHIEVED)
    forecast = (as_of + dt.timedelta(days=math.ceil((target - current) / rate))
                if rate > 0 else None)
    if due_date < as_of:
        status = MilestoneStatus.LATE
    elif forecast is None or forecast > due_date:
        status = MilestoneStatus.AT_RISK
    else:
        status = MilestoneStatus.ON_TRACK
    return MilestoneCheck(title, kind, due_date, target, current, forecast, status)
