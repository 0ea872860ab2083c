"""Recording steps and side events of a clearance case.

Transactions: every function here runs inside the caller's transaction, in a SAVEPOINT of
its own. On success nothing is committed yet: the caller commits (``with
session.begin(): record_step(...)``), which lets a bulk import apply many rows in one
transaction. On failure only this call's work is rolled back and the session stays usable.

Every write locks the case row, checks the actor and, when given, ``expected_version``
(a stale one raises ``Conflict`` with the current version), appends one ``case_events``
row carrying the rule version it was checked against, bumps the case's version, and sets
``gpmb.actor`` for the audit trigger. A repeated ``idempotency_key`` returns the first
result and writes nothing; the same key with a different request is a ``Conflict``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.core.calendar import local_today
from gis.core.domain import CaseStep, EventKind
from gis.models import CaseEvent, ClearanceCase, Complaint, EventDocument, RecoveryException
from gis.workflow.authority import Issuer
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
from gis.workflow.paperwork import DocumentRef
from gis.workflow.rules import load_rule_book
from gis.workflow.side_events import SideOutcome, SideRequest, check_side_event
from gis.workflow.transitions import StepRequest, check_transition


@dataclass(frozen=True)
class EventResult:
    """A recorded event and the case as it stands afterwards."""

    event_id: int
    case_id: int
    kind: EventKind
    step: CaseStep
    version: int
    rule_version: str | None
    replayed: bool = False
    complaint_id: int | None = None
    handover_due: dt.date | None = None


def find_event(session: Session, key: str | None, user_id: int) -> CaseEvent | None:
    """The event ``user_id`` recorded earlier under idempotency ``key`` (keys are each
    user's own: another user's key never replays their answer)."""
    if key is None:
        return None
    return session.scalars(select(CaseEvent).where(
        CaseEvent.idempotency_key == key, CaseEvent.recorded_by == user_id)).first()


def replay(event: CaseEvent, case: ClearanceCase) -> EventResult:
    """The answer to a repeated request: the first event, and the case as it is now."""
    return EventResult(event.id, case.id, event.kind, case.step, case.version,
                       event.rule_version, replayed=True)


def _same_step(event: CaseEvent, case_id: int, req: StepRequest) -> bool:
    # Asking for 'decided' when already paid records 'decided_paid': the same request.
    targets = {req.to_step}
    if req.to_step in {CaseStep.DECIDED, CaseStep.PAID}:
        targets.add(CaseStep.DECIDED_PAID)
    return (event.case_id == case_id and event.kind == EventKind.STEP
            and event.step_to in targets
            and (event.occurred_on, event.decision_no, event.decision_date, event.signer,
                 event.note) == (req.occurred_on, req.decision_no, req.decision_date,
                                 req.signer, req.note))


def record_step(
    session: Session, case_id: int, to_step: CaseStep, *, expected_version: int,
    occurred_on: dt.date, decision_no: str | None = None, decision_date: dt.date | None = None,
    signer: str | None = None, note: str | None = None, actor_id: int,
    idempotency_key: str | None = None,
    issuer_level: str | None = None, issuer_unit: str | None = None,
    documents: Sequence[DocumentRef] = (), today: dt.date | None = None,
) -> EventResult:
    """Move a case to ``to_step`` (see ``transitions.MOVES``), checked against the rules.

    ``decision_no`` / ``decision_date`` are the step's main document, ``documents`` the
    supporting ones (``paperwork.DocumentRef``), ``issuer_*`` the issuing body of a
    decision (else read from ``signer``). "Paid" needs paid + deposited = approved
    (``transitions.check_settled``). ``today``
    defaults to today's date in Vietnam.
    """
    today = today or local_today()
    key = clean_key(idempotency_key)
    req = StepRequest(parse_enum(CaseStep, to_step, "to_step"), occurred_on, decision_no,
                      decision_date, signer, note, issuer_level, issuer_unit,
                      tuple(documents)).cleaned()
    with translate_db_errors(), session.begin_nested():
        case = lock_case(session, case_id)
        user = act_as(session, actor_id, case, field_may=req.to_step == CaseStep.HANDED_OVER)
        earlier = find_event(session, key, user.id)
        if earlier is not None:
            if not _same_step(earlier, case_id, req):
                raise idempotency_conflict()
            return replay(earlier, case)
        check_version(case, expected_version)
        outcome = check_transition(load_facts(session, case), req, load_rule_book(session),
                                   today)
        event = CaseEvent(
            case_id=case.id, kind=EventKind.STEP, step_from=outcome.step_from,
            step_to=outcome.step_to, occurred_on=req.occurred_on, decision_no=req.decision_no,
            decision_date=req.decision_date, signer=req.signer, note=req.note,
            rule_version=outcome.rule_version, recorded_by=user.id, idempotency_key=key,
            **_issuer_columns(outcome.issuer))
        session.add(event)
        session.flush()
        _add_documents(session, event, req.documents)
        case.step = outcome.step_to
        case.step_changed_on = req.occurred_on
        if outcome.step_to == CaseStep.HANDED_OVER:
            case.handover_date = req.occurred_on
        session.flush()
        return EventResult(event.id, case.id, event.kind, case.step, case.version,
                           event.rule_version)


def _issuer_columns(issuer: Issuer | None) -> dict[str, str | None]:
    return {"issuer_level": issuer.level.value if issuer else None,
            "issuer_unit": issuer.unit if issuer else None}


def _add_documents(session: Session, event: CaseEvent, docs: Sequence[DocumentRef]) -> None:
    for doc in docs:
        session.add(EventDocument(event_id=event.id, case_id=event.case_id, kind=doc.kind.value,
                                  doc_no=doc.doc_no, doc_date=doc.doc_date,
                                  signed_by=doc.signed_by))


def _add_registers(session: Session, event: CaseEvent, outcome: SideOutcome) -> int | None:
    """The complaint register, recorded exceptions; returns the complaint's id."""
    req = outcome.request
    if outcome.complaint is not None:
        entry = outcome.complaint
        row = Complaint(case_id=event.case_id, filed_event_id=event.id,
                        complainant=req.complainant, received_on=req.occurred_on,
                        against=entry.against, decision_received_on=entry.decision_received_on,
                        round=entry.round, due_on=entry.due_on, late_days=entry.late_days,
                        rule_version=entry.rule_version)
        session.add(row)
        session.flush()
        return row.id
    if outcome.resolves_complaint is not None:
        open_row = session.get(Complaint, outcome.resolves_complaint, with_for_update=True)
        assert open_row is not None
        open_row.outcome, open_row.outcome_on, open_row.resolved_event_id = (
            req.outcome, req.legal_date, event.id)
        return open_row.id
    if outcome.exception is not None:
        session.add(RecoveryException(
            event_id=event.id, case_id=event.case_id, kind=outcome.exception.value,
            project_kind=req.project_kind, granted_on=req.legal_date,
            consent_pct=None if req.consent_pct is None else Decimal(str(req.consent_pct))))
    return None


