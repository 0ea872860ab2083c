"""Payees and the payment ledger of household records, on the real database: refusals,
the split over a household's cases, late-payment interest, and properties (per-payee sums
never exceed shares; paid + deposited = approved iff the household counts as paid)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from gis.compensation.ledger import add_payee, record_household_payment, reverse_payment
from gis.compensation.records import ensure_case_households, load_household
from gis.core.domain import ItemKind
from gis.core.errors import GpmbError, InvalidTransition
from gis.progress import progress_figures
from tests.gis.workflow.helpers import APPROVED, TODAY, D, World, item

ACCOUNT = "3761.0.1234567 KBNN Lạng Sơn"


def pay(w: World, household: int, payee: int | None, amount: int, on: dt.date,
        **kw: object) -> object:
    kw.setdefault("actor_id", w.staff)
    kw.setdefault("today", TODAY)
    return record_household_payment(w.session, household, payee, amount, on,
                                    **kw)  # type: ignore[arg-type]


def heir(w: World, household: int, parts: int = 1, **kw: object) -> int:
    kw.setdefault("document_no", "15/VBTK")
    kw.setdefault("document_date", D(2025, 5, 1))
    return add_payee(w.session, household, kind="heir", full_name="Hoàng Thị Mai",
                     actor_id=w.staff, expected_version=None, share_parts=parts, today=TODAY,
                     **kw)  # type: ignore[arg-type]


def two_parcels(w: World) -> int:
    """The rice-land household also holds the residential parcel: one record, two cases."""
    holder = w.session.execute(text(
        "SELECT land_user_id FROM compensation_households WHERE id = :h"),
        {"h": w.household(w.agri_case)}).scalar_one()
    w.session.execute(text("INSERT INTO parcel_land_users (parcel_id, land_user_id, share_pct)"
                           " SELECT parcel_id, :u, 50 FROM clearance_cases WHERE id = :c"),
                      {"u": holder, "c": w.resid_case})
    ensure_case_households(w.session, w.resid_case)
    return w.household(w.agri_case)


def test_payee_refusals(world: World) -> None:
    w = world
    w.to_approved(w.agri_case)
    h = w.household(w.agri_case)
    other = w.session.execute(text("SELECT land_user_id FROM compensation_households"
                                   " WHERE id = :h"), {"h": w.household(w.resid_case)}).scalar()
    for kw, reason, words in (
            ({"kind": "land_user", "land_user_id": other}, "payee_not_land_user",
             "giấy ủy quyền hoặc văn bản thừa kế"),
            ({"kind": "authorised", "full_name": "Lộc Văn Hưng"}, "payee_document_required",
             "giấy ủy quyền"),
            ({"kind": "heir", "full_name": "X", "document_no": "1/VBTK"},
             "payee_document_required", "văn bản thừa kế"),
            ({"kind": "heir", "full_name": "X", "document_no": "1/VBTK",
              "document_date": TODAY + dt.timedelta(days=1)}, "date_in_future", "tương lai"),
            ({"kind": "heir", "full_name": "X", "document_no": "1/VBTK",
              "document_date": TODAY, "share_parts": 0}, "bad_share", "Phần hưởng"),
            ({"kind": "heir", "full_name": None, "document_no": "1/VBTK",
              "document_date": TODAY}, "required", "họ tên")):
        kw.setdefault("full_name", None)
        with pytest.raises(GpmbError) as info:
            add_payee(w.session, h, actor_id=w.staff, expected_version=None, today=TODAY,
                      **kw)  # type: ignore[arg-type]
        assert info.value.extra["reason"] == reason
        assert words.lower() in info.value.message_vi.lower()
    pay(w, h, w.payee(w.agri_case), 600_000_000, D(2025, 6, 1))
    with pytest.raises(InvalidTransition) as info:
        heir(w, h)  # halves the land user's share below the 600 M already paid
    assert info.value.extra["reason"] == "below_paid_share"
    assert "Hộ ông Hoàng Văn Ba" in info.value.message_vi


def test_payment_refusals(world: World) -> None:
    w = world
    w.to_approved(w.agri_case)
    h, me = w.household(w.agri_case), w.payee(w.agri_case)
    stranger = w.payee(w.resid_case)
    on = D(2025, 6, 1)
    for args, kw, reason, words in (
            ((None, 1_000, on), {}, "payee_required", "người nhận tiền"),
            ((stranger, 1_000, on), {}, "payee_not_in_household", "không thuộc hồ sơ"),
            ((me, 1_000, on), {"kind": "deposit"}, "deposit_account_required",
             "tài khoản tạm giữ"),
            ((me, 1_000, on), {"method": "treasury_deposit"}, "deposit_is_its_own_kind",
             "bút toán 'gửi tiền' riêng"),
            ((me, 1_000_000_001, on), {}, "over_payee_share", "vượt phần còn lại"),
            ((me, 1_000, APPROVED - dt.timedelta(days=1)), {}, "before_previous_step",
             "trước ngày quyết định phê duyệt"),
            ((me, 1_000, TODAY + dt.timedelta(days=1)), {}, "date_in_future", "tương lai"),
            ((me, 1_000, on), {"case_id": w.resid_case}, "case_not_in_household",
             "không thuộc hồ sơ bồi thường")):
        with pytest.raises(GpmbError) as info:
            pay(w, h, *args, **kw)  # type: ignore[arg-type]
        assert info.value.extra["reason"] == reason, (reason, info.value.extra)
        assert words in info.value.message_vi
    with pytest.raises(GpmbError) as info:
        pay(w, w.household(w.resid_case), stranger, 1_000, on)
    assert info.value.extra["reason"] == "no_approved_amount"
    assert w.session.execute(text("SELECT count(*) FROM payments")).scalar() == 0


def test_a_household_payment_is_split_over_its_cases(world: World) -> None:
    w = world
    h = two_parcels(w)
    w.to_approved(w.agri_case, total=600_000_000)
    w.to_approved(w.resid_case, total=400_000_000)  # the land user's record on it
    money = load_household(w.session, h, today=TODAY)
    assert money.approved_vnd == 1_000_000_000 and len(money.case_ids) == 2
    result = pay(w, h, w.payee(w.agri_case), 800_000_000, D(2025, 6, 1), voucher_no="UNC-1")
    assert len(result.payment_ids) == 2  # type: ignore[attr-defined]
    rows = w.session.execute(text("SELECT case_id, amount_vnd FROM payments ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(w.agri_case, 600_000_000), (w.resid_case, 200_000_000)]
    assert w.case_row(w.agri_case).paid_vnd == 600_000_000
    with pytest.raises(InvalidTransition) as info:
        pay(w, h, w.payee(w.agri_case), 1_000, D(2025, 6, 2), case_id=w.agri_case)
    assert info.value.extra["reason"] == "overpayment"


def test_late_payment_interest_per_payee(world: World) -> None:
    w = world
    w.to_approved(w.agri_case)  # approved 20/05/2025: due by 19/06/2025
    h = w.household(w.agri_case)
    other = heir(w, h)
    pay(w, h, w.payee(w.agri_case), 500_000_000, D(2025, 6, 19))  # on time
    pay(w, h, other, 500_000_000, D(2025, 7, 19), kind="deposit", deposit_account=ACCOUNT)
    money = load_household(w.session, h, today=TODAY)
    assert money.is_paid and money.deposited_vnd == 500_000_000
    interest = {p.payee.full_name: p.interest_vnd for p in money.payees}
    assert interest == {"Hộ ông Hoàng Văn Ba": 0, "Hoàng Thị Mai": 4_500_000}  # 30 d × 0,03 %
    assert money.interest_vnd == 4_500_000 and money.accruing_interest_vnd == 0


ops = st.lists(st.tuples(st.sampled_from(["pay", "deposit", "heir", "amend", "reverse"]),
                         st.integers(0, 3), st.integers(1, 700_000_000)), max_size=10)


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=ops)
def test_payees_never_exceed_their_shares(world: World,
                                          steps: list[tuple[str, int, int]]) -> None:
    """Any sequence of payments, deposits, new payees, amendments and reversals: each
    payee's paid + deposited stays within their share, and the household counts as paid
    (record and province figures) exactly when paid + deposited = approved > 0."""
    w = world
    example = w.session.begin_nested()
    w.to_approved(w.agri_case)
    h = w.household(w.agri_case)
    entries: list[int] = []
    for op, who, amount in steps:
        money = load_household(w.session, h, today=TODAY)
        payees = [p.payee.id for p in money.payees]
        try:
            if op in {"pay", "deposit"}:
                result = pay(w, h, payees[who % len(payees)], amount, D(2025, 6, 1),
                             kind="deposit" if op == "deposit" else "payment",
                             deposit_account=ACCOUNT if op == "deposit" else None)
                entries.extend(result.payment_ids)  # type: ignore[attr-defined]
            elif op == "heir":
                heir(w, h, parts=who + 1)
            elif op == "amend":
                current = money.in_force[-1].id
                w.plan(w.agri_case, [item(w.agri_case, ItemKind.LAND, amount * 2)],
                       no=f"{60 + len(money.decisions)}/QĐ-UBND", kind="amendment",
                       amends_decision_id=current)
            elif entries:
                reverse_payment(w.session, entries[who % len(entries)], reason="Sửa sai",
                                actor_id=w.staff, today=TODAY)
        except GpmbError:
            pass
        money = load_household(w.session, h, today=TODAY)
        for p in money.payees:
            assert 0 <= p.paid_vnd + p.deposited_vnd <= p.share_vnd
        assert sum(p.share_vnd for p in money.payees) == money.approved_vnd
        settled = money.paid_vnd + money.deposited_vnd
        assert money.is_paid == (money.approved_vnd > 0 and settled == money.approved_vnd)
        assert w.case_row(w.agri_case).paid_vnd == settled
    money = load_household(w.session, h, today=TODAY)
    figures = progress_figures(w.session, TODAY, project_id=w.project).total
    assert figures.households_paid == int(money.is_paid)
    assert figures.households_approved == 1
    example.rollback()
