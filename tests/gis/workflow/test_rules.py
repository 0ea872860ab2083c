"""Versioned time limits (Python and database copies agree) and the enforcement calendar."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from gis.core.calendar import TET, holiday_on
from gis.core.errors import InvalidTransition
from gis.core.landuse import LandGroup
from gis.workflow import STATUTORY_RULE_BOOK as RULES
from gis.workflow import check_enforcement_time, enforcement_blackout, load_rule_book
from gis.workflow.rules import RuleKey, add_months, rule_set_for

D = dt.date
VN = dt.timezone(dt.timedelta(hours=7))


def test_rule_version_switches_on_2026_01_01() -> None:
    assert rule_set_for(RULES, D(2025, 12, 31)).version == "LD2024"
    assert rule_set_for(RULES, D(2026, 1, 1)).version == "NQ254-2026"
    old, new = RULES.for_date(D(2025, 12, 31)), RULES.for_date(D(2026, 1, 1))
    assert [old.limit(RuleKey.NOTICE_MIN, g).amount for g in LandGroup] == [90, 180, 90]
    assert [new.limit(RuleKey.NOTICE_MIN, g).amount for g in LandGroup] == [60, 120, 60]
    assert (old.limit(RuleKey.PLAN_POSTING).amount, new.limit(RuleKey.PLAN_POSTING).amount) == (
        30, 10)
    for key in (RuleKey.PLAN_APPRAISAL, RuleKey.DECISION_AFTER_APPROVAL,
                RuleKey.PAYMENT_AFTER_APPROVAL, RuleKey.NOTICE_VALIDITY, RuleKey.COMPLAINT_FIRST,
                RuleKey.COMPLAINT_SECOND, RuleKey.COMPLAINT_SECOND_REMOTE):
        assert old.limit(key) == new.limit(key)


def test_no_rules_before_the_first_version() -> None:
    with pytest.raises(InvalidTransition) as info:
        rule_set_for(RULES, D(2023, 12, 31))
    assert info.value.extra["reason"] == "no_rule_version"
    assert "01/01/2024" in info.value.message_vi


def test_months_clamp_to_the_end_of_the_month() -> None:
    assert add_months(D(2024, 2, 29), 12) == D(2025, 2, 28)
    assert add_months(D(2025, 1, 31), 1) == D(2025, 2, 28)
    assert add_months(D(2025, 3, 5), 12) == D(2026, 3, 5)


def test_database_rules_equal_the_statutory_copy(session: Session) -> None:
    assert load_rule_book(session) == RULES


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(list(RuleKey)), start=st.dates(D(2024, 1, 1), D(2027, 12, 31)),
       group=st.sampled_from([None, *LandGroup]))
def test_sql_due_dates_match_python(session: Session, key: RuleKey, start: dt.date,
                                    group: LandGroup | None) -> None:
    rule_set = RULES.for_date(start)
    if key == RuleKey.NOTICE_MIN and group is None:
        expected = None
    elif key == RuleKey.CONSULTATION_WITHIN:  # only from 2026 (Resolution 254)
        found = rule_set.find(key)
        expected = None if found is None else found.due(start)
    else:
        expected = rule_set.limit(key, group).due(start)
    got = session.execute(text("SELECT gpmb_time_limit_due(:k, CAST(:g AS land_group), :s, :s)"),
                          {"k": key.value, "g": group and group.value, "s": start}).scalar_one()
    assert got == expected


def test_rules_are_append_only(session: Session) -> None:
    for sql in ("UPDATE time_limits SET amount = 1", "DELETE FROM rule_sets"):
        nested = session.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(sql))
        nested.rollback()


# -- enforcement calendar --------------------------------------------------------------------

def at(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> dt.datetime:
    """A Vietnam-time datetime."""
    return dt.datetime(y, m, d, hh, mm, tzinfo=VN)


@pytest.mark.parametrize(("when", "code"), [
    (at(2025, 3, 5, 9), None),  # an ordinary Wednesday morning
    (at(2025, 3, 5, 6, 0), "outside_office_hours"),
    (at(2025, 3, 5, 21, 59), "outside_office_hours"),
    (at(2025, 3, 5, 16, 59), None),
    (at(2025, 3, 5, 17, 0), "outside_office_hours"),
    (at(2025, 3, 5, 6, 59), "outside_office_hours"),
    (at(2025, 3, 5, 7, 0), None),
    (at(2025, 3, 5, 22, 0), "night"),
    (at(2025, 3, 5, 5, 59), "night"),
    (at(2025, 3, 8), "weekend"),
    (at(2025, 4, 7), "public_holiday"),  # Hùng Kings 2025
    (at(2025, 9, 1), "public_holiday"),  # National Day (1/9 + 2/9)
    (at(2026, 4, 27), "public_holiday"),  # Hùng Kings fell on Sunday: Monday off
    (at(2025, 1, 1), "public_holiday"),
    (at(2025, 1, 9), None),  # Tết 2025 holiday 25/1–2/2: blackout 10/1–17/2
    (at(2025, 1, 10), "tet_period"),
    (at(2025, 2, 17), "tet_period"),
    (at(2025, 2, 18), None),
    (at(2026, 1, 29), None),  # Tết 2026 holiday 14/2–22/2: blackout 30/1–9/3
    (at(2026, 1, 30), "tet_period"),
    (at(2026, 3, 9), "tet_period"),
    (at(2026, 3, 10), None),
    (dt.datetime(2025, 3, 5, 15, 30, tzinfo=dt.UTC), "night"),  # 22:30 in Vietnam
    (dt.datetime(2025, 3, 5, 23, 30, tzinfo=dt.UTC), "outside_office_hours"),  # 06:30
    (dt.datetime(2025, 3, 6, 1, 30, tzinfo=dt.UTC), None),  # Thursday 08:30 in Vietnam
    (dt.datetime(2025, 3, 5, 23, 0), "night"),  # naive: taken as Vietnam time
])
def test_enforcement_blackout(when: dt.datetime, code: str | None) -> None:
    got = enforcement_blackout(when)
    assert (got and got[0]) == code


def test_enforcement_message_names_the_reason() -> None:
    with pytest.raises(InvalidTransition) as info:
        check_enforcement_time(at(2026, 2, 3, 8, 30))
    assert info.value.message_vi == (
        "Không được cưỡng chế thu hồi đất trong thời gian 15 ngày trước và sau kỳ nghỉ Tết "
        "Nguyên đán (từ 30/01/2026 đến 09/03/2026) — thời điểm đã nhập: 08:30 ngày 03/02/2026 "
        "(Luật Đất đai 2024, Điều 89).")
    assert info.value.extra == {"reason": "enforcement_tet_period", "field": "at"}


def test_years_without_a_holiday_table_are_refused() -> None:
    with pytest.raises(InvalidTransition) as info:
        holiday_on(D(2028, 5, 2))
    assert info.value.extra["reason"] == "holiday_calendar_missing"


@settings(max_examples=500, deadline=None)
@given(st.datetimes(dt.datetime(2024, 1, 1), dt.datetime(2027, 12, 31, 23, 59)))
def test_allowed_times_respect_every_rule(when: dt.datetime) -> None:
    if enforcement_blackout(when) is not None:
        return
    day = when.date()
    assert 6 <= when.hour < 22
    assert day.weekday() < 5 and holiday_on(day) is None
    assert all(abs((day - tet).days) > 15 for tet in TET.values())
