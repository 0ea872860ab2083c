"""What each form of the case page does: read its values and call the ``gis`` function, in
the caller's transaction (``web.case_routes`` commits, or rolls back and shows the page again).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from fastapi import Request
from sqlalchemy.orm import Session

from gis.access.scope import PROVINCE
from gis.cases.documents import store_document
from gis.cases.owner import assign_responsible
from gis.cases.queries import get_case
from gis.cases.resettlement import allocate_plot, release_allocation
from gis.compensation.ledger import record_payment, reverse_payment
from gis.core.domain import CaseStep, EventKind, PaymentMethod
from gis.core.errors import InvalidInput, NotFound
from gis.models import Payment, ResettlementAllocation, User
from gis.workflow import record_side_event, record_step
from gis.workflow.boundary import check_version, parse_enum
from gis.workflow.service import EventResult
from web.case_forms import (
    Posted,
    date_value,
    datetime_value,
    documents_value,
    int_value,
    required_date,
    text_value,
    vnd_value,
)
from web.page_posts import posted_version

Action = Callable[[Session, Request, int, User, Posted], None]


def _attach(session: Session, request: Request, case_id: int, result: EventResult,
            user: User, posted: Posted) -> None:
    """Store the uploaded scan with the event just recorded (not again on a replay)."""
    if posted.data is None or result.replayed:
        return
    if posted.too_large:
        raise InvalidInput("file too large", message_vi="Tệp quá lớn: tối đa 10 MB.",
                           reason="too_large", field="document")
    root = request.app.state.settings.data_dir / "documents"
    try:
        store_document(session, root, case_id, result.event_id, posted.filename, posted.data,
                       user.id)
    except InvalidInput as exc:
        exc.extra.setdefault("field", "document")
        raise


def record_step_form(session: Session, request: Request, case_id: int, user: User,
                     posted: Posted) -> None:
    """The step form: the next step, its decision, and the scan attached to it."""
    v = posted.values
    version = posted_version(posted)
    if not text_value(v, "to_step"):
        raise InvalidInput("to_step required", message_vi="Chọn bước tiếp theo.",
                           reason="required", field="to_step")
    result = record_step(
        session, case_id, parse_enum(CaseStep, v["to_step"], "to_step"),
        expected_version=version, occurred_on=required_date(v, "occurred_on"),
        decision_no=text_value(v, "decision_no"), decision_date=date_value(v, "decision_date"),
        signer=text_value(v, "signer"), note=text_value(v, "note"), actor_id=user.id,
        idempotency_key=text_value(v, "idem"),
        issuer_level=text_value(v, "issuer_level"), issuer_unit=text_value(v, "issuer_unit"),
        documents=documents_value(v))
    _attach(session, request, case_id, result, user, posted)


def record_side_event_form(session: Session, request: Request, case_id: int, user: User,
                           posted: Posted) -> None:
    """The side-event form: consultation, renewed notice, exception, complaint, compulsory
    inventory, enforcement, compliance or note."""
    v = posted.values
    version = posted_version(posted)
    kind = parse_enum(EventKind, v.get("kind", ""), "kind")
    if kind == EventKind.STEP:
        raise InvalidInput("a step is not a side event", message_vi="Chọn loại sự kiện.",
                           reason="unknown_value", field="kind")
    result = record_side_event(
        session, case_id, kind, occurred_on=required_date(v, "occurred_on"),
        actor_id=user.id, expected_version=version, decision_no=text_value(v, "decision_no"),
        decision_date=date_value(v, "decision_date"), signer=text_value(v, "signer"),
        note=text_value(v, "note"), at=datetime_value(v, "at"),
        remote_area=v.get("remote_area") == "1", idempotency_key=text_value(v, "idem"),
        issuer_level=text_value(v, "issuer_level"), issuer_unit=text_value(v, "issuer_unit"),
        documents=documents_value(v), exception_kind=text_value(v, "exception_kind"),
        project_kind=text_value(v, "project_kind"), consent_pct=_pct(v),
        complainant=text_value(v, "complainant"),
        decision_received_on=date_value(v, "decision_received_on"),
        complaint_id=int_value(v, "complaint_id", "Mã khiếu nại không hợp lệ.")
        if text_value(v, "complaint_id") else None, outcome=text_value(v, "outcome"))
    _attach(session, request, case_id, result, user, posted)


def _pct(values: dict[str, str]) -> Decimal | None:
    raw = text_value(values, "consent_pct")
    if raw is None:
        return None
    try:
        return Decimal(raw.replace(",", ".").removesuffix("%").strip())
    except InvalidOperation:
        raise InvalidInput(f"consent_pct {raw!r}", message_vi="Tỷ lệ đồng ý phải là số, ví dụ "
                           "80 hoặc 75,5.", reason="bad_form_value", field="consent_pct"
                           ) from None


def record_payment_form(session: Session, request: Request, case_id: int, user: User,
                        posted: Posted) -> None:
    """The payment form: payee, whole VND, date, method (a deposit with its account),
    voucher."""
    v = posted.values
    version = posted_version(posted)
    payee = int_value(v, "payee_id", "Chọn người nhận tiền.")
    amount = vnd_value(v, "amount_vnd")
    paid_on = required_date(v, "paid_on")
    record_payment(session, case_id, amount, paid_on,
                   parse_enum(PaymentMethod, v.get("method", ""), "method"), payee_id=payee,
                   deposit_account=text_value(v, "deposit_account"),
                   voucher_no=text_value(v, "voucher_no"), note=text_value(v, "note"),
                   actor_id=user.id, idempotency_key=text_value(v, "idem"),
                   expected_version=version)


def reverse_payment_form(payment_id: int) -> Action:
    """The reversal form of one payment of the ledger."""
    def run(session: Session, request: Request, case_id: int, user: User,
            posted: Posted) -> None:
        v = posted.values
        version = posted_version(posted)
        original = session.get(Payment, payment_id)
        if original is None or original.case_id != case_id:
            raise NotFound(f"payment {payment_id} not in case {case_id}",
                           message_vi="Khoản chi trả số {payment} không thuộc hồ sơ này.",
                           params={"payment": str(payment_id)})
        reverse_payment(session, payment_id, reason=v.get("reason", ""), actor_id=user.id,
                        idempotency_key=text_value(v, "idem"), expected_version=version,
                        reversed_on=date_value(v, "reversed_on"))
    return run


def allocate_plot_form(session: Session, request: Request, case_id: int, user: User,
                       posted: Posted) -> None:
    """The allocation form: a free resettlement plot for the case."""
    v = posted.values
    version = posted_version(posted)
    plot_id = int_value(v, "plot_id", "Chọn lô tái định cư.")
    allocated_on = required_date(v, "allocated_on")
    allocate_plot(session, case_id, plot_id, allocated_on=allocated_on, actor_id=user.id,
                  decision_no=text_value(v, "decision_no"), expected_version=version)


def release_plot_form(allocation_id: int) -> Action:
    """The form taking back the plot of one allocation (checked against the version)."""
    def run(session: Session, request: Request, case_id: int, user: User,
            posted: Posted) -> None:
        version = posted_version(posted)
        released_on = required_date(posted.values, "released_on")
        allocation = session.get(ResettlementAllocation, allocation_id)
        if allocation is None or allocation.case_id != case_id:
            raise NotFound(f"allocation {allocation_id} not in case {case_id}",
                           message_vi="Quyết định giao lô này không thuộc hồ sơ.")
        # the scope is checked by release_allocation (a write outside it: out_of_scope)
        case = get_case(session, case_id, scope=PROVINCE)
        check_version(case, version)
        release_allocation(session, allocation_id, released_on=released_on, actor_id=user.id)
    return run


def assign_owner_form(session: Session, _request: Request, case_id: int, user: User,
                      posted: Posted) -> None:
    """The owner form: the officer and unit responsible for the case (empty clears)."""
    v = posted.values
    assign_responsible(session, case_id, officer=text_value(v, "responsible_officer"),
                       unit=text_value(v, "responsible_unit"), actor_id=user.id,
                       expected_version=posted_version(posted))
