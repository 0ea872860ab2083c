"""Public holidays, Tết and the times when enforced recovery may not take place.

Land Law 2024, Art. 89: no enforcement between 22:00 and 06:00, on days off and public
holidays, nor within 15 days before and after the Tết holiday. Beside these, an
enforcement starts in office hours only, and not on a day of the configurable calendar of
Lạng Sơn's ethnic-minority festivals and blackout days (``enforcement_blackouts``, passed
in as ``blackouts``). Lunar holidays move every
year and the government announces the days off (with swapped working days) each year, so
they are a fixed table here; a year missing from it is refused rather than guessed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from gis.core.errors import InvalidTransition
from gis.core.formats import LOCAL_TZ as LOCAL_TZ  # re-exported: the zone of the workflow
from gis.core.formats import Phrase, Term
from gis.core.formats import local_time as local_time


class BlackoutLike(Protocol):
    """A span of days without enforcement (``gis.workflow.facts.Blackout`` will do)."""

    @property
    def first_day(self) -> dt.date: ...

    @property
    def last_day(self) -> dt.date: ...

    @property
    def name_vi(self) -> str: ...

TET_BLACKOUT_DAYS = 15
"""No enforcement this many days before the Tết holiday starts and after it ends."""

NIGHT_STARTS = dt.time(22, 0)
NIGHT_ENDS = dt.time(6, 0)

OFFICE_OPENS = dt.time(7, 0)
OFFICE_CLOSES = dt.time(17, 0)
"""An enforcement starts within the public offices' working hours (Lạng Sơn: 7:00–11:30,
13:30–17:00; the start may fall in the lunch break of a team already on site)."""


@dataclass(frozen=True)
class Holiday:
    """Days off for a public holiday, inclusive, as announced for public servants."""

    name_vi: str
    first: dt.date
    last: dt.date

    def covers(self, day: dt.date) -> bool:
        """True when ``day`` is one of the days off."""
        return self.first <= day <= self.last


TET: dict[int, dt.date] = {
    2024: dt.date(2024, 2, 10),
    2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6),
}
"""First day of the lunar new year (mùng 1 Tết)."""

_NEW_YEAR = "Tết Dương lịch"
_TET = "Tết Nguyên đán"
_HUNG = "Giỗ Tổ Hùng Vương (10/3 âm lịch)"
_MAY = "Ngày Chiến thắng 30/4 và Quốc tế Lao động 1/5"
_NATIONAL = "Quốc khánh 2/9"

# 2024–2026 as announced (weekends inside a range are days off anyway). 2027 is provisional
# (statutory days plus the usual compensation) until the government announces it.
HOLIDAYS: tuple[Holiday, ...] = (
    Holiday(_NEW_YEAR, dt.date(2024, 1, 1), dt.date(2024, 1, 1)),
    Holiday(_TET, dt.date(2024, 2, 8), dt.date(2024, 2, 14)),
    Holiday(_HUNG, dt.date(2024, 4, 18), dt.date(2024, 4, 18)),
    Holiday(_MAY, dt.date(2024, 4, 27), dt.date(2024, 5, 1)),
    Holiday(_NATIONAL, dt.date(2024, 8, 31), dt.date(2024, 9, 3)),
    Holiday(_NEW_YEAR, dt.date(2025, 1, 1), dt.date(2025, 1, 1)),
    Holiday(_TET, dt.date(2025, 1, 25), dt.date(2025, 2, 2)),
    Holiday(_HUNG, dt.date(2025, 4, 7), dt.date(2025, 4, 7)),
    Holiday(_MAY, dt.date(2025, 4, 30), dt.date(2025, 5, 4)),
    Holiday(_NATIONAL, dt.date(2025, 8, 30), dt.date(2025, 9, 2)),
    Holiday(_NEW_YEAR, dt.date(2026, 1, 1), dt.date(2026, 1, 1)),
    Holiday(_TET, dt.date(2026, 2, 14), dt.date(2026, 2, 22)),
    Holiday(_HUNG, dt.date(2026, 4, 25), dt.date(2026, 4, 27)),
    Holiday(_MAY, dt.date(2026, 4, 30), dt.date(2026, 5, 3)),
    Holiday(_NATIONAL, dt.date(2026, 8, 29), dt.date(2026, 9, 2)),
    Holiday(_NEW_YEAR, dt.date(2027, 1, 1), dt.date(2027, 1, 1)),
    Holiday(_TET, dt.date(2027, 2, 5), dt.date(2027, 2, 10)),
    Holiday(_HUNG, dt.date(2027, 4, 16), dt.date(2027, 4, 16)),
    Holiday(_MAY, dt.date(2027, 4, 30), dt.date(2027, 5, 3)),
    Holiday(_NATIONAL, dt.date(2027, 9, 2), dt.date(2027, 9, 3)),
)

KNOWN_YEARS = frozenset(TET)


def _require_year(day: dt.date) -> None:
    if day.year not in KNOWN_YEARS:
        # Refused rather than guessed: a wrong guess could allow enforcement on Tết.
        raise InvalidTransition(
            f"no public-holiday calendar for {day.year}",
            message_vi="Chưa có lịch nghỉ lễ, Tết năm {year}; cần cập nhật bảng ngày lễ "
            "trước khi kiểm tra thời điểm cưỡng chế.", params={"year": str(day.year)},
            reason="holiday_calendar_missing",
            year=day.year,
        )


def holiday_on(day: dt.date) -> Holiday | None:
    """The public holiday ``day`` falls in, if any (years 2024–2027)."""
    _require_year(day)
    return next((h for h in HOLIDAYS if h.covers(day)), None)


def tet_window(year: int) -> tuple[dt.date, dt.date]:
    """First and last day of the no-enforcement period around the Tết of ``year``."""
    tet = next(h for h in HOLIDAYS if h.name_vi == _TET and h.first.year == year)
    pad = dt.timedelta(days=TET_BLACKOUT_DAYS)
    return tet.first - pad, tet.last + pad


def local_today() -> dt.date:
    """Today's date in Vietnam (the server may run in UTC)."""
    return dt.datetime.now(LOCAL_TZ).date()


