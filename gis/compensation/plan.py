"""Approved plans per household: a decision (number, date, signer) with its line items.

Amounts change only through a new decision: an amending one replaces the decision it
names, a supplementary one adds to those in force. Nothing is edited. After each decision
the five approved-amount columns of every case concerned are the sums of the items in
force, so the per-parcel figures and the per-household record agree.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis.compensation.arithmetic import line_amount, split_shares
from gis.compensation.records import HouseholdMoney, in_force, load_household, stale_household
from gis.core.calendar import local_today
from gis.core.domain import ITEM_COMPONENT, ITEM_LABELS_VI, CaseStep, DecisionKind, ItemKind
from gis.core.errors import InvalidInput
from gis.core.formats import Phrase, Term
from gis.core.text import clean_decision_no, clean_text
from gis.models import ClearanceCase, CompensationDecision, LineItem
from gis.workflow.authority import Issuer, check_issuer, clean_issuer, parse_issuer
from gis.workflow.boundary import (
    act_as,
    clean_key,
    idempotency_conflict,
    load_facts,
    lock_case,
    parse_enum,
    touch,
    translate_db_errors,
)
from gis.workflow.facts import CaseFacts
from gis.workflow.money import MAX_VND, vnd
from gis.workflow.transitions import StepAction, refuse

PLAN_STEPS = frozenset({CaseStep.PLAN_APPROVED, CaseStep.DECIDED})
"""A plan's amounts are set between approval and completed payment (as before 0008)."""

ASSET_KINDS = frozenset({ItemKind.STRUCTURES, ItemKind.CROPS})

DECISION_WHAT_VI = {DecisionKind.APPROVAL: "quyết định phê duyệt phương án",
                    DecisionKind.AMENDMENT: "quyết định điều chỉnh phương án",
                    DecisionKind.SUPPLEMENT: "quyết định bổ sung phương án"}


@dataclass(frozen=True)
class ItemInput:
    """One line item as entered."""

    case_id: int
    kind: ItemKind | str
    description: str | None
    quantity: Decimal | int | str
    unit: str | None
    unit_price_vnd: int
    legal_ground: str | None
    created_on: dt.date | None = None
    illegal: bool = False
    exception_ground: str | None = None


@dataclass(frozen=True)
class DecisionResult:
    """A recorded decision and the household's plan afterwards."""

    decision_id: int
    household_id: int
    total_vnd: int
    approved_vnd: int
    version: int
    replayed: bool = False


def _quantity(value: Decimal | int | str, n: int) -> Decimal:
    try:
        q = Decimal(str(value).replace(",", ".").strip())
    except InvalidOperation:
        q = Decimal(-1)
    if not q.is_finite() or q < 0 or q > Decimal("1e12") or q != q.quantize(Decimal("0.001")):
        raise InvalidInput(f"item {n}: bad quantity {value!r}", message_vi="Dòng {n}: khối "
                           "lượng '{value}' không hợp lệ (số không âm, tối đa 3 chữ số thập "
                           "phân).", params={"n": str(n), "value": str(value)},
                           reason="bad_quantity", field=f"items[{n}].quantity")
    return q


def _required(value: str | None, n: int, name: str, label: str) -> str:
    text = clean_text(value, field=f"items[{n}].{name}", label_vi=label)
    if text is None:
        raise refuse(f"item {n}: {name} required", "Dòng {n}: thiếu {label}.",
                     "required", {"n": str(n), "label": Term(label.lower())},
                     field=f"items[{n}].{name}")
    return text


