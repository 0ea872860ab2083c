"""Approved amounts and the payment ledger: integer VND, append-only, never negative."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from gis.domain import CaseStep
from gis.errors import Conflict, GpmbError, InvalidInput, InvalidTransition
from gis.workflow import reverse_payment, set_approved_amounts
from tests.gis.workflow.helpers import TODAY, D, World

S = CaseStep
BILLION = 1_000_000_000


def ledger(w: World, case_id: int) -> list[tuple[int, int | None]]:
    """(amount, reverses) of the case's payments in order."""
    return [tuple(r) for r in w.session.execute(text(
        "SELECT amount_vnd, reverses_payment_id FROM payments WHERE case_id = :c ORDER BY id"),
        {"c": case_id})]


def amounts(w: World, case_id: int, total: int, **kw: object) -> object:
    """Set approved amounts adding up to ``total`` (all on land)."""
    return set_approved_amounts(w.session, case_id, expected_version=w.version(case_id),
                                land=total, structures=0, crops=0, support=0, resettlement=0,
                                actor_id=w.staff, occurred_on=D(2025, 5, 20), today=TODAY,
                                **kw)  # type: ignore[arg-type]


def test_no_payment_before_the_plan_is_approved(world: World) -> None:
    with pytest.raises(InvalidTransition) as info:
        world.pay(world.agri_case, 1_000, D(2025, 3, 1))
    assert info.value.extra["reason"] == "plan_not_approved"


def test_payment_checks(world: World) -> None:
    w, c = world, world.agri_case
    w.to_approved(c)  # approved 20/05/2025, 1 billion
    with pytest.raises(InvalidTransition) as info:
        w.pay(c, BILLION + 1, D(2025, 6, 1))
    assert info.value.message_vi == ("Số tiền chi trả 1.000.000.001 đ vượt số còn phải trả "
                                     "1.000.000.000 đ.")
    assert info.value.extra == {"reason": "overpayment", "field": "amount_vnd",
                                "outstanding_vnd": BILLION}
    with pytest.raises(InvalidTransition, match="before plan approval"):
        w.pay(c, 1_000, D(2025, 5, 19))
    with pytest.raises(InvalidTransition, match="future"):
        w.pay(c, 1_000, D(2026, 11, 22))
    for bad in (12.5, True, 0, -5, "1000", 10**16):
        with pytest.raises(InvalidInput):
            w.pay(c, bad, D(2025, 6, 1))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="method"):
        w.pay(c, 1_000, D(2025, 6, 1), method="bitcoin")
    result = w.pay(c, 300_000_000, D(2025, 6, 1), method="cash", voucher_no="PC-7")
    assert (result.paid_vnd, result.outstanding_vnd) == (300_000_000, 700_000_000)


def test_no_approved_amount_no_payment(world: World) -> None:
    w, c = world, world.agri_case
    w.to_approved(c)
    amounts(w, c, 0)
    with pytest.raises(InvalidTransition) as info:
        w.pay(c, 1_000, D(2025, 6, 1))
    assert info.value.extra["reason"] == "no_approved_amount"


def test_retried_payment_is_recorded_once(world: World) -> None:
    w, c = world, world.agri_case
    w.to_approved(c)
    first = w.pay(c, 250_000_000, D(2025, 6, 1), voucher_no="PC-1", idempotency_key="tab-42")
    again = w.pay(c, 250_000_000, D(2025, 6, 1), voucher_no="PC-1", idempotency_key="tab-42",
                  expected_version=first.version - 1)  # the tablet still holds the old version
    assert again.replayed and again.payment_id == first.payment_id
    assert ledger(w, c) == [(250_000_000, None)]
    assert w.case_row(c).paid_vnd == 250_000_000
    with pytest.raises(Conflict) as info:
        w.pay(c, 260_000_000, D(2025, 6, 1), voucher_no="PC-1", idempotency_key="tab-42")
    assert info.value.extra["reason"] == "idempotency_key_reused"


def test_stale_version_on_payment(world: World) -> None:
    w, c = world, world.agri_case
    w.to_approved(c)
    with pytest.raises(Conflict) as info:
        w.pay(c, 1_000, D(2025, 6, 1), expected_version=w.version(c) - 1)
    assert info.value.extra["current_version"] == w.version(c)


