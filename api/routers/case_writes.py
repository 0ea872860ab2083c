"""Changing cases: events (steps, side events, notes), payments, reversals and bulk steps
from Excel; approved amounts come from household decisions (``households``). Each route
parses, calls ``gis``, commits, shapes.

Concurrency: ``If-Match`` (or a ``version`` field); a stale one is 409 with the case as it
now stands under ``extra.current``. ``Idempotency-Key``: a retried request returns the same
body (header ``Idempotent-Replayed: true``) and records nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile
from sqlalchemy.orm import Session

from api.deps import CaseWriter, FieldWriter, Principal, SessionDep
from api.errors import problems
from api.http import Id, IdempotencyKey, IfMatch, etag, version_from
from api.routers.cases import detail_out
from api.schemas import (
    BulkResultOut,
    BulkRowOut,
    EventIn,
    EventResultOut,
    PaymentIn,
    PaymentResultOut,
    ReversalIn,
)
from gis.cases.bulk_steps import apply_rows, read_sheet
from gis.cases.queries import case_detail
from gis.compensation.ledger import record_payment, reverse_payment
from gis.core.calendar import local_today
from gis.core.domain import EventKind
from gis.core.errors import Conflict, GpmbError, ImportRejected, InvalidInput
from gis.workflow import record_side_event, record_step
from gis.workflow.money import PaymentResult
from gis.workflow.service import EventResult

router = APIRouter(prefix="/api", tags=["case changes"])
MAX_UPLOAD = 5 * 1024 * 1024
WRITE_ERRORS = problems(401, 403, 404, 409, 422, 428)


@contextmanager
def current_state_on_conflict(session: Session, case_id: int | None,
                              user: Principal) -> Iterator[None]:
    """Roll back on any domain error; a stale version also reports the current case."""
    try:
        yield
    except GpmbError as exc:
        session.rollback()
        if (isinstance(exc, Conflict) and case_id is not None
                and exc.extra.get("reason") == "stale_version"):
            current = detail_out(case_detail(session, case_id, local_today(),
                                             scope=user.scope), user)
            exc.extra["current"] = current.model_dump(mode="json")
        raise


def _event_out(result: EventResult, response: Response) -> EventResultOut:
    response.headers["ETag"] = etag(result.version)
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return EventResultOut(event_id=result.event_id, case_id=result.case_id, kind=result.kind,
                          step=result.step, version=result.version,
                          rule_version=result.rule_version, complaint_id=result.complaint_id,
                          handover_due=result.handover_due)


def _payment_out(result: PaymentResult, response: Response) -> PaymentResultOut:
    response.headers["ETag"] = etag(result.version)
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return PaymentResultOut(payment_id=result.payment_id, case_id=result.case_id,
                            amount_vnd=result.amount_vnd, paid_vnd=result.paid_vnd,
                            approved_total_vnd=result.approved_total_vnd,
                            outstanding_vnd=result.outstanding_vnd, version=result.version)


@router.post("/cases/{case_id}/events", response_model=EventResultOut, status_code=201,
             responses=WRITE_ERRORS, summary="Record a step, a side event or a note")
def post_event(case_id: Id, body: EventIn, user: FieldWriter, session: SessionDep,
               response: Response, if_match: IfMatch = None,
               idempotency_key: IdempotencyKey = None) -> EventResultOut:
    """A step (``kind="step"``, ``to_step``; version required) moves the case on; other kinds
    are side events (complaint, compulsory inventory, enforcement) or notes. Field staff may
    record notes and the on-site handover, on assigned projects/communes only."""
    is_step = body.kind == EventKind.STEP
    version = version_from(if_match, body.version, required=is_step)
    with current_state_on_conflict(session, case_id, user):
        if is_step:
            if body.to_step is None:
                raise InvalidInput("to_step required", message_vi="Cần chọn bước chuyển đến "
                                   "(to_step).", reason="required", field="to_step")
            assert version is not None
            result = record_step(
                session, case_id, body.to_step, expected_version=version,
                occurred_on=body.occurred_on, decision_no=body.decision_no,
                decision_date=body.decision_date, signer=body.signer, note=body.note,
                actor_id=user.id, idempotency_key=idempotency_key,
                issuer_level=body.issuer_level, issuer_unit=body.issuer_unit,
                documents=body.document_refs())
        else:
            result = record_side_event(
                session, case_id, body.kind, occurred_on=body.occurred_on, actor_id=user.id,
                expected_version=version, decision_no=body.decision_no,
                decision_date=body.decision_date, signer=body.signer, note=body.note,
                at=body.at, remote_area=body.remote_area, idempotency_key=idempotency_key,
                issuer_level=body.issuer_level, issuer_unit=body.issuer_unit,
                documents=body.document_refs(), exception_kind=body.exception_kind,
                project_kind=body.project_kind, consent_pct=body.consent_pct,
                complainant=body.complainant, against=body.against,
                decision_received_on=body.decision_received_on,
                complaint_id=body.complaint_id, outcome=body.outcome)
        session.commit()
    return _event_out(result, response)


@router.post("/cases/{case_id}/payments", response_model=PaymentResultOut, status_code=201,
             responses=WRITE_ERRORS, summary="Record a payment (append-only ledger)")
def post_payment(case_id: Id, body: PaymentIn, user: CaseWriter, session: SessionDep,
                 response: Response, if_match: IfMatch = None,
                 idempotency_key: IdempotencyKey = None) -> PaymentResultOut:
    """Whole VND to a named payee, once the plan is approved, never above the payee's share
    or what is outstanding on the case; a deposit needs its deposit account."""
    version = version_from(if_match, body.version, required=False)
    with current_state_on_conflict(session, case_id, user):
        result = record_payment(session, case_id, body.amount_vnd, body.paid_on, body.method,
                                payee_id=body.payee_id, deposit_account=body.deposit_account,
                                voucher_no=body.voucher_no, note=body.note, actor_id=user.id,
                                idempotency_key=idempotency_key, expected_version=version)
        session.commit()
    return _payment_out(result, response)


@router.post("/payments/{payment_id}/reversal", response_model=PaymentResultOut,
             status_code=201, responses=WRITE_ERRORS, summary="Reverse a payment")
def post_reversal(payment_id: Id, body: ReversalIn, user: CaseWriter, session: SessionDep,
                  response: Response, if_match: IfMatch = None,
                  idempotency_key: IdempotencyKey = None) -> PaymentResultOut:
    """A negative entry cancelling the payment; the original stays in the ledger."""
    version = version_from(if_match, body.version, required=False)
    with current_state_on_conflict(session, None, user):
        result = reverse_payment(session, payment_id, reason=body.reason, actor_id=user.id,
                                 idempotency_key=idempotency_key, expected_version=version,
                                 reversed_on=body.reversed_on)
        session.commit()
    return _payment_out(result, response)


@router.post("/cases/bulk-steps", response_model=BulkResultOut,
             responses=problems(401, 403, 422),
             summary="Record steps for many cases from an Excel sheet, all or nothing")
def bulk_steps(file: Annotated[UploadFile, File(description="xlsx: Mã hồ sơ, Bước, Ngày, …")],
               user: CaseWriter, session: SessionDep) -> BulkResultOut:
    """Every row is checked; if any is refused nothing is written and the 422 answer lists
    each refused row (``extra.rows``: row number, case, Vietnamese message)."""
    content = file.file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise ImportRejected("file too large", message_vi="Tệp quá lớn (tối đa 5 MB).",
                             reason="too_large")
    rows = read_sheet(content)
    with current_state_on_conflict(session, None, user):
        applied = apply_rows(session, rows, actor_id=user.id)
        session.commit()
    return BulkResultOut(applied=len(applied),
                         rows=[BulkRowOut.model_validate(a) for a in applied])
