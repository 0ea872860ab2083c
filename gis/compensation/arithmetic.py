"""Pure money arithmetic of household compensation: line amounts, payee shares, interest.

All amounts are whole VND. Rounding is half up to the đồng (``ROUND_HALF_UP``), the same
as PostgreSQL's ``round(numeric)`` for the non-negative values used here, so the database
CHECK on line items agrees with this module. See docs/compensation.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

PPM = Decimal(1_000_000)


def line_amount(quantity: Decimal, unit_price_vnd: int) -> int:
    """quantity × unit price, rounded half up to the đồng."""
    return int((quantity * unit_price_vnd).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def split_shares(total_vnd: int, parts: Sequence[int]) -> list[int]:
    """Split ``total_vnd`` by ``parts`` (largest remainder; ties go to the earlier payee),
    so the shares are whole đồng and add up to the total exactly."""
    if not parts:
        return []
    whole = sum(parts)
    base = [total_vnd * p // whole for p in parts]
    rest = total_vnd - sum(base)
    order = sorted(range(len(parts)), key=lambda i: (-(total_vnd * parts[i] % whole), i))
    for i in order[:rest]:
        base[i] += 1
    return base


@dataclass(frozen=True)
class RatePeriod:
    """A late-payment rate (parts per million per day) in force from ``effective_from``."""

    effective_from: dt.date
    rate_ppm_per_day: int
    legal_reference: str = ""


@dataclass(frozen=True)
class Tranche:
    """Money a decision in force made due: ``amount_vnd`` payable by ``due_on``."""

    decision_id: int
    amount_vnd: int
    due_on: dt.date


@dataclass(frozen=True)
class Entry:
    """A ledger entry that reached the payee or the deposit account."""

    entry_id: int
    payee_id: int | None
    paid_on: dt.date
    amount_vnd: int


@dataclass(frozen=True)
class EntryInterest:
    """The late-payment interest owed with one ledger entry."""

    entry_id: int
    payee_id: int | None
    paid_on: dt.date
    amount_vnd: int
    late_vnd: int  # the part of the entry paid after its due date
    days_late: int  # the longest delay of any part of the entry
    interest_vnd: int


def rate_days(start: dt.date, end: dt.date, rates: Sequence[RatePeriod]) -> Decimal:
    """Σ rate (ppm) over the days after ``start`` up to and including ``end``."""
    total = Decimal(0)
    ordered = sorted(rates, key=lambda r: r.effective_from)
    for i, rate in enumerate(ordered):
        until = ordered[i + 1].effective_from - dt.timedelta(days=1) if i + 1 < len(
            ordered) else end
        lo, hi = max(start + dt.timedelta(days=1), rate.effective_from), min(end, until)
        if hi >= lo:
            total += Decimal(rate.rate_ppm_per_day) * ((hi - lo).days + 1)
    return total


def late_interest(tranches: Sequence[Tranche], entries: Sequence[Entry],
                  rates: Sequence[RatePeriod]) -> list[EntryInterest]:
    """Interest per entry: entries (by date) settle tranches (by due date) first in, first
    out; each part paid after its tranche's due date earns the rate for each day late."""
    left = [[t.due_on, t.amount_vnd] for t in sorted(tranches, key=lambda t: (t.due_on,
                                                                              t.decision_id))]
    out: list[EntryInterest] = []
    k = 0
    for e in sorted(entries, key=lambda e: (e.paid_on, e.entry_id)):
        remaining, interest, late, days = e.amount_vnd, Decimal(0), 0, 0
        while remaining > 0 and k < len(left):
            due_on, open_vnd = left[k]
            assert isinstance(due_on, dt.date) and isinstance(open_vnd, int)
            part = min(remaining, open_vnd)
            if e.paid_on > due_on:
                interest += part * rate_days(due_on, e.paid_on, rates) / PPM
                late += part
                days = max(days, (e.paid_on - due_on).days)
            remaining -= part
            left[k][1] = open_vnd - part
            if open_vnd - part == 0:
                k += 1
        out.append(EntryInterest(e.entry_id, e.payee_id, e.paid_on, e.amount_vnd, late, days,
                                 int(interest.quantize(Decimal(1), rounding=ROUND_HALF_UP))))
    return out


def accruing_interest(tranches: Sequence[Tranche], settled_vnd: int, today: dt.date,
                      rates: Sequence[RatePeriod]) -> int:
    """Interest building up on what is still unpaid after its due date, as of ``today``."""
    interest = Decimal(0)
    settled = settled_vnd
    for t in sorted(tranches, key=lambda t: (t.due_on, t.decision_id)):
        covered = min(settled, t.amount_vnd)
        settled -= covered
        open_vnd = t.amount_vnd - covered
        if open_vnd > 0 and today > t.due_on:
            interest += open_vnd * rate_days(t.due_on, today, rates) / PPM
    return int(interest.quantize(Decimal(1), rounding=ROUND_HALF_UP))
