"""Payees and the payment ledger of a household record.

Every entry names a household and a payee: the record's land user, or an authorised
person / heir with a recorded document. A payee never receives more than their share of
the approved plan; money refused or unclaimed is deposited (its own entry kind, with the
deposit account). An entry for the whole household is split over its cases, oldest case
first, so each case's ledger (``paid_vnd``) and each household's agree. Entries are
append-only; a mistake is corrected by a reversing entry (``reverse_payment``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis.compensation.arithmetic import split_shares
from gis.compensation.records import HouseholdMoney, load_household, stale_household
from gis.core.calendar import local_today
from gis.core.domain import STEP_ORDER, CaseStep, LedgerKind, PayeeKind, PaymentMethod
from gis.core.errors import Conflict, NotFound
from gis.core.formats import Term
from gis.core.text import clean_text
from gis.models import ClearanceCase, LandUser, Payee, Payment
from gis.workflow.boundary import (
    act_as,
    check_replayed_reversal,
    check_version,
    clean_key,
    idempotency_conflict,
    lock_case,
    parse_enum,
    touch,
    translate_db_errors,
)
from gis.workflow.money import PaymentResult, vnd
from gis.workflow.transitions import refuse

DOCUMENT_KINDS = {PayeeKind.AUTHORISED: Term("giấy ủy quyền"),
                  PayeeKind.HEIR: Term("văn bản thừa kế")}


@dataclass(frozen=True)
class LedgerResult:
    """The entries one request wrote (one per case it was split over) and the household."""

    payment_ids: tuple[int, ...]
    household_id: int
    amount_vnd: int
    approved_vnd: int
    settled_vnd: int
    version: int
    replayed: bool = False


def add_payee(
    session: Session, household_id: int, *, kind: PayeeKind | str, full_name: str | None,
    actor_id: int, expected_version: int | None, land_user_id: int | None = None,
    citizen_id: str | None = None, document_no: str | None = None,
    document_date: dt.date | None = None, share_parts: int = 1, today: dt.date | None = None,
) -> int:
    """Add a payee: the record's land user, or an authorised person / heir whose power of
    attorney or inheritance paper (number, date) is recorded. Returns the payee id."""
    today = today or local_today()
    kind = parse_enum(PayeeKind, kind, "kind")
    name = clean_text(full_name, field="full_name", label_vi="Họ tên người nhận")
    doc_no = clean_text(document_no, field="document_no", label_vi="Số văn bản")
    if isinstance(share_parts, bool) or not isinstance(share_parts, int) or not (
            1 <= share_parts <= 1000):
        raise refuse("bad share", "Phần hưởng phải là số nguyên từ 1 đến 1000.", "bad_share",
                     field="share_parts")
    with translate_db_errors(), session.begin_nested():
        money = load_household(session, household_id, today=today, lock=True)
        if expected_version is not None and money.household.version != expected_version:
            raise stale_household(money.household.version, expected_version)
        if kind == PayeeKind.LAND_USER:
            if land_user_id != money.household.land_user_id:
                raise refuse("payee is not the land user", "Người nhận loại 'người sử dụng "
                             "đất' phải là chính người sử dụng đất của hồ sơ; người khác cần "
                             "giấy ủy quyền hoặc văn bản thừa kế.", "payee_not_land_user",
                             field="land_user_id")
            user = session.get(LandUser, land_user_id)
            name = name or (user.full_name if user else None)
        else:
            label = DOCUMENT_KINDS[kind]
            if doc_no is None or document_date is None:
                raise refuse(f"{kind} without document", "Cần ghi số và ngày của {document} của "
                             "người nhận thay.", "payee_document_required", {"document": label},
                             field="document_no" if doc_no is None else "document_date")
            if document_date > today:
                raise refuse("document in the future", "Ngày {document} ({day}) ở tương lai.",
                             "date_in_future", {"document": label, "day": document_date},
                             field="document_date")
        if name is None:
            raise refuse("payee name required", "Thiếu họ tên người nhận.", "required",
                         field="full_name")
        _check_shares(money, share_parts)
        case = lock_case(session, money.case_ids[0]) if money.case_ids else None
        actor = act_as(session, actor_id, case) if case else None
        payee = Payee(household_id=household_id, kind=kind, land_user_id=land_user_id
                      if kind == PayeeKind.LAND_USER else None, full_name=name,
                      citizen_id=citizen_id or None, document_kind=DOCUMENT_KINDS.get(kind),
                      document_no=doc_no, document_date=document_date, share_parts=share_parts,
                      recorded_by=actor.id if actor else None)
        session.add(payee)
        money.household.updated_at = func.now()
        session.flush()
        return payee.id


def _check_shares(money: HouseholdMoney, new_parts: int) -> None:
    parts = [p.payee.share_parts for p in money.payees] + [new_parts]
    shares = split_shares(money.approved_vnd, parts)
    for p, share in zip(money.payees, shares, strict=False):
        if p.paid_vnd + p.deposited_vnd > share:
            raise refuse("new payee shrinks a share below what was paid", "Thêm người nhận "
                         "sẽ làm phần của {payee} ({share} đ) nhỏ hơn số đã nhận ({settled} đ).",
                         "below_paid_share", {"payee": p.payee.full_name, "share": share,
                                              "settled": p.paid_vnd + p.deposited_vnd},
                                              payee_id=p.payee.id)


def _split(money: HouseholdMoney, amount: int, case_id: int | None) -> list[tuple[int, int]]:
    """(case, part) of ``amount`` over the household's cases with money still open."""
    out: list[tuple[int, int]] = []
    left = amount
    for cid in money.case_ids if case_id is None else (case_id,):
        open_vnd = money.approved_by_case.get(cid, 0) - money.settled_by_case.get(cid, 0)
        if open_vnd > 0 and left > 0:
            part = min(open_vnd, left)
            out.append((cid, part))
            left -= part
    if left > 0:
        room = amount - left
        raise refuse(f"amount {amount} exceeds open {room}", "Số tiền {amount} đ vượt "
                     "số còn phải trả của hộ cho thửa này ({room} đ)." if case_id else "Số tiền "
                     "{amount} đ vượt số còn phải trả của hộ ({room} đ).", "overpayment",
                     {"amount": amount, "room": room}, field="amount_vnd",
                     outstanding_vnd=room)
    return out


