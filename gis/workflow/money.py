"""Money of a clearance case in whole VND: the amount check and the result of a payment.

The approved plans and the ledger live in ``gis.compensation`` (per household, revision
0008); the database keeps ``paid_vnd`` as the case ledger's sum (trigger), so outstanding
= approved − paid, and neither a payment nor an amending decision lets it go negative.
"""

from __future__ import annotations

from dataclasses import dataclass

from gis.core.errors import InvalidInput

MAX_VND = 10**15
"""Largest single amount accepted (a typo guard far above any real compensation)."""


@dataclass(frozen=True)
class PaymentResult:
    """A ledger entry and the case's money afterwards."""

    payment_id: int
    case_id: int
    amount_vnd: int
    paid_vnd: int
    approved_total_vnd: int
    outstanding_vnd: int
    version: int
    replayed: bool = False


def vnd(value: object, field: str, *, positive: bool = False) -> int:
    """Check an amount: an int (never a float), 0 ≤ value ≤ MAX_VND (or > 0)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be an integer number of VND", message_vi="Số tiền "
                           "phải là số nguyên đồng.", reason="not_integer_vnd", field=field)
    if value < (1 if positive else 0) or value > MAX_VND:
        raise InvalidInput(f"{field} out of range: {value}", message_vi="Số tiền {amount} đ"
                           " không hợp lệ (phải lớn hơn 0)." if positive else "Số tiền "
                           "{amount} đ không hợp lệ.", params={"amount": value},
                           reason="amount_out_of_range", field=field)
    return value
