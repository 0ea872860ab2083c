"""Pure money arithmetic: line amounts, share splits and late-payment interest."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from gis.compensation.arithmetic import (
    Entry,
    RatePeriod,
    Tranche,
    accruing_interest,
    late_interest,
    line_amount,
    split_shares,
)

D = dt.date
RATE = [RatePeriod(D(2020, 7, 1), 300)]  # 0.03 % a day


def test_line_amount_rounds_half_up_to_the_dong() -> None:
    assert line_amount(Decimal("150.5"), 65_000) == 9_782_500
    assert line_amount(Decimal("0.005"), 100) == 1  # 0.5 → 1
    assert line_amount(Decimal("0.004"), 100) == 0
    assert line_amount(Decimal("12.345"), 1_001) == 12_357  # 12 357.345


@given(total=st.integers(0, 10**13), parts=st.lists(st.integers(1, 1000), min_size=1,
                                                      max_size=8))
def test_shares_add_up_and_follow_the_parts(total: int, parts: list[int]) -> None:
    shares = split_shares(total, parts)
    assert sum(shares) == total
    whole = sum(parts)
    for share, part in zip(shares, parts, strict=True):
        assert abs(share - total * part / whole) < 1  # never more than a đồng off


def test_interest_counts_each_day_after_the_thirtieth() -> None:
    decided = D(2025, 5, 20)
    due = decided + dt.timedelta(days=30)  # 19/06/2025: still on time
    tranche = [Tranche(1, 1_000_000_000, due)]
    on_time = late_interest(tranche, [Entry(1, 7, due, 1_000_000_000)], RATE)
    assert on_time[0].interest_vnd == 0 and on_time[0].days_late == 0
    late = late_interest(tranche, [Entry(1, 7, due + dt.timedelta(days=10), 1_000_000_000)],
                         RATE)
    assert (late[0].days_late, late[0].interest_vnd) == (10, 3_000_000)  # 10 × 0.03 %


def test_interest_first_in_first_out_and_by_rate_period() -> None:
    rates = [RatePeriod(D(2020, 7, 1), 300), RatePeriod(D(2025, 7, 1), 200)]
    tranches = [Tranche(1, 600, D(2025, 6, 20)), Tranche(2, 400, D(2025, 8, 1))]
    out = late_interest(tranches, [Entry(1, None, D(2025, 6, 25), 500),
                                   Entry(2, None, D(2025, 7, 5), 500)], rates)
    # 500 of tranche 1, 5 days at 300 ppm: 0.75 → 1
    assert (out[0].late_vnd, out[0].interest_vnd) == (500, 1)
    # 100 of tranche 1 late 15 days (10 at 300 ppm, 5 at 200 ppm) = 0.4; 400 on time
    assert (out[1].late_vnd, out[1].days_late, out[1].interest_vnd) == (100, 15, 0)
    assert accruing_interest(tranches, 500, D(2025, 8, 11), rates) == round(
        100 * (10 * 300 + 42 * 200) / 1e6 + 400 * 10 * 200 / 1e6)