def record_household_payment(
    session: Session, household_id: int, payee_id: int | None, amount_vnd: int,
    paid_on: dt.date, *, kind: LedgerKind | str = LedgerKind.PAYMENT,
    method: PaymentMethod | str | None = None, deposit_account: str | None = None,
    voucher_no: str | None = None, note: str | None = None, case_id: int | None = None,
    actor_id: int, expected_version: int | None = None, idempotency_key: str | None = None,
    today: dt.date | None = None,
) -> LedgerResult:
    """Pay (or deposit for) a payee of a household, within that payee's share."""
    today = today or local_today()
    key = clean_key(idempotency_key)
    amount = vnd(amount_vnd, "amount_vnd", positive=True)
    kind = parse_enum(LedgerKind, kind, "kind")
    how = (PaymentMethod.TREASURY_DEPOSIT if kind == LedgerKind.DEPOSIT
           else parse_enum(PaymentMethod, method or PaymentMethod.TRANSFER, "method"))
    if kind == LedgerKind.PAYMENT and how == PaymentMethod.TREASURY_DEPOSIT:
        raise refuse("deposit recorded as payment", "Tiền gửi Kho bạc là một bút toán 'gửi "
                     "tiền' riêng; hãy chọn loại 'Gửi tiền' và ghi tài khoản tạm giữ.",
                     "deposit_is_its_own_kind", field="kind")
    account = clean_text(deposit_account, field="deposit_account",
                         label_vi="Tài khoản tạm giữ")
    if kind == LedgerKind.DEPOSIT and account is None:
        raise refuse("deposit without account", "Gửi tiền cần ghi tài khoản tạm giữ (Kho bạc "
                     "Nhà nước, số tài khoản).", "deposit_account_required",
                     field="deposit_account")
    voucher = clean_text(voucher_no, field="voucher_no", label_vi="Số chứng từ")
    text_note = clean_text(note, field="note", label_vi="Ghi chú")
    if payee_id is None:
        raise refuse("payee required", "Mỗi khoản chi trả phải ghi người nhận tiền.",
                     "payee_required", field="payee_id")
    with translate_db_errors(), session.begin_nested():
        money = load_household(session, household_id, today=today, lock=True)
        if key is not None:
            first = session.scalars(select(Payment).where(
                Payment.idempotency_key == key, Payment.recorded_by == actor_id)).first()
            if first is not None:
                return _replay(session, money, first, key, (
                    household_id, payee_id, kind, paid_on, voucher, text_note), amount)
        if expected_version is not None and money.household.version != expected_version:
            raise stale_household(money.household.version, expected_version)
        payee = money.payee(payee_id)
        if payee is None:
            raise refuse(f"payee {payee_id} not in household {household_id}", "Người nhận "
                         "không thuộc hồ sơ bồi thường của hộ này; hãy ghi người nhận (kèm giấy"
                         " ủy quyền hoặc văn bản thừa kế nếu là người nhận thay) trước.",
                         "payee_not_in_household", field="payee_id")
        if case_id is not None and case_id not in money.case_ids:
            raise refuse("case not in household", "Hồ sơ {case_id} không thuộc hồ sơ bồi "
                         "thường của hộ này.", "case_not_in_household",
                         {"case_id": str(case_id)}, field="case_id")
        if paid_on > today:
            raise refuse("payment in the future", "Ngày chi trả ({day}) ở tương "
                         "lai — hôm nay là {today}.", "date_in_future",
                         {"day": paid_on, "today": today}, field="paid_on")
        if money.approved_vnd == 0:
            raise refuse("no approved amount", "Hộ chưa có giá trị bồi thường, hỗ trợ được "
                         "duyệt; hãy ghi quyết định phê duyệt phương án trước.",
                         "no_approved_amount")
        first_day = min(d.decision_date for d in money.in_force if d.total_vnd > 0)
        if paid_on < first_day:
            raise refuse("payment before the decision", "Ngày chi trả ({day}) "
                         "không được trước ngày quyết định phê duyệt ({approved}).",
                         "before_previous_step", {"day": paid_on, "approved": first_day},
                         field="paid_on")
        if amount > payee.outstanding_vnd:
            raise refuse(f"payee {payee_id}: {amount} above open share {payee.outstanding_vnd}",
                         "Số tiền {amount} đ vượt phần còn lại của "
                         "{payee} ({room} đ trên phần hưởng {share} đ).", "over_payee_share",
                         {"amount": amount, "payee": payee.payee.full_name,
                          "room": payee.outstanding_vnd, "share": payee.share_vnd},
                         field="amount_vnd", outstanding_vnd=payee.outstanding_vnd)
        parts = _split(money, amount, case_id)
        cases = [lock_case(session, cid) for cid, _ in parts]
        user = act_as(session, actor_id, cases[0])
        ids = []
        for n, (case, (_, part)) in enumerate(zip(cases, parts, strict=True)):
            if STEP_ORDER[case.step] < STEP_ORDER[CaseStep.PLAN_APPROVED]:
                raise refuse("plan not approved", "Chưa thể chi trả: phương án bồi thường, hỗ "
                             "trợ, tái định cư chưa được phê duyệt.", "plan_not_approved",
                             current_step=case.step.value)
            entry = Payment(case_id=case.id, household_id=household_id, payee_id=payee_id,
                            kind=kind, amount_vnd=part, paid_on=paid_on, method=how,
                            deposit_account=account, voucher_no=voucher, note=text_note,
                            recorded_by=user.id,
                            idempotency_key=None if key is None else (
                                key if n == 0 else f"{key}#{n + 1}"))
            session.add(entry)
            session.flush()
            ids.append(entry.id)
            touch(case)
        money.household.updated_at = func.now()
        session.flush()
        session.refresh(money.household)
        return LedgerResult(tuple(ids), household_id, amount, money.approved_vnd,
                            money.approved_vnd - money.outstanding_vnd + amount,
                            money.household.version)