def _item(raw: ItemInput, n: int, notice_on: dt.date | None, today: dt.date) -> LineItem:
    kind = parse_enum(ItemKind, raw.kind, f"items[{n}].kind")
    quantity = _quantity(raw.quantity, n)
    price = vnd(raw.unit_price_vnd, f"items[{n}].unit_price_vnd")
    amount = line_amount(quantity, price)
    if amount > MAX_VND:
        raise InvalidInput(f"item {n}: amount too large", message_vi="Dòng {n}: thành tiền "
                           "{amount} đ quá lớn.", params={"n": str(n), "amount": amount},
                           reason="amount_out_of_range",
                           field=f"items[{n}].unit_price_vnd")
    exception = clean_text(raw.exception_ground, field=f"items[{n}].exception_ground",
                           label_vi="Căn cứ bồi thường, hỗ trợ ngoại lệ")
    if raw.created_on is not None and raw.created_on > today:
        raise refuse("created_on in the future", "Dòng {n}: ngày tạo lập "
                     "({day}) ở tương lai.", "date_in_future",
                     {"n": str(n), "day": raw.created_on}, field=f"items[{n}].created_on")
    late = (kind in ASSET_KINDS and raw.created_on is not None and notice_on is not None
            and raw.created_on > notice_on)
    if (late or raw.illegal) and amount > 0 and exception is None:
        why = (Phrase("tạo lập ngày {day}, sau thông báo thu hồi đất ngày {noticed}",
                      day=raw.created_on, noticed=notice_on)
               if late and raw.created_on and notice_on else Term("được ghi là trái phép"))
        raise refuse(f"item {n}: ineligible asset paid without ground",
                     "Dòng {n} ({item}) {why}: không được bồi "
                     "thường, hỗ trợ (thành tiền phải bằng 0) trừ khi ghi rõ căn cứ pháp lý "
                     "cho phép.", "ineligible_asset",
                     {"n": str(n), "item": Term(ITEM_LABELS_VI[kind].lower()), "why": why},
                     field=f"items[{n}].exception_ground")
    return LineItem(case_id=raw.case_id, kind=kind,
                    description=_required(raw.description, n, "description", "Nội dung")
                    if raw.description is not None else ITEM_LABELS_VI[kind],
                    quantity=quantity, unit=_required(raw.unit, n, "unit", "Đơn vị tính"),
                    unit_price_vnd=price, amount_vnd=amount,
                    legal_ground=_required(raw.legal_ground, n, "legal_ground",
                                           "Căn cứ pháp lý"),
                    created_on=raw.created_on, illegal=bool(raw.illegal),
                    exception_ground=exception)


def _check_after(money: HouseholdMoney, replaced: CompensationDecision | None,
                 new_items: Sequence[LineItem]) -> None:
    """Refuse a plan below what each case or payee already received."""
    gone = replaced.id if replaced is not None else None
    by_case: dict[int, int] = defaultdict(int)
    for i in money.items:
        if i.decision_id != gone:
            by_case[i.case_id] += i.amount_vnd
    for i in new_items:
        by_case[i.case_id] += i.amount_vnd
    for case_id, settled in money.settled_by_case.items():
        if settled > by_case.get(case_id, 0):
            raise refuse(f"case {case_id}: plan below settled", "Giá trị được duyệt mới cho "
                         "thửa của hồ sơ {case_id} ({approved} đ) nhỏ "
                         "hơn số đã chi trả, gửi ({settled} đ); cần đảo bút toán "
                         "trước.", "below_paid", {"case_id": str(case_id),
                                                  "approved": by_case.get(case_id, 0),
                                                  "settled": settled}, case_id=case_id)
    shares = split_shares(sum(by_case.values()), [p.payee.share_parts for p in money.payees])
    for p, share in zip(money.payees, shares, strict=True):
        if p.paid_vnd + p.deposited_vnd > share:
            raise refuse(f"payee {p.payee.id}: share below settled", "Phần của "
                         "{payee} theo phương án mới ({share} đ) nhỏ hơn "
                         "số đã chi trả, gửi ({settled} đ).", "below_paid_share",
                         {"payee": p.payee.full_name, "share": share,
                          "settled": p.paid_vnd + p.deposited_vnd}, payee_id=p.payee.id)


