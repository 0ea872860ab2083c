"""The S-curve as plain geometry in a unit box, drawn alike by the PDF and the web page.

Both series are shares of their totals (handed-over area of the area to recover, paid
households of the households affected), so one 0–100 % axis carries them; milestones are
markers at (due date, target share).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gis.progress.milestones import MilestoneCheck
from gis.progress.timeline import SCurve

AREA_COLOUR = "#0b5d3b"
HOUSEHOLD_COLOUR = "#1f6fb2"
MILESTONE_COLOURS = {"achieved": "#2e7d32", "on_track": "#2e7d32", "at_risk": "#e08a00",
                     "late": "#c62828"}


@dataclass(frozen=True)
class Series:
    """A polyline: (x, y) in [0, 1]², y up."""

    label: str
    colour: str
    points: list[tuple[float, float]]


@dataclass(frozen=True)
class Marker:
    """A milestone: where it sits, its label and colour."""

    x: float
    y: float
    label: str
    colour: str


@dataclass(frozen=True)
class Chart:
    """What to draw: series, markers and axis ticks (position, label)."""

    series: list[Series]
    markers: list[Marker]
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]


def _month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    day = dt.date(first.year, first.month, 1)
    out: list[dt.date] = []
    while day <= last:
        if day >= first:
            out.append(day)
        day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return out


def s_curve_chart(curve: SCurve, total_area_m2: float, total_households: int,
                  milestones: list[MilestoneCheck]) -> Chart:
    """The S-curve of a project, its milestones and ticks every few months."""
    days = [p.week_end for p in curve.points] or [curve.as_of]
    dates = [*days, *(m.due_date for m in milestones)]
    first, last = min(dates), max(dates)
    span = max((last - first).days, 1)

    def x(day: dt.date) -> float:
        return (day - first).days / span

    area = [(x(p.week_end), float(p.handed_over_m2) / total_area_m2 if total_area_m2 else 0.0)
            for p in curve.points]
    households = [(x(p.week_end), p.paid_households / total_households
                   if total_households else 0.0) for p in curve.points]
    months = _month_starts(first, last)
    step = max(1, len(months) // 6)
    x_ticks = [(x(m), f"{m.month:02d}/{m.year}") for m in months[::step]]
    y_ticks = [(v / 100, f"{v} %") for v in (0, 25, 50, 75, 100)]
    markers = [Marker(x(m.due_date), m.target_share, m.title, MILESTONE_COLOURS[m.status.value])
               for m in milestones]
    return Chart([Series("Diện tích đã bàn giao", AREA_COLOUR, area),
                  Series("Số hộ đã chi trả", HOUSEHOLD_COLOUR, households)],
                 markers, x_ticks, y_ticks)