def _same_side(event: CaseEvent, case_id: int, req: SideRequest) -> bool:
    return (event.case_id == case_id and event.kind == req.kind
            and (event.occurred_on, event.decision_no, event.decision_date, event.signer,
                 event.note) == (req.occurred_on, req.decision_no, req.decision_date,
                                 req.signer, req.note))


def record_side_event(
    session: Session, case_id: int, kind: EventKind, *, occurred_on: dt.date, actor_id: int,
    expected_version: int | None = None, decision_no: str | None = None,
    decision_date: dt.date | None = None, signer: str | None = None, note: str | None = None,
    at: dt.datetime | None = None, remote_area: bool = False,
    idempotency_key: str | None = None, today: dt.date | None = None,
    issuer_level: str | None = None, issuer_unit: str | None = None,
    documents: Sequence[DocumentRef] = (), exception_kind: str | None = None,
    project_kind: str | None = None, consent_pct: Decimal | float | None = None,
    complainant: str | None = None, against: str | None = None,
    decision_received_on: dt.date | None = None, complaint_id: int | None = None,
    outcome: str | None = None,
) -> EventResult:
    """Record a side event: consultation, renewed notice, recovery exception, compulsory
    inventory, complaint (filed — into the register, late ones flagged — or resolved with
    its ``outcome``), enforcement (decided / executed at ``at``, checked against the
    blackout times / complied with) or a note.

    ``remote_area`` gives a second complaint 45 days instead of 30. ``expected_version`` is
    optional here: a note changes nothing another person could overwrite.
    """
    today = today or local_today()
    key = clean_key(idempotency_key)
    pct = None if consent_pct is None else Decimal(str(consent_pct))
    req = SideRequest(parse_enum(EventKind, kind, "kind"), occurred_on, decision_no,
                      decision_date, signer, note, at, remote_area, issuer_level,
                      issuer_unit, tuple(documents), exception_kind, project_kind, pct,
                      complainant, against, decision_received_on, complaint_id,
                      outcome).cleaned()
    with translate_db_errors(), session.begin_nested():
        case = lock_case(session, case_id)
        user = act_as(session, actor_id, case, field_may=req.kind == EventKind.NOTE)
        earlier = find_event(session, key, user.id)
        if earlier is not None:
            if not _same_side(earlier, case_id, req):
                raise idempotency_conflict()
            return replay(earlier, case)
        check_version(case, expected_version)
        checked = check_side_event(load_facts(session, case), req, load_rule_book(session),
                                   today)
        event = CaseEvent(
            case_id=case.id, kind=req.kind, occurred_on=req.occurred_on,
            decision_no=req.decision_no, decision_date=req.decision_date, signer=req.signer,
            note=req.note, rule_version=checked.rule_version, recorded_by=user.id,
            idempotency_key=key, **_issuer_columns(checked.issuer))
        session.add(event)
        session.flush()
        _add_documents(session, event, req.documents)
        complaint = _add_registers(session, event, checked)
        for name, value in checked.case_updates.items():
            setattr(case, name, value)
        touch(case)  # a note changes no column, yet it bumps the version like any write
        session.flush()
        return EventResult(event.id, case.id, event.kind, case.step, case.version,
                           event.rule_version, complaint_id=complaint,
                           handover_due=checked.handover_due)


def record_note(session: Session, case_id: int, note: str, *, actor_id: int,
                occurred_on: dt.date | None = None, idempotency_key: str | None = None,
                today: dt.date | None = None) -> EventResult:
    """Add a dated note to a case (field staff may do this on site)."""
    today = today or local_today()
    return record_side_event(session, case_id, EventKind.NOTE, occurred_on=occurred_on or today,
                             actor_id=actor_id, note=note, idempotency_key=idempotency_key,
                             today=today)