def enforcement_blackout(at: dt.datetime, blackouts: Iterable[BlackoutLike] = ()
                         ) -> tuple[str, Phrase] | None:
    """Why enforcement may not take place at ``at``: (machine code, the reason as a part
    of a message — ``str()`` gives it in Vietnamese), or None when it may."""
    local = local_time(at)
    day, clock = local.date(), local.time()
    if clock >= NIGHT_STARTS or clock < NIGHT_ENDS:
        return "night", Phrase("trong khoảng 22 giờ đến 6 giờ sáng hôm sau")
    holiday = holiday_on(day)
    if holiday is not None:
        return "public_holiday", Phrase("vào ngày nghỉ lễ {holiday}",
                                        holiday=Term(holiday.name_vi))
    # Tết may straddle the turn of a solar year: check this year's and next year's.
    for year in (day.year, day.year + 1):
        if year in KNOWN_YEARS:
            first, last = tet_window(year)
            if first <= day <= last:
                return "tet_period", Phrase(
                    "trong thời gian {days} ngày trước và sau kỳ nghỉ Tết Nguyên đán (từ "
                    "{first} đến {last})", days=TET_BLACKOUT_DAYS, first=first, last=last)
    if day.weekday() >= 5:
        return "weekend", Phrase("vào ngày nghỉ cuối tuần")
    for span in blackouts:
        if span.first_day <= day <= span.last_day:
            return "festival", Phrase("trong thời gian {name} (từ {first} đến {last})",
                                      name=span.name_vi, first=span.first_day,
                                      last=span.last_day)
    if not OFFICE_OPENS <= clock < OFFICE_CLOSES:
        return "outside_office_hours", Phrase(
            "ngoài giờ hành chính ({opens}–{closes})", opens=f"{OFFICE_OPENS:%H:%M}",
            closes=f"{OFFICE_CLOSES:%H:%M}")
    return None


_STATUTORY = frozenset({"night", "public_holiday", "tet_period", "weekend"})


def check_enforcement_time(at: dt.datetime, blackouts: Iterable[BlackoutLike] = ()) -> None:
    """Raise ``InvalidTransition`` when enforced recovery may not be carried out at ``at``."""
    blackout = enforcement_blackout(at, blackouts)
    if blackout is None:
        return
    code, why = blackout
    local = local_time(at)
    raise InvalidTransition(
        f"enforcement not allowed at {local.isoformat()} ({code})",
        message_vi="Không được cưỡng chế thu hồi đất {why} — thời điểm đã nhập: {time} ngày "
        "{day} (Luật Đất đai 2024, Điều 89)." if code in _STATUTORY else "Không được cưỡng "
        "chế thu hồi đất {why} — thời điểm đã nhập: {time} ngày {day}.",
        params={"why": why, "time": f"{local:%H:%M}", "day": local.date()},
        reason=f"enforcement_{code}",
        field="at",
    )