def _replay(session: Session, money: HouseholdMoney, first: Payment, key: str,
            request: tuple[object, ...], amount: int) -> LedgerResult:
    rows = list(session.scalars(select(Payment).where(
        (Payment.idempotency_key == key) | Payment.idempotency_key.like(f"{key}#%"),
        Payment.recorded_by == first.recorded_by).order_by(Payment.id)))
    if (first.household_id, first.payee_id, first.kind, first.paid_on, first.voucher_no,
            first.note) != request or sum(r.amount_vnd for r in rows) != amount:
        raise idempotency_conflict()
    return LedgerResult(tuple(r.id for r in rows), money.household.id, amount,
                        money.approved_vnd, money.approved_vnd - money.outstanding_vnd,
                        money.household.version, replayed=True)


def record_payment(
    session: Session, case_id: int, amount_vnd: int, paid_on: dt.date,
    method: PaymentMethod | str, *, payee_id: int | None, actor_id: int,
    deposit_account: str | None = None, voucher_no: str | None = None, note: str | None = None,
    idempotency_key: str | None = None, expected_version: int | None = None,
    today: dt.date | None = None,
) -> PaymentResult:
    """Pay a payee for one case (a treasury deposit is a deposit entry)."""
    today = today or local_today()
    method = parse_enum(PaymentMethod, method, "method")
    payee = session.get(Payee, payee_id) if payee_id is not None else None
    if payee_id is not None and payee is None:
        raise refuse(f"payee {payee_id} unknown", "Không tìm thấy người nhận tiền đã chọn.",
                     "payee_not_in_household", field="payee_id")
    with translate_db_errors(), session.begin_nested():
        case = lock_case(session, case_id)
        act_as(session, actor_id, case)  # the scope first: say nothing of others' payees
        key = clean_key(idempotency_key)
        if key is None or session.scalar(select(Payment.id).where(
                Payment.idempotency_key == key, Payment.recorded_by == actor_id)) is None:
            check_version(case, expected_version)
        if STEP_ORDER[case.step] < STEP_ORDER[CaseStep.PLAN_APPROVED]:
            raise refuse("plan not approved", "Chưa thể chi trả: phương án bồi thường, hỗ trợ, "
                         "tái định cư chưa được phê duyệt.", "plan_not_approved",
                         current_step=case.step.value)
        kind = LedgerKind.DEPOSIT if method == PaymentMethod.TREASURY_DEPOSIT else (
            LedgerKind.PAYMENT)
        result = record_household_payment(
            session, payee.household_id if payee else 0, payee_id, amount_vnd, paid_on,
            kind=kind, method=method, deposit_account=deposit_account, voucher_no=voucher_no,
            note=note, case_id=case_id, actor_id=actor_id, idempotency_key=idempotency_key,
            today=today)
        session.refresh(case)
        entry = session.get(Payment, result.payment_ids[0])
        assert entry is not None
        return _case_result(entry, case, result.replayed)


