"""Approved amounts and the payment ledger of a clearance case, in whole VND.

Payments are append-only; a mistake is corrected by a reversing entry. The database keeps
``paid_vnd`` as the ledger's sum (trigger), so outstanding = approved − paid; a payment may
not exceed what is outstanding and approved amounts may not drop below what was paid, so
outstanding never goes negative. Transactions work as in ``gis.workflow.service``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.domain import STEP_ORDER, CaseStep, EventKind, PaymentMethod
from gis.errors import Conflict, InvalidInput, NotFound
from gis.models import CaseEvent, ClearanceCase, Payment
from gis.workflow.boundary import (
    act_as,
    check_version,
    clean_key,
    idempotency_conflict,
    load_facts,
    lock_case,
    parse_enum,
    touch,
    translate_db_errors,
)
from gis.workflow.calendar import local_today
from gis.workflow.rules import load_rule_book
from gis.workflow.service import EventResult, find_event, replay
from gis.workflow.text import clean_text, fmt_date, fmt_vnd
from gis.workflow.transitions import StepAction, refuse

MAX_VND = 10**15
"""Largest single amount accepted (a typo guard far above any real compensation)."""

COMPONENTS_VI = {
    "land": "đất",
    "structures": "nhà, công trình",
    "crops": "cây trồng, vật nuôi",
    "support": "hỗ trợ",
    "resettlement": "tái định cư",
}


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
        raise InvalidInput(f"{field} out of range: {value}", message_vi=f"Số tiền {fmt_vnd(value)}"
                           " không hợp lệ" + (" (phải lớn hơn 0)." if positive else "."),
                           reason="amount_out_of_range", field=field)
    return value


def _result(payment: Payment, case: ClearanceCase, replayed: bool = False) -> PaymentResult:
    return PaymentResult(payment.id, case.id, payment.amount_vnd, case.paid_vnd,
                         case.approved_total_vnd, case.outstanding_vnd, case.version, replayed)


def _find_payment(session: Session, key: str | None, user_id: int) -> Payment | None:
    if key is None:
        return None
    return session.scalars(select(Payment).where(
        Payment.idempotency_key == key, Payment.recorded_by == user_id)).first()


def check_payment(case: ClearanceCase, approved_on: dt.date, amount: int, paid_on: dt.date,
                  today: dt.date) -> None:
    """Refuse a payment before approval, in the future, or above what is outstanding."""
    if paid_on > today:
        raise refuse("payment in the future", f"Ngày chi trả ({fmt_date(paid_on)}) ở tương lai "
                     f"— hôm nay là {fmt_date(today)}.", "date_in_future", field="paid_on")
    if paid_on < approved_on:
        raise refuse("payment before plan approval", f"Ngày chi trả ({fmt_date(paid_on)}) không "
                     f"được trước ngày phê duyệt phương án ({fmt_date(approved_on)}).",
                     "before_previous_step", field="paid_on")
    if case.approved_total_vnd == 0:
        raise refuse("no approved amount", "Hồ sơ chưa có giá trị bồi thường, hỗ trợ được duyệt;"
                     " hãy nhập giá trị phương án trước.", "no_approved_amount")
    if amount > case.outstanding_vnd:
        raise refuse(f"payment {amount} exceeds outstanding {case.outstanding_vnd}",
                     f"Số tiền chi trả {fmt_vnd(amount)} vượt số còn phải trả "
                     f"{fmt_vnd(case.outstanding_vnd)}.", "overpayment", field="amount_vnd",
                     outstanding_vnd=case.outstanding_vnd)


def record_payment(
    session: Session, case_id: int, amount_vnd: int, paid_on: dt.date, method: PaymentMethod,
    *, voucher_no: str | None = None, note: str | None = None, actor_id: int,
    idempotency_key: str | None = None, expected_version: int | None = None,
    today: dt.date | None = None,
) -> PaymentResult:
    """Add a payment (or treasury deposit) to the ledger, once the plan is approved."""
    today = today or local_today()
    key = clean_key(idempotency_key)
    amount = vnd(amount_vnd, "amount_vnd", positive=True)
    method = parse_enum(PaymentMethod, method, "method")
    voucher = clean_text(voucher_no, field="voucher_no", label_vi="Số chứng từ")
    note = clean_text(note, field="note", label_vi="Ghi chú")
    with translate_db_errors(), session.begin_nested():
        case = lock_case(session, case_id)
        user = act_as(session, actor_id, case)
        earlier = _find_payment(session, key, user.id)
        if earlier is not None:
            same = (earlier.case_id, earlier.amount_vnd, earlier.paid_on, earlier.method,
                    earlier.voucher_no, earlier.note, earlier.reverses_payment_id) == (
                        case_id, amount, paid_on, method, voucher, note, None)
            if not same:
                raise idempotency_conflict()
            return _result(earlier, case, replayed=True)
        check_version(case, expected_version)
        if STEP_ORDER[case.step] < STEP_ORDER[CaseStep.PLAN_APPROVED]:
            raise refuse("plan not approved", "Chưa thể chi trả: phương án bồi thường, hỗ trợ, "
                         "tái định cư chưa được phê duyệt.", "plan_not_approved",
                         current_step=case.step.value)
        approval = load_facts(session, case).record(StepAction.APPROVAL)
        approved_on = approval.legal_date if approval else paid_on
        check_payment(case, approved_on, amount, paid_on, today)
        payment = Payment(case_id=case.id, amount_vnd=amount, paid_on=paid_on, method=method,
                          voucher_no=voucher, note=note, recorded_by=user.id,
                          idempotency_key=key)
        session.add(payment)
        session.flush()  # the ledger trigger adds the amount to paid_vnd
        touch(case)
        session.flush()
        session.refresh(case)
        return _result(payment, case)


def reverse_payment(
    session: Session, payment_id: int, *, reason: str, actor_id: int,
    idempotency_key: str | None = None, expected_version: int | None = None,
    reversed_on: dt.date | None = None, today: dt.date | None = None,
) -> PaymentResult:
    """Cancel a payment with a reversing entry (never by editing it); ``reason`` is kept."""
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
            raise NotFound(f"payment {payment_id} not found", message_vi=f"Không tìm thấy khoản "
                           f"chi trả số {payment_id}.", reason="payment_not_found")
        case = lock_case(session, original.case_id)
        user = act_as(session, actor_id, case)
        earlier = _find_payment(session, key, user.id)
        if earlier is not None:
            # A retry after midnight without an explicit date is still the same request.
            if (earlier.reverses_payment_id, earlier.note) != (payment_id, why) or (
                    reversed_on is not None and earlier.paid_on != reversed_on):
                raise idempotency_conflict()
            return _result(earlier, case, replayed=True)
        check_version(case, expected_version)
        if original.reverses_payment_id is not None:
            raise refuse("cannot reverse a reversal", "Không thể đảo một bút toán đảo; hãy ghi "
                         "khoản chi trả mới.", "reversal_of_reversal")
        done = session.scalar(select(Payment.id).where(Payment.reverses_payment_id == payment_id))
        if done is not None:
            raise Conflict("payment already reversed", message_vi=f"Khoản chi trả số {payment_id}"
                           f" đã được đảo (bút toán số {done}).", reason="already_reversed",
                           reversal_id=done)
        if not original.paid_on <= on <= today:
            raise refuse("reversal date out of range", f"Ngày đảo bút toán ({fmt_date(on)}) phải"
                         f" từ ngày chi trả ({fmt_date(original.paid_on)}) đến hôm nay.",
                         "bad_date", field="reversed_on")
        reversal = Payment(case_id=case.id, amount_vnd=-original.amount_vnd,
                           reverses_payment_id=original.id, paid_on=on, method=original.method,
                           voucher_no=original.voucher_no, note=why, recorded_by=user.id,
                           idempotency_key=key)
        session.add(reversal)
        session.flush()
        touch(case)
        session.flush()
        session.refresh(case)
        return _result(reversal, case)


def amounts_note(amounts: dict[str, int], note: str | None) -> str:
    """The history line for a change of approved amounts."""
    parts = "; ".join(f"{COMPONENTS_VI[k]} {fmt_vnd(v)}" for k, v in amounts.items())
    line = f"Giá trị phương án được duyệt: {parts}; tổng {fmt_vnd(sum(amounts.values()))}."
    return f"{line}\n{note}" if note else line


def set_approved_amounts(
    session: Session, case_id: int, *, expected_version: int, land: int, structures: int,
    crops: int, support: int, resettlement: int, actor_id: int, note: str | None = None,
    occurred_on: dt.date | None = None, idempotency_key: str | None = None,
    today: dt.date | None = None,
) -> EventResult:
    """Set the approved amounts by component, after plan approval and before "paid"; the
    change is logged as a note event (the audit log keeps the before/after values)."""
    today = today or local_today()
    key = clean_key(idempotency_key)
    amounts = {name: vnd(value, name) for name, value in (
        ("land", land), ("structures", structures), ("crops", crops), ("support", support),
        ("resettlement", resettlement))}
    text = amounts_note(amounts, clean_text(note, field="note", label_vi="Ghi chú"))
    on = occurred_on or today
    with translate_db_errors(), session.begin_nested():
        case = lock_case(session, case_id)
        user = act_as(session, actor_id, case)
        earlier = find_event(session, key, user.id)
        if earlier is not None:
            if (earlier.case_id, earlier.kind, earlier.note) != (
                    case_id, EventKind.NOTE, text) or (
                    occurred_on is not None and earlier.occurred_on != occurred_on):
                raise idempotency_conflict()
            return replay(earlier, case)
        check_version(case, expected_version)
        if case.step not in {CaseStep.PLAN_APPROVED, CaseStep.DECIDED}:
            raise refuse("amounts only between approval and payment", "Chỉ nhập giá trị được "
                         "duyệt sau khi phê duyệt phương án và trước khi hoàn thành chi trả.",
                         "wrong_step", current_step=case.step.value)
        approval = load_facts(session, case).record(StepAction.APPROVAL)
        if on > today or (approval is not None and on < approval.occurred_on):
            raise refuse("amounts dated outside approval..today", f"Ngày ghi giá trị "
                         f"({fmt_date(on)}) phải từ ngày phê duyệt phương án đến hôm nay.",
                         "bad_date", field="occurred_on")
        total = sum(amounts.values())
        if total < case.paid_vnd:
            raise refuse(f"approved {total} below paid {case.paid_vnd}", f"Tổng giá trị được "
                         f"duyệt mới ({fmt_vnd(total)}) nhỏ hơn số đã chi trả "
                         f"({fmt_vnd(case.paid_vnd)}); cần đảo bút toán chi trả trước.",
                         "below_paid", field="land", paid_vnd=case.paid_vnd)
        rule_version = load_rule_book(session).for_date(
            approval.legal_date if approval else on).version
        for name, value in amounts.items():
            setattr(case, f"approved_{name}_vnd", value)
        event = CaseEvent(case_id=case.id, kind=EventKind.NOTE, occurred_on=on, note=text,
                          rule_version=rule_version, recorded_by=user.id, idempotency_key=key)
        session.add(event)
        touch(case)
        session.flush()
        session.refresh(case)
        return EventResult(event.id, case.id, event.kind, case.step, case.version, rule_version)