def test_reversal(world: World) -> None:
    w, c = world, world.agri_case
    w.to_approved(c)
    wrong = w.pay(c, 900_000_000, D(2025, 6, 1), voucher_no="PC-1")
    fixed = reverse_payment(w.session, wrong.payment_id, reason="Nhập nhầm số tiền",
                            actor_id=w.staff, idempotency_key="rev-1", today=TODAY)
    assert (fixed.amount_vnd, fixed.paid_vnd, fixed.outstanding_vnd) == (
        -900_000_000, 0, BILLION)
    again = reverse_payment(w.session, wrong.payment_id, reason="Nhập nhầm số tiền",
                            actor_id=w.staff, idempotency_key="rev-1", today=TODAY)
    assert again.replayed and again.payment_id == fixed.payment_id
    with pytest.raises(Conflict) as info:
        reverse_payment(w.session, wrong.payment_id, reason="Lần nữa", actor_id=w.staff,
                        today=TODAY)
    assert info.value.extra["reason"] == "already_reversed"
    with pytest.raises(InvalidTransition, match="reversal"):
        reverse_payment(w.session, fixed.payment_id, reason="x", actor_id=w.staff, today=TODAY)
    with pytest.raises(InvalidTransition, match="reason"):
        reverse_payment(w.session, wrong.payment_id, reason="  ", actor_id=w.staff, today=TODAY)
    w.pay(c, 90_000_000, D(2025, 6, 2))
    assert ledger(w, c) == [(900_000_000, None), (-900_000_000, wrong.payment_id),
                            (90_000_000, None)]
    assert w.case_row(c).paid_vnd == 90_000_000


def test_paid_with_a_recorded_shortfall(world: World) -> None:
    w, c = world, world.agri_case
    w.to_approved(c)
    w.pay(c, 600_000_000, D(2025, 6, 1), method="treasury_deposit", voucher_no="KB-01")
    with pytest.raises(InvalidTransition, match="paid 600000000"):
        w.step(c, S.PAID, D(2025, 6, 2))
    reason = "Hộ không nhận tiền phần còn lại, chờ giải quyết tranh chấp"
    w.step(c, S.PAID, D(2025, 6, 2), shortfall_reason=reason)
    note = w.session.execute(text("SELECT note FROM case_events WHERE case_id = :c AND "
                                  "step_to = 'paid'"), {"c": c}).scalar_one()
    assert note == "Lý do chưa chi trả đủ: " + reason
    # the rest can still be paid, but never more than approved
    w.pay(c, 400_000_000, D(2025, 6, 5))
    with pytest.raises(InvalidTransition):
        w.pay(c, 1, D(2025, 6, 5))


def test_approved_amounts(world: World) -> None:
    w, c = world, world.agri_case
    with pytest.raises(InvalidTransition) as info:
        amounts(w, c, BILLION)
    assert info.value.extra["reason"] == "wrong_step"
    w.to_approved(c)
    row = w.case_row(c)
    assert (row.approved_land_vnd, row.approved_structures_vnd, row.approved_total_vnd) == (
        700_000_000, 200_000_000, BILLION)
    w.pay(c, 800_000_000, D(2025, 6, 1))
    with pytest.raises(InvalidTransition) as info:
        amounts(w, c, 700_000_000)
    assert info.value.extra["reason"] == "below_paid"
    assert "cần đảo bút toán chi trả trước" in info.value.message_vi
    result = amounts(w, c, 900_000_000, note="Điều chỉnh theo QĐ 50/QĐ-UBND",
                     idempotency_key="amt-1")
    assert w.case_row(c).approved_total_vnd == 900_000_000
    text_ = w.session.execute(text("SELECT note FROM case_events WHERE id = :e"),
                              {"e": result.event_id}).scalar_one()  # type: ignore[attr-defined]
    assert text_.startswith("Giá trị phương án được duyệt: đất 900.000.000 đ; nhà, công trình")
    for bad in (-1, 1.5):
        with pytest.raises(InvalidInput):
            amounts(w, c, bad)  # type: ignore[arg-type]


def test_amounts_are_frozen_once_paid(world: World) -> None:
    w, c = world, world.agri_case
    w.to_approved(c)
    w.pay(c, BILLION, D(2025, 6, 1))
    w.step(c, S.PAID, D(2025, 6, 1))
    with pytest.raises(InvalidTransition):
        amounts(w, c, 2 * BILLION)


ops = st.lists(st.one_of(st.integers(1, 400_000_000), st.builds(lambda i: -i, st.integers(0, 9))),
               max_size=12)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=ops)
def test_ledger_never_goes_negative(world: World, steps: list[int]) -> None:
    """Payments (positive) and reversals (-index) in any order: the paid total is always the
    ledger's sum and stays between 0 and the approved total."""
    w, c = world, world.agri_case
    example = w.session.begin_nested()
    w.to_approved(c)
    paid_ids: list[int] = []
    for op in steps:
        try:
            if op > 0:
                paid_ids.append(w.pay(c, op, D(2025, 6, 1)).payment_id)
            elif paid_ids:
                reverse_payment(w.session, paid_ids[-op % len(paid_ids)], reason="Sửa sai",
                                actor_id=w.staff, today=TODAY)
        except GpmbError:
            pass
        row = w.case_row(c)
        assert row.paid_vnd == sum(a for a, _ in ledger(w, c))
        assert 0 <= row.paid_vnd <= row.approved_total_vnd
    example.rollback()
