"""Approved amounts and the payment ledger of a case: integer VND, append-only, never
negative; amounts change only through a decision (see tests/gis/compensation)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from gis.compensation.ledger import reverse_payment
from gis.compensation.plan import DecisionResult
from gis.core.domain import CaseStep, ItemKind
from gis.core.errors import Conflict, GpmbError, InvalidInput, InvalidTransition
from gis.workflow.boundary import check_replayed_reversal
from tests.gis.workflow.helpers import TODAY, D, World, item

S = CaseStep
BILLION = 1_000_000_000


def ledger(w: World, case_id: int) -> list[tuple[int, int | None]]:
    """(amount, reverses) of the case's payments in order."""
    return [tuple(r) for r in w.session.execute(text(
        "SELECT amount_vnd, reverses_payment_id FROM payments WHERE case_id = :c ORDER BY id"),
        {"c": case_id})]


def amounts(w: World, case_id: int, total: int, **kw: object) -> DecisionResult:
    """Amend the plan in force to ``total`` (all on land), as decision 50/QĐ-UBND."""
    current = w.session.execute(text(
        "SELECT max(d.id) FROM compensation_decisions d WHERE d.household_id = :h AND NOT"
        " EXISTS (SELECT 1 FROM compensation_decisions a WHERE a.amends_decision_id = d.id)"),
        {"h": w.household(case_id)}).scalar_one()
    if total == 0:
        kw.setdefault("zero_ground", "Đất không đủ điều kiện bồi thường (Điều 101 LĐĐ 2024)")
    return w.plan(case_id, [item(case_id, ItemKind.LAND, total)], on=D(2025, 5, 25),
                  no="50/QĐ-UBND", kind="amendment" if current else "approval",
                  amends_decision_id=current, **kw)


def test_no_payment_before_the_plan_is_approved(world: World) -> None:
    with pytest.raises(InvalidTransition) as info:
        world.pay(world.agri_case, 1_000, D(2025, 3, 1))
    assert info.value.extra["reason"] == "plan_not_approved"


def test_payment_checks(world: World) -> None:
    w, c = world, world.agri_case
    w.to_approved(c)  # approved 20/05/2025, 1 billion
    with pytest.raises(InvalidTransition) as info:
        w.pay(c, BILLION + 1, D(2025, 6, 1))
    assert info.value.message_vi == (
        "Số tiền 1.000.000.001 đ vượt phần còn lại của Hộ ông Hoàng Văn Ba (1.000.000.000 đ "
        "trên phần hưởng 1.000.000.000 đ).")
    assert info.value.extra == {"reason": "over_payee_share", "field": "amount_vnd",
                                "outstanding_vnd": BILLION}
    with pytest.raises(InvalidTransition) as info:
        w.pay(c, 1_000, D(2025, 6, 1), payee_id=None)
    assert info.value.extra["reason"] == "payee_required"
    with pytest.raises(InvalidTransition) as info:
        w.pay(c, 1_000, D(2025, 6, 1), payee_id=w.payee(w.resid_case))
    assert info.value.extra["reason"] == "case_not_in_household"
    with pytest.raises(InvalidTransition, match="before the decision"):
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


def test_a_replayed_reversal_must_be_the_same_request() -> None:
    """A reversal found by its idempotency key (of a payment or a disbursement) answers the
    retry only for the same entry and reason, and the same day when one is given."""
    earlier = (7, "Nhập nhầm số tiền", D(2025, 6, 1))
    check_replayed_reversal(earlier, of=7, reason="Nhập nhầm số tiền", on=None)  # next day
    check_replayed_reversal(earlier, of=7, reason="Nhập nhầm số tiền", on=D(2025, 6, 1))
    for of, why, on in ((8, "Nhập nhầm số tiền", None), (7, "Lý do khác", None),
                        (7, "Nhập nhầm số tiền", D(2025, 6, 2))):
        with pytest.raises(Conflict) as info:
            check_replayed_reversal(earlier, of=of, reason=why, on=on)
        assert info.value.extra["reason"] == "idempotency_key_reused"


def test_paid_needs_paid_plus_deposited_equal_to_approved(world: World) -> None:
    """The free-text shortfall reason is gone: money not taken is a deposit entry."""
    w, c = world, world.agri_case
    w.to_approved(c)
    with pytest.raises(InvalidTransition) as info:
        w.pay(c, 600_000_000, D(2025, 6, 1), method="treasury_deposit", deposit_account=None)
    assert info.value.extra["reason"] == "deposit_account_required"
    w.pay(c, 600_000_000, D(2025, 6, 1), method="treasury_deposit", voucher_no="KB-01")
    with pytest.raises(InvalidTransition) as info:
        w.step(c, S.PAID, D(2025, 6, 2))
    assert info.value.extra == {"reason": "payment_incomplete", "outstanding_vnd": 400_000_000}
    assert "còn thiếu 400.000.000 đ" in info.value.message_vi
    with pytest.raises(TypeError):
        w.step(c, S.PAID, D(2025, 6, 2), shortfall_reason="Hộ không nhận tiền")
    w.pay(c, 400_000_000, D(2025, 6, 5))
    w.step(c, S.PAID, D(2025, 6, 5))
    row = w.session.execute(text("SELECT kind, deposit_account FROM payments WHERE case_id = :c"
                                 " ORDER BY id LIMIT 1"), {"c": c}).one()
    assert tuple(row) == ("deposit", "3761.0.1234567 KBNN Lạng Sơn")
    with pytest.raises(InvalidTransition):
        w.pay(c, 1, D(2025, 6, 5))


def test_zero_plan_needs_a_decision_with_a_legal_ground(world: World) -> None:
    w, c = world, world.agri_case
    w.decision(c, S.NOTIFIED, D(2025, 3, 5), "12/TB-UBND")
    w.step(c, S.INVENTORIED, D(2025, 3, 25))
    w.step(c, S.PLAN_POSTED, D(2025, 4, 4))
    w.consult(c, D(2025, 4, 4), D(2025, 5, 14))
    w.decision(c, S.PLAN_APPROVED, D(2025, 5, 20), "45/QĐ-UBND")
    with pytest.raises(InvalidTransition) as info:
        w.step(c, S.PAID, D(2025, 6, 1))
    assert info.value.extra["reason"] == "no_approved_plan"
    with pytest.raises(InvalidTransition) as info:
        w.plan(c, [item(c, ItemKind.LAND, 0)])
    assert info.value.extra["reason"] == "zero_plan_without_ground"
    w.plan(c, [item(c, ItemKind.LAND, 0)], zero_ground="Đất lấn chiếm, Điều 101 LĐĐ 2024")
    w.step(c, S.PAID, D(2025, 6, 1))


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
    assert "cần đảo bút toán trước" in info.value.message_vi
    result = amounts(w, c, 900_000_000, note="Điều chỉnh theo QĐ 50/QĐ-UBND",
                     idempotency_key="amt-1")
    row = w.case_row(c)
    assert (row.approved_land_vnd, row.approved_structures_vnd, row.approved_total_vnd) == (
        900_000_000, 0, 900_000_000)
    kinds = w.session.execute(text(
        "SELECT kind::text, amends_decision_id IS NOT NULL, total_vnd FROM compensation_decisions"
        " WHERE household_id = :h ORDER BY id"), {"h": w.household(c)}).all()
    assert [tuple(k) for k in kinds] == [("approval", False, BILLION),
                                         ("amendment", True, 900_000_000)]
    assert result.approved_vnd == 900_000_000
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
