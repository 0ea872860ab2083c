"""Reporting periods (week, month, quarter) and the Vietnamese number formats of reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from gis.core.errors import InvalidInput
from gis.core.formats import fmt_day
from gis.core.formats import fmt_dec as fmt_dec  # re-exported for the report writers
from gis.core.formats import fmt_int as fmt_int  # re-exported for the report writers
from gis.core.wording import VIETNAMESE, Wording

ROMAN = ("I", "II", "III", "IV")


class Period(StrEnum):
    """How long a reporting period is."""

    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"


@dataclass(frozen=True)
class ReportPeriod:
    """A period ending on the as-of day: figures "in the period" run from ``start``."""

    kind: Period
    start: dt.date
    end: dt.date

    @property
    def label_vi(self) -> str:
        """"Tháng 3/2025", "Quý I/2025" or "Tuần 24/03/2025 – 30/03/2025"."""
        return self.label(VIETNAMESE)

    def label(self, w: Wording) -> str:
        """The period's name in the language of ``w`` ("Tháng 3/2025", "Month 3/2025")."""
        year = str(self.end.year)
        if self.kind == Period.MONTH:
            return w("Tháng {month}/{year}", month=str(self.end.month), year=year)
        if self.kind == Period.QUARTER:
            return w("Quý {quarter}/{year}", quarter=ROMAN[(self.end.month - 1) // 3],
                     year=year)
        return w("Tuần {start} – {end}", start=fmt_date(self.start), end=fmt_date(self.end))


def parse_period(value: str) -> Period:
    """A period name, or ``InvalidInput`` naming the choices."""
    try:
        return Period(value)
    except ValueError:
        raise InvalidInput(f"unknown period {value!r}", message_vi="Kỳ báo cáo phải là week, "
                           "month hoặc quarter.", field="period") from None


def report_period(kind: Period, as_of: dt.date) -> ReportPeriod:
    """The week (7 days), month or quarter up to ``as_of``, from its first day."""
    if kind == Period.WEEK:
        start = as_of - dt.timedelta(days=6)
    elif kind == Period.MONTH:
        start = as_of.replace(day=1)
    else:
        start = dt.date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
    return ReportPeriod(kind, start, as_of)


fmt_date = fmt_day
"""05/03/2025."""


def fmt_billion(vnd: int, lang: str = "vi") -> str:
    """VND in tỷ đồng (10⁹) with two decimals: 1217578807000 -> "1.217,58"."""
    return fmt_dec(vnd / 1e9, 2, lang)
