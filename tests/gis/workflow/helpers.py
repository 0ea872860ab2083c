"""Helpers for workflow tests: fixed dates and the ``World`` the ``world`` fixture builds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.domain import CaseStep, EventKind
from gis.workflow import record_payment, record_side_event, record_step, set_approved_amounts
from gis.workflow.service import EventResult
from tests.papers import consultation_kwargs, step_kwargs

TODAY = dt.date(2026, 11, 21)
D = dt.date
NOTICE = D(2025, 3, 5)
APPROVED = D(2025, 5, 20)
def square(x0: float, y0: float, side: float = 50) -> str:
    """A square multipolygon in EPSG:9215, as EWKT."""
    ring = [(x0, y0), (x0 + side, y0), (x0 + side, y0 + side), (x0, y0 + side), (x0, y0)]
    return "SRID=9215;MULTIPOLYGON(((" + ",".join(f"{x} {y}" for x, y in ring) + ")))"


@dataclass
class World:
    """Ids of the rows a test works with."""

    session: Session
    project: int
    agri_case: int
    resid_case: int
    staff: int
    leader: int
    field: int
    outsider: int

    def version(self, case_id: int) -> int:
        """The case's current version, read from the database."""
        return int(self.session.execute(text("SELECT version FROM clearance_cases WHERE id = :c"),
                                        {"c": case_id}).scalar_one())

    def case_row(self, case_id: int) -> Any:
        """The case row as it is in the database."""
        return self.session.execute(text("SELECT * FROM clearance_cases WHERE id = :c"),
                                    {"c": case_id}).one()

    def step(self, case_id: int, to: CaseStep, on: dt.date, **kw: Any) -> EventResult:
        """record_step as staff with the current version and a fixed today; a step that is
        not a decision carries its minutes (or receipt) dated ``on``."""
        if to in set(CaseStep):
            current = CaseStep(self.case_row(case_id).step)
            for name, value in step_kwargs(CaseStep(to), on,
                                           paid=current == CaseStep.PAID).items():
                kw.setdefault(name, value)
        kw.setdefault("expected_version", self.version(case_id))
        kw.setdefault("actor_id", self.staff)
        kw.setdefault("today", TODAY)
        return record_step(self.session, case_id, to, occurred_on=on, **kw)

    def decision(self, case_id: int, to: CaseStep, on: dt.date, no: str,
                 **kw: Any) -> EventResult:
        """A step that is a signed decision dated the day it happened."""
        return self.step(case_id, to, on, decision_no=no, decision_date=on, **kw)

    def side(self, case_id: int, kind: EventKind, on: dt.date, **kw: Any) -> EventResult:
        """record_side_event as staff with a fixed today."""
        kw.setdefault("actor_id", self.staff)
        kw.setdefault("today", TODAY)
        return record_side_event(self.session, case_id, kind, occurred_on=on, **kw)

    def consult(self, case_id: int, posted: dt.date, held: dt.date | None = None) -> None:
        """The posting end minutes (30 days; 10 from 2026) and the consultation after."""
        kw = consultation_kwargs(posted, held)
        self.side(case_id, EventKind.CONSULTATION, kw.pop("occurred_on"), **kw)

    def to_approved(self, case_id: int, *, notice: dt.date = NOTICE,
                    approved: dt.date = APPROVED, total: int = 1_000_000_000) -> None:
        """Walk a case from not_started to plan_approved, with approved amounts."""
        self.decision(case_id, CaseStep.NOTIFIED, notice, "12/TB-UBND")
        self.step(case_id, CaseStep.INVENTORIED, notice + dt.timedelta(days=20))
        posted = notice + dt.timedelta(days=30)
        self.step(case_id, CaseStep.PLAN_POSTED, posted)
        self.consult(case_id, posted, min(approved, posted + dt.timedelta(days=40)))
        self.decision(case_id, CaseStep.PLAN_APPROVED, approved, "45/QĐ-UBND")
        set_approved_amounts(self.session, case_id, expected_version=self.version(case_id),
                             land=total - 300_000_000, structures=200_000_000,
                             crops=50_000_000, support=50_000_000, resettlement=0,
                             actor_id=self.staff, occurred_on=approved, today=TODAY)

    def pay(self, case_id: int, amount: int, on: dt.date, **kw: Any) -> Any:
        """record_payment as staff with a fixed today."""
        kw.setdefault("actor_id", self.staff)
        kw.setdefault("today", TODAY)
        return record_payment(self.session, case_id, amount, on, kw.pop("method", "transfer"),
                              **kw)