def _case_result(entry: Payment, case: ClearanceCase, replayed: bool = False) -> PaymentResult:
    return PaymentResult(entry.id, case.id, entry.amount_vnd, case.paid_vnd,
                         case.approved_total_vnd, case.outstanding_vnd, case.version, replayed)


def reverse_payment(
    session: Session, payment_id: int, *, reason: str, actor_id: int,
    idempotency_key: str | None = None, expected_version: int | None = None,
    reversed_on: dt.date | None = None, today: dt.date | None = None,
) -> PaymentResult:
    """Cancel an entry with a reversing entry (never by editing it); ``reason`` is kept."""
    today = today or local_today()
    key = clean_key(idempotency_key)
    why = clean_text(reason, field="reason", label_vi="Lý do đảo bút toán")
    if why is None:
        raise refuse("a reversal needs a reason", "Cần ghi lý do đảo bút toán chi trả.",
                     "required", field="reason")
    on = reversed_on or today
    with translate_db_errors(), session.begin_nested():
        original = session.get(Payment, payment_id)
        if original is None:
            raise NotFound(f"payment {payment_id} not found", message_vi="Không tìm thấy khoản "
                           "chi trả số {payment}.", params={"payment": str(payment_id)},
                           reason="payment_not_found")
        case = lock_case(session, original.case_id)
        user = act_as(session, actor_id, case)
        earlier = session.scalars(select(Payment).where(
            Payment.idempotency_key == key, Payment.recorded_by == user.id)
        ).first() if key else None
        if earlier is not None:
            check_replayed_reversal((earlier.reverses_payment_id, earlier.note, earlier.paid_on),
                                    of=payment_id, reason=why, on=reversed_on)
            return _case_result(earlier, case, replayed=True)
        check_version(case, expected_version)
        if original.reverses_payment_id is not None:
            raise refuse("cannot reverse a reversal", "Không thể đảo một bút toán đảo; hãy ghi "
                         "khoản chi trả mới.", "reversal_of_reversal")
        done = session.scalar(select(Payment.id).where(Payment.reverses_payment_id == payment_id))
        if done is not None:
            raise Conflict("payment already reversed", message_vi="Khoản chi trả số {payment}"
                           " đã được đảo (bút toán số {reversal}).",
                           params={"payment": str(payment_id), "reversal": str(done)},
                           reason="already_reversed",
                           reversal_id=done)
        if not original.paid_on <= on <= today:
            raise refuse("reversal date out of range", "Ngày đảo bút toán ({day}) phải"
                         " từ ngày chi trả ({paid}) đến hôm nay.", "bad_date",
                         {"day": on, "paid": original.paid_on}, field="reversed_on")
        reversal = Payment(case_id=case.id, amount_vnd=-original.amount_vnd,
                           reverses_payment_id=original.id, paid_on=on, method=original.method,
                           household_id=original.household_id, payee_id=original.payee_id,
                           kind=original.kind, deposit_account=original.deposit_account,
                           needs_review=original.needs_review,
                           voucher_no=original.voucher_no, note=why, recorded_by=user.id,
                           idempotency_key=key)
        session.add(reversal)
        session.flush()
        touch(case)
        session.flush()
        session.refresh(case)
        return _case_result(reversal, case)