def record_decision(
    session: Session, household_id: int, *, kind: DecisionKind | str, decision_no: str,
    decision_date: dt.date, signer: str, items: Sequence[ItemInput], actor_id: int,
    expected_version: int | None, amends_decision_id: int | None = None,
    zero_ground: str | None = None, note: str | None = None,
    idempotency_key: str | None = None, today: dt.date | None = None,
    issuer_level: str | None = None, issuer_unit: str | None = None,
) -> DecisionResult:
    """Record an approval, amending or supplementary decision with its line items.

    The issuing body (``issuer_*``, else the one the signer text names) must have had the
    authority on the decision's date for every parcel concerned, as for the case steps
    (``gis.workflow.authority``)."""
    today = today or local_today()
    key = clean_key(idempotency_key)
    kind = parse_enum(DecisionKind, kind, "kind")
    if kind == DecisionKind.MIGRATED:
        raise refuse("migrated decisions come from revision 0008 only", "Không thể nhập quyết "
                     "định loại 'chuyển từ dữ liệu cũ'.", "unknown_value", field="kind")
    number = clean_decision_no(decision_no)
    who = clean_text(signer, field="signer", label_vi="Người ký")
    for name, value, label in (("decision_no", number, Term("số quyết định")),
                               ("signer", who, Term("người ký"))):
        if value is None:
            raise refuse(f"{name} required", "Thiếu {label}.", "required", {"label": label},
                         field=name)
    if decision_date > today:
        raise refuse("decision in the future", "Ngày quyết định ({day}) "
                     "ở tương lai — hôm nay là {today}.", "date_in_future",
                     {"day": decision_date, "today": today}, field="decision_date")
    issuer = clean_issuer(issuer_level, issuer_unit, who)
    ground = clean_text(zero_ground, field="zero_ground", label_vi="Căn cứ phương án 0 đồng")
    text_note = clean_text(note, field="note", label_vi="Ghi chú")
    if not items:
        raise refuse("a decision needs line items", "Quyết định phải có ít nhất một dòng "
                     "(một khoản bồi thường, hỗ trợ; khoản 0 đồng vẫn phải ghi).",
                     "no_line_items", field="items")
    with translate_db_errors(), session.begin_nested():
        money = load_household(session, household_id, today=today, lock=True)
        if key is not None:
            earlier = session.scalars(select(CompensationDecision).where(
                CompensationDecision.idempotency_key == key,
                CompensationDecision.recorded_by == actor_id)).first()
            if earlier is not None:
                if (earlier.household_id, earlier.decision_no, earlier.decision_date,
                        earlier.kind) != (household_id, number, decision_date, kind):
                    raise idempotency_conflict()
                return DecisionResult(earlier.id, household_id, earlier.total_vnd,
                                      money.approved_vnd, money.household.version, True)
        if expected_version is not None and money.household.version != expected_version:
            raise stale_household(money.household.version, expected_version)
        replaced = _amended(session, money, kind, amends_decision_id, decision_date)
        cases: dict[int, ClearanceCase] = {}
        facts: dict[int, CaseFacts] = {}
        new_items: list[LineItem] = []
        for n, raw in enumerate(items, start=1):
            if raw.case_id not in money.case_ids:
                raise refuse(f"case {raw.case_id} not in household", "Dòng {n}: thửa đất "
                             "(hồ sơ {case_id}) không thuộc hồ sơ bồi thường của hộ này.",
                             "case_not_in_household", {"n": str(n), "case_id": str(raw.case_id)},
                             field=f"items[{n}].case_id")
            if raw.case_id not in cases:
                # the scope first: nothing about a case outside it is told
                act_as(session, actor_id, lock_case(session, raw.case_id))
                cases[raw.case_id] = _plan_case(session, raw.case_id, decision_date, n)
                facts[raw.case_id] = load_facts(session, cases[raw.case_id])
                check_issuer(DECISION_WHAT_VI[kind], issuer, decision_date,
                             commune_name=facts[raw.case_id].commune_name,
                             organisation=facts[raw.case_id].organisation)
            notice = facts[raw.case_id].record(StepAction.NOTICE)
            new_items.append(_item(raw, n, notice.legal_date if notice else None, today))
        total = sum(i.amount_vnd for i in new_items)
        if total == 0 and ground is None:
            raise refuse("zero plan without ground", "Phương án 0 đồng phải ghi căn cứ pháp lý "
                         "(ví dụ: đất không đủ điều kiện bồi thường theo Điều 101 Luật Đất đai "
                         "2024).", "zero_plan_without_ground", field="zero_ground")
        _check_after(money, replaced, new_items)
        user = act_as(session, actor_id, next(iter(cases.values())))
        decision = CompensationDecision(
            household_id=household_id, kind=kind, amends_decision_id=amends_decision_id
            if kind == DecisionKind.AMENDMENT else None, decision_no=number,
            decision_date=decision_date, signer=signer_with_issuer(str(who), issuer),
            total_vnd=total, zero_ground=ground,
            note=text_note, recorded_by=user.id, idempotency_key=key)
        session.add(decision)
        session.flush()
        for item in new_items:
            item.decision_id = decision.id
            session.add(item)
        touched = set(cases) | ({i.case_id for i in money.items if i.decision_id == replaced.id}
                                if replaced is not None else set())
        session.flush()
        refresh_case_amounts(session, sorted(touched))
        money.household.updated_at = func.now()
        session.flush()
        session.refresh(money.household)
        return DecisionResult(decision.id, household_id, total,
                              money.approved_vnd - (replaced.total_vnd if replaced else 0)
                              + total, money.household.version)


