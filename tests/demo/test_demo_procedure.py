"""The loaded demo satisfies the procedure of revision 0009: each case's steps up to the
recovery decision replay through the pure rules (documents, issuers, consultation,
notice periods of the act's date, resettlement), and the register holds a late complaint."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import Engine, text

from gis.core.domain import CaseStep, EventKind
from gis.core.landuse import LandGroup
from gis.workflow.facts import CaseFacts, SideRecord, StepRecord
from gis.workflow.paperwork import DocKind, DocumentRef
from gis.workflow.rules import STATUTORY_RULE_BOOK
from gis.workflow.transitions import StepRequest, check_transition

CHECKED = frozenset({CaseStep.NOTIFIED, CaseStep.INVENTORIED, CaseStep.PLAN_POSTED,
                     CaseStep.PLAN_APPROVED, CaseStep.DECIDED})
TODAY = dt.date(2026, 11, 21)


def _rows(engine: Engine, sql: str) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql)))


def test_demo_steps_replay_through_the_rules(demo_engine: Engine) -> None:
    docs: dict[int, list[DocumentRef]] = defaultdict(list)
    for r in _rows(demo_engine, "SELECT event_id, kind, doc_no, doc_date FROM event_documents"):
        docs[r.event_id].append(DocumentRef(DocKind(r.kind), r.doc_no, r.doc_date))
    cases = {r.id: r for r in _rows(demo_engine, """
        SELECT c.id, c.resettlement_needed, t.land_group, m.name AS commune,
               (SELECT min(a.allocated_on) FROM resettlement_allocations a
                WHERE a.case_id = c.id AND a.released_on IS NULL) AS ready_on
        FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
        JOIN land_use_types t ON t.code = p.land_use_code
        JOIN communes m ON m.code = p.commune_code""")}
    events = _rows(demo_engine, "SELECT * FROM case_events ORDER BY case_id, occurred_on, id")
    facts: dict[int, CaseFacts] = {}
    checked = 0
    for e in events:
        case = cases[e.case_id]
        now = facts.get(e.case_id) or CaseFacts(
            CaseStep.NOT_STARTED, LandGroup(case.land_group), commune_name=case.commune,
            resettlement_needed=case.resettlement_needed, resettlement_ready_on=case.ready_on)
        if e.kind == EventKind.STEP and e.step_to in CHECKED and e.step_from != CaseStep.PAID:
            req = StepRequest(CaseStep(e.step_to), e.occurred_on, e.decision_no,
                              e.decision_date, e.signer, issuer_level=e.issuer_level,
                              issuer_unit=e.issuer_unit, documents=tuple(docs[e.id]))
            out = check_transition(now, req, STATUTORY_RULE_BOOK, TODAY)
            assert out.step_to == e.step_to, e.id
            checked += 1
        if e.kind == EventKind.STEP:
            record = StepRecord(CaseStep(e.step_from), CaseStep(e.step_to), e.occurred_on,
                                e.decision_date)
            now = CaseFacts(**{**now.__dict__, "step": CaseStep(e.step_to),
                               "history": (*now.history, record)})
        else:
            side = SideRecord(EventKind(e.kind), e.occurred_on, e.decision_date,
                              tuple(docs[e.id]))
            now = CaseFacts(**{**now.__dict__, "side": (*now.side, side)})
        facts[e.case_id] = now
    assert checked > 5000


def test_demo_register_has_a_late_complaint(demo_engine: Engine) -> None:
    rows = _rows(demo_engine, "SELECT is_late, late_days, outcome, received_on,"
                              " decision_received_on FROM complaints")
    assert rows and sum(r.is_late for r in rows) >= 1
    assert all((r.received_on - r.decision_received_on).days > 90 for r in rows if r.is_late)
    assert any(r.outcome is None for r in rows) and any(r.outcome for r in rows)
