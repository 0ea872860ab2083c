"""What the quarterly meeting pack (tài liệu họp Ban Chỉ đạo) holds as of a day: the board
(every key project against its plan, lights, tasks), each project's month-end actuals
against the plan in force, and the charts of both; written by ``pack_excel`` and
``pack_pdf``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from gis.committee.actuals import Actual, monthly_actuals
from gis.committee.board import Board, ProjectRow, committee_board
from gis.committee.vocab import MEASURE_LABELS_VI, Measure
from gis.reports.chart import Chart, Series
from gis.reports.period import Period, ReportPeriod, report_period

PLAN_COLOUR = "#e08a00"
ACTUAL_COLOUR = "#0b5d3b"


@dataclass(frozen=True)
class MonthLine:
    """One month of a project: the plan in force on the pack's day and the actual."""

    month: int
    plan: dict[Measure, float | None]
    actual: Actual


@dataclass(frozen=True)
class Pack:
    """Everything the meeting pack shows."""

    board: Board
    period: ReportPeriod
    months: dict[int, list[MonthLine]]  # project id -> Jan.. the as-of month

    @property
    def as_of(self) -> dt.date:
        """The day the figures are taken at the end of."""
        return self.board.as_of


def meeting_pack(session: Session, as_of: dt.date) -> Pack:
    """The pack's content as of the end of ``as_of`` (the year of ``as_of``)."""
    board = committee_board(session, as_of)
    ids = [r.key.project_id for r in board.rows]
    series = monthly_actuals(session, board.year, as_of, ids,
                             {r.key.project_id: r.money for r in board.rows})
    if as_of.year == board.year:  # the as-of day's own point is the board's (same figures)
        for row in board.rows:
            points = series[row.key.project_id]
            if points:
                points[-1] = (points[-1][0], row.actual)
    months: dict[int, list[MonthLine]] = {}
    for row in board.rows:
        plan = row.plan
        lines = []
        for month, actual in series[row.key.project_id]:
            target = plan.months.get(month) if plan else None
            lines.append(MonthLine(month, {m: target.value(m) if target else None
                                           for m in Measure}, actual))
        months[row.key.project_id] = lines
    return Pack(board, report_period(Period.QUARTER, as_of), months)


def plan_chart(row: ProjectRow, lines: list[MonthLine], measure: Measure) -> Chart:
    """Cumulative plan (all 12 months of the revision in force) against the month-end
    actuals of one measure, on a 0–max axis."""
    plan = row.plan
    planned = {m: p.value(measure) for m, p in (plan.months.items() if plan else [])}
    actual = {line.month: line.actual.value(measure) for line in lines}
    top = max([*planned.values(), *actual.values(), 0.0]) or 1.0

    def points(values: dict[int, float]) -> list[tuple[float, float]]:
        return [(m / 12, v / top) for m, v in sorted(values.items())]

    unit = 1e9 if measure == Measure.DISBURSED_VND else 1.0
    label = "tỷ đồng" if measure == Measure.DISBURSED_VND else MEASURE_LABELS_VI[measure]
    y_ticks = [(f, f"{top * f / unit:,.0f}".replace(",", ".")) for f in (0, 0.25, 0.5, 0.75, 1)]
    return Chart([Series(f"Kế hoạch ({label})", PLAN_COLOUR, points(planned)),
                  Series("Thực hiện", ACTUAL_COLOUR, points(actual))], [],
                 [(m / 12, f"T{m}") for m in range(1, 13)], y_ticks)