def signer_with_issuer(signer: str, issuer: Issuer | None) -> str:
    """The signer as stored: the text entered, followed by the issuing body when the text
    does not already name it ("Chủ tịch — UBND xã Kiên Mộc"), so it can be read back."""
    if issuer is None or parse_issuer(signer) == issuer:
        return signer
    return f"{signer} — {issuer.unit}"


def _amended(session: Session, money: HouseholdMoney, kind: DecisionKind,
             amends_id: int | None, decision_date: dt.date) -> CompensationDecision | None:
    if kind != DecisionKind.AMENDMENT:
        if amends_id is not None:
            raise refuse("only an amendment amends", "Chỉ quyết định điều chỉnh mới thay thế "
                         "quyết định khác; hãy chọn loại 'Điều chỉnh'.", "amends_not_allowed",
                         field="amends_decision_id")
        return None
    target = next((d for d in money.in_force if d.id == amends_id), None)
    if target is None:
        raise refuse(f"decision {amends_id} not in force here", "Quyết định điều chỉnh phải "
                     "thay thế một quyết định đang có hiệu lực của chính hộ này.",
                     "amended_decision_not_in_force", field="amends_decision_id")
    if decision_date < target.decision_date:
        raise refuse("amendment before the decision it amends", "Quyết định điều chỉnh "
                     "({day}) không được trước quyết định bị điều chỉnh ({amended}).",
                     "before_previous_step", {"day": decision_date,
                                              "amended": target.decision_date},
                     field="decision_date")
    return target


def _plan_case(session: Session, case_id: int, decision_date: dt.date, n: int
               ) -> ClearanceCase:
    case = lock_case(session, case_id)
    if case.step not in PLAN_STEPS:
        raise refuse(f"case {case_id} at {case.step}", "Dòng {n}: chỉ ghi giá trị được duyệt "
                     "sau khi phê duyệt phương án và trước khi hoàn thành chi trả (hồ sơ "
                     "{case_id}).", "wrong_step", {"n": str(n), "case_id": str(case_id)},
                     current_step=case.step.value,
                     field=f"items[{n}].case_id")
    approval = load_facts(session, case).record(StepAction.APPROVAL)
    if approval is not None and decision_date < approval.legal_date:
        raise refuse("decision before plan approval", "Ngày quyết định "
                     "({day}) không được trước ngày phê duyệt phương án "
                     "của thửa ({approved}).", "before_previous_step",
                     {"day": decision_date, "approved": approval.legal_date},
                     field="decision_date")
    return case


def refresh_case_amounts(session: Session, case_ids: Sequence[int]) -> None:
    """Set each case's five approved-amount columns to the sums of the items in force."""
    if not case_ids:
        return
    rows = session.execute(select(LineItem, CompensationDecision).join(
        CompensationDecision, CompensationDecision.id == LineItem.decision_id).where(
        LineItem.case_id.in_(case_ids))).all()
    by_household: dict[int, list[CompensationDecision]] = defaultdict(list)
    decisions = {d.id: d for _, d in rows}
    for d in decisions.values():
        by_household[d.household_id].append(d)
    for hid in by_household:
        by_household[hid] = list(session.scalars(select(CompensationDecision).where(
            CompensationDecision.household_id == hid)))
    live = {d.id for ds in by_household.values() for d in in_force(ds)}
    sums: dict[int, dict[str, int]] = {c: dict.fromkeys(
        ("land", "structures", "crops", "support", "resettlement"), 0) for c in case_ids}
    for item, _ in rows:
        if item.decision_id in live:
            sums[item.case_id][ITEM_COMPONENT[item.kind]] += item.amount_vnd
    for case_id in case_ids:
        case = lock_case(session, case_id)
        for name, value in sums[case_id].items():
            setattr(case, f"approved_{name}_vnd", value)
        touch(case)
    session.flush()
