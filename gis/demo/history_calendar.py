"""Working days, public holidays, Tết and legal time limits for the demo case history.

Dates are handled as integer day numbers (days since 1970-01-01) so that whole arrays of
cases can be moved to the next working day with one table lookup.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from numpy.typing import NDArray

from gis.core import calendar

Days = NDArray[np.int64]

EPOCH = date(1970, 1, 1)

# One calendar for the whole product: the demo schedules with the workflow's holiday table.
TET_BLACKOUT_DAYS = calendar.TET_BLACKOUT_DAYS
"""Enforcement may not take place within this many days before or after the Tết holiday."""

PUBLIC_HOLIDAYS: tuple[tuple[date, date], ...] = tuple(
    (h.first, h.last) for h in calendar.HOLIDAYS)
"""Days off for public servants (inclusive ranges, weekends included)."""

TET_WINDOWS: tuple[tuple[date, date], ...] = tuple(
    calendar.tet_window(year) for year in sorted(calendar.TET))
"""No enforcement from 15 days before to 15 days after each Tết holiday."""

COMMUNE_SIGNS_FROM = date(2025, 7, 1)
"""Two-tier local government: from this day the commune chairman signs most decisions."""

SHORTER_LIMITS_FROM = date(2026, 1, 1)
"""Resolution 254/2025: shorter notice and posting periods from this day."""

_TABLE_START = date(2022, 1, 1)
_TABLE_END = date(2028, 12, 31)


def day_number(d: date) -> int:
    """Days since 1970-01-01."""
    return (d - EPOCH).days


def to_dates(days: Days) -> NDArray[np.object_]:
    """Day numbers to an object array of ``datetime.date``."""
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype(object)


def _build_tables() -> tuple[int, NDArray[np.bool_], NDArray[np.bool_]]:
    start, end = day_number(_TABLE_START), day_number(_TABLE_END)
    days = np.arange(start, end + 1, dtype=np.int64)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    holiday = np.zeros(len(days), dtype=bool)
    for first, last in PUBLIC_HOLIDAYS:
        holiday[day_number(first) - start : day_number(last) - start + 1] = True
    working = (weekday < 5) & ~holiday
    near_tet = np.zeros(len(days), dtype=bool)
    for first, last in TET_WINDOWS:
        near_tet[day_number(first) - start : day_number(last) - start + 1] = True
    return start, working, working & ~near_tet


def _next_true(flags: NDArray[np.bool_]) -> NDArray[np.int64]:
    """For each index, the first index at or after it where ``flags`` is true."""
    idx = np.where(flags, np.arange(len(flags)), len(flags) - 1)
    return np.minimum.accumulate(idx[::-1])[::-1]


def _previous_true(flags: NDArray[np.bool_]) -> NDArray[np.int64]:
    """For each index, the last index at or before it where ``flags`` is true."""
    idx = np.where(flags, np.arange(len(flags)), 0)
    return np.maximum.accumulate(idx)


_START, _WORKING, _ENFORCEABLE = _build_tables()
_NEXT_WORKING = _next_true(_WORKING)
_PREVIOUS_WORKING = _previous_true(_WORKING)
_NEXT_ENFORCEABLE = _next_true(_ENFORCEABLE)


def _lookup(table: NDArray[np.int64], days: Days) -> Days:
    offset = np.clip(np.asarray(days, dtype=np.int64) - _START, 0, len(table) - 1)
    return table[offset].astype(np.int64) + _START


def next_working_day(days: Days) -> Days:
    """The same day if it is a working day (Mon–Fri, not a holiday), else the next one."""
    return _lookup(_NEXT_WORKING, days)


def previous_working_day(days: Days) -> Days:
    """The same day if it is a working day, else the last working day before it."""
    return _lookup(_PREVIOUS_WORKING, days)


def next_enforcement_day(days: Days) -> Days:
    """The next working day that is not within 15 days of Tết (enforcement is allowed)."""
    return _lookup(_NEXT_ENFORCEABLE, days)


def is_working_day(days: Days) -> NDArray[np.bool_]:
    """True on Monday–Friday outside public holidays (between 2022 and 2028)."""
    return _WORKING[np.asarray(days, dtype=np.int64) - _START]


def is_enforceable_day(days: Days) -> NDArray[np.bool_]:
    """True on working days further than 15 days from Tết (between 2022 and 2028)."""
    return _ENFORCEABLE[np.asarray(days, dtype=np.int64) - _START]


def notice_minimum_days(notice: Days, agricultural: NDArray[np.bool_]) -> Days:
    """Least days between the recovery notice and the recovery decision (rule at notice date).

    90 days for agricultural land and 180 for other land; 60 and 120 from 2026-01-01.
    The rule in force at the notice date is never shorter than a later one.
    """
    new_rule = np.asarray(notice) >= day_number(SHORTER_LIMITS_FROM)
    return np.where(agricultural, np.where(new_rule, 60, 90), np.where(new_rule, 120, 180))


def posting_days(posted: Days) -> Days:
    """How long the draft plan stays posted: 30 days, 10 from 2026-01-01."""
    return np.where(np.asarray(posted) >= day_number(SHORTER_LIMITS_FROM), 10, 30)
