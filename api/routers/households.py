"""Household compensation records: read one (ETag = version), the records of a case, and
record decisions with line items, payees, payments and deposits. Routes are thin: parse,
call ``gis.compensation``, commit, shape."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from api.deps import CaseWriter, CurrentUser, Principal, SessionDep
from api.errors import problems
from api.household_schemas import (
    DecisionIn,
    DecisionOut,
    HouseholdCaseOut,
    HouseholdOut,
    HouseholdPaymentIn,
    LedgerEntryOut,
    LineItemOut,
    PayeeIn,
    PayeeOut,
    WriteResultOut,
)
from api.http import Id, IdempotencyKey, IfMatch, etag, version_from
from gis.cases.queries import get_case
from gis.compensation.ledger import add_payee, record_household_payment
from gis.compensation.plan import ItemInput, record_decision
from gis.compensation.records import ensure_case_households
from gis.compensation.view import (
    HouseholdView,
    case_household_views,
    household_view,
    require_household,
)
from gis.core.calendar import local_today
from gis.core.errors import GpmbError

router = APIRouter(prefix="/api", tags=["households"])
WRITE_ERRORS = problems(401, 403, 404, 409, 422, 428)


def household_out(v: HouseholdView, user: Principal) -> HouseholdOut:
    """Shape a household record for ``user`` (citizen IDs for staff and admin only)."""
    m, hh = v.money, v.money.household
    return HouseholdOut(
        id=hh.id, project_id=hh.project_id, project_code=v.project_code,
        land_user_id=hh.land_user_id, land_user_name=v.land_user.full_name,
        needs_review=hh.needs_review, version=hh.version, approved_vnd=m.approved_vnd,
        paid_vnd=m.paid_vnd, deposited_vnd=m.deposited_vnd, outstanding_vnd=m.outstanding_vnd,
        is_paid=m.is_paid, interest_vnd=m.interest_vnd,
        accruing_interest_vnd=m.accruing_interest_vnd,
        cases=[HouseholdCaseOut(case_id=c.case_id, commune_code=c.commune_code,
                                sheet_no=c.sheet_no, parcel_no=c.parcel_no, step=c.step,
                                approved_vnd=c.approved_vnd, settled_vnd=c.settled_vnd)
               for c in v.cases],
        decisions=[DecisionOut(
            id=d.decision.id, kind=d.decision.kind, decision_no=d.decision.decision_no,
            decision_date=d.decision.decision_date, signer=d.decision.signer,
            total_vnd=d.decision.total_vnd, zero_ground=d.decision.zero_ground,
            amends_decision_id=d.decision.amends_decision_id, replaced_by=d.replaced_by,
            in_force=d.in_force, needs_review=d.decision.needs_review,
            items=[LineItemOut.model_validate(i, from_attributes=True) for i in d.items])
            for d in v.decisions],
        payees=[PayeeOut(
            id=p.payee.id, kind=p.payee.kind, full_name=p.payee.full_name,
            land_user_id=p.payee.land_user_id,
            citizen_id=p.payee.citizen_id if user.sees_personal_data else None,
            document_kind=p.payee.document_kind, document_no=p.payee.document_no,
            document_date=p.payee.document_date, share_parts=p.payee.share_parts,
            share_vnd=p.share_vnd, paid_vnd=p.paid_vnd, deposited_vnd=p.deposited_vnd,
            outstanding_vnd=p.outstanding_vnd, interest_vnd=p.interest_vnd) for p in v.payees],
        ledger=[LedgerEntryOut(
            id=e.entry.id, case_id=e.entry.case_id, payee_id=e.entry.payee_id,
            payee_name=e.payee_name, kind=e.entry.kind, amount_vnd=e.entry.amount_vnd,
            paid_on=e.entry.paid_on, method=e.entry.method,
            deposit_account=e.entry.deposit_account, voucher_no=e.entry.voucher_no,
            reverses_payment_id=e.entry.reverses_payment_id,
            needs_review=e.entry.needs_review,
            days_late=e.interest.days_late if e.interest else 0,
            interest_vnd=e.interest.interest_vnd if e.interest else 0) for e in v.entries])


@router.get("/households/{household_id}", response_model=HouseholdOut,
            responses=problems(401, 404), summary="One household compensation record")
def get_household(household_id: Id, user: CurrentUser, session: SessionDep,
                  response: Response) -> HouseholdOut:
    """Decisions with line items, payees with shares, the ledger with late-payment interest."""
    require_household(session, user.scope, household_id)
    out = household_out(household_view(session, household_id, local_today()), user)
    response.headers["ETag"] = etag(out.version)
    return out


@router.get("/cases/{case_id}/households", response_model=list[HouseholdOut],
            responses=problems(401, 404), summary="The household records of a case")
def get_case_households(case_id: Id, user: CurrentUser, session: SessionDep
                        ) -> list[HouseholdOut]:
    """Every land user of the case's parcel with a record in the case's project."""
    get_case(session, case_id, scope=user.scope)
    return [household_out(v, user) for v in case_household_views(session, case_id,
                                                                  local_today())]


@router.post("/cases/{case_id}/households", response_model=list[HouseholdOut],
             responses=WRITE_ERRORS, summary="Open the missing household records of a case")
def open_case_households(case_id: Id, user: CaseWriter, session: SessionDep
                         ) -> list[HouseholdOut]:
    """One record per land user of the parcel (with the land user as payee); idempotent."""
    get_case(session, case_id, scope=user.scope)
    ensure_case_households(session, case_id)
    session.commit()
    return [household_out(v, user) for v in case_household_views(session, case_id,
                                                                  local_today())]


@contextmanager
def committed(session: Session) -> Iterator[None]:
    """Commit what the block wrote; roll it all back on a domain error."""
    try:
        yield
        session.commit()
    except GpmbError:
        session.rollback()
        raise


def _written(ids: list[int], household_id: int, session: SessionDep, user: Principal,
             response: Response) -> WriteResultOut:
    v = household_view(session, household_id, local_today())
    response.headers["ETag"] = etag(v.money.household.version)
    return WriteResultOut(ids=ids, household_id=household_id,
                          approved_vnd=v.money.approved_vnd, version=v.money.household.version)


@router.post("/households/{household_id}/decisions", response_model=WriteResultOut,
             status_code=201, responses=WRITE_ERRORS, summary="Record a decision with items")
def post_decision(household_id: Id, body: DecisionIn, user: CaseWriter, session: SessionDep,
                  response: Response, if_match: IfMatch = None,
                  idempotency_key: IdempotencyKey = None) -> WriteResultOut:
    """Amounts change only through a decision: approval, amendment (replaces the one it
    names) or supplement. Version (If-Match) required."""
    version = version_from(if_match, body.version, required=True)
    items = [ItemInput(i.case_id, i.kind, i.description, i.quantity, i.unit, i.unit_price_vnd,
                       i.legal_ground, i.created_on, i.illegal, i.exception_ground)
             for i in body.items]
    with committed(session):
        result = record_decision(
            session, household_id, kind=body.kind, decision_no=body.decision_no,
            decision_date=body.decision_date, signer=body.signer, items=items,
            actor_id=user.id, expected_version=version, amends_decision_id=body.amends_decision_id,
            zero_ground=body.zero_ground, note=body.note, idempotency_key=idempotency_key,
            issuer_level=body.issuer_level, issuer_unit=body.issuer_unit)
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return _written([result.decision_id], household_id, session, user, response)


@router.post("/households/{household_id}/payees", response_model=WriteResultOut,
             status_code=201, responses=WRITE_ERRORS, summary="Add a payee")
def post_payee(household_id: Id, body: PayeeIn, user: CaseWriter, session: SessionDep,
               response: Response, if_match: IfMatch = None) -> WriteResultOut:
    """The land user, or an authorised person / heir with the document's number and date."""
    version = version_from(if_match, body.version, required=True)
    with committed(session):
        payee = add_payee(session, household_id, kind=body.kind, full_name=body.full_name,
                          actor_id=user.id, expected_version=version,
                          land_user_id=body.land_user_id, citizen_id=body.citizen_id,
                          document_no=body.document_no, document_date=body.document_date,
                          share_parts=body.share_parts)
    return _written([payee], household_id, session, user, response)


@router.post("/households/{household_id}/payments", response_model=WriteResultOut,
             status_code=201, responses=WRITE_ERRORS, summary="Pay or deposit for a payee")
def post_household_payment(household_id: Id, body: HouseholdPaymentIn, user: CaseWriter,
                           session: SessionDep, response: Response, if_match: IfMatch = None,
                           idempotency_key: IdempotencyKey = None) -> WriteResultOut:
    """Never above the payee's open share; a deposit needs its deposit account."""
    version = version_from(if_match, body.version, required=False)
    with committed(session):
        result = record_household_payment(
            session, household_id, body.payee_id, body.amount_vnd, body.paid_on,
            kind=body.kind, method=body.method, deposit_account=body.deposit_account,
            voucher_no=body.voucher_no, note=body.note, case_id=body.case_id,
            actor_id=user.id, expected_version=version, idempotency_key=idempotency_key)
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return _written(list(result.payment_ids), household_id, session, user, response)
