"""Charts as plain geometry in a unit box, drawn alike by the PDF and the web page: the
S-curve of clearance and the year's disbursement against its target and the country.

The S-curve's two series are shares of their totals (handed-over area of the area to recover, paid
households of the households affected), so one 0–100 % axis carries them; milestones are
markers at (due date, target share).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from gis.capital.figures import DisbursementFigures
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


DISBURSED_COLOUR = "#0b5d3b"
TARGET_COLOUR = "#e08a00"
NATIONAL_COLOUR = "#1f6fb2"
MONTH_LABELS = [f"T{m}" for m in range(1, 13)]


def disbursement_chart(figures: DisbursementFigures) -> Chart:
    """Cumulative disbursement of the year's plan by month's end (% of the plan in force on
    the as-of day), with the investor's target line and the national average line."""

    def line(values: dict[int, float]) -> list[tuple[float, float]]:
        pts = [(m / 12, min(max(v, 0.0), 100.0) / 100) for m, v in sorted(values.items())]
        return [(0.0, 0.0), *pts] if pts else []

    done = {p.month: p.pct for p in figures.months if p.pct is not None}
    last = figures.months[-1] if figures.months else None
    series = [Series("Lũy kế giải ngân", DISBURSED_COLOUR, [])]
    if done and last is not None:  # the as-of day's point sits inside its month
        points = line(done)
        span = (last.day.day / calendar.monthrange(figures.year, last.month)[1]
                if last.day.year == figures.year else 1.0)
        points[-1] = ((last.month - 1 + span) / 12, points[-1][1])
        series[0] = Series("Lũy kế giải ngân", DISBURSED_COLOUR, points)
    targets = {p.month: p.target_pct for p in figures.months if p.target_pct is not None}
    national = {p.month: p.national_pct for p in figures.months if p.national_pct is not None}
    series.append(Series("Mục tiêu chủ đầu tư cam kết", TARGET_COLOUR, line(targets)))
    series.append(Series("Bình quân cả nước", NATIONAL_COLOUR, line(national)))
    x_ticks = [(m / 12, MONTH_LABELS[m - 1]) for m in range(1, 13)]
    y_ticks = [(v / 100, f"{v} %") for v in (0, 25, 50, 75, 100)]
    return Chart(series, [], x_ticks, y_ticks)
