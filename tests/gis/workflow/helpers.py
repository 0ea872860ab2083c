"""Helpers for workflow tests: fixed dates and the ``World`` the ``world`` fixture builds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.compensation.ledger import record_payment
from gis.compensation.plan import DecisionResult, ItemInput, record_decision
from gis.core.domain import CaseStep, EventKind, ItemKind
from gis.workflow import record_side_event, record_step
from gis.workflow.service import EventResult
from tests.papers import consultation_kwargs, signer_on, step_kwargs

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
        self.plan(case_id, [
            item(case_id, ItemKind.LAND, total - 300_000_000),
            item(case_id, ItemKind.STRUCTURES, 200_000_000),
            item(case_id, ItemKind.CROPS, 50_000_000),
            item(case_id, ItemKind.SUPPORT_JOB, 50_000_000)], on=approved)

    def household(self, case_id: int) -> int:
        """The (first) household record covering the case."""
        return int(self.session.execute(text(
            "SELECT min(household_id) FROM compensation_household_cases WHERE case_id = :c"),
            {"c": case_id}).scalar_one())

    def household_version(self, household_id: int) -> int:
        """The household record's current version."""
        return int(self.session.execute(text(
            "SELECT version FROM compensation_households WHERE id = :h"),
            {"h": household_id}).scalar_one())

    def payee(self, case_id: int) -> int:
        """The first payee of the case's household (its land user)."""
        return int(self.session.execute(text(
            "SELECT min(id) FROM compensation_payees WHERE household_id = :h"),
            {"h": self.household(case_id)}).scalar_one())

    def plan(self, case_id: int, items: list[ItemInput], *, on: dt.date = APPROVED,
             no: str = "45/QĐ-UBND", **kw: Any) -> DecisionResult:
        """record_decision (an approval by default) for the case's household."""
        household = kw.pop("household_id", None) or self.household(case_id)
        kw.setdefault("kind", "approval")
        kw.setdefault("actor_id", self.staff)
        kw.setdefault("today", TODAY)
        kw.setdefault("expected_version", self.household_version(household))
        signer = kw.pop("signer_override", None) or signer_on(on)
        return record_decision(self.session, household, decision_no=no, decision_date=on,
                               signer=signer, items=items, **kw)

    def pay(self, case_id: int, amount: int, on: dt.date, **kw: Any) -> Any:
        """record_payment as staff with a fixed today, to the household's land user."""
        kw.setdefault("actor_id", self.staff)
        kw.setdefault("today", TODAY)
        kw.setdefault("payee_id", self.payee(case_id))
        method = kw.pop("method", "transfer")
        if method == "treasury_deposit":
            kw.setdefault("deposit_account", "3761.0.1234567 KBNN Lạng Sơn")
        return record_payment(self.session, case_id, amount, on, method, **kw)


def item(case_id: int, kind: ItemKind, amount: int, **kw: Any) -> ItemInput:
    """A line item of one lump sum (quantity 1 × amount)."""
    kw.setdefault("unit", "khoản")
    kw.setdefault("legal_ground", "Luật Đất đai 2024 Điều 95; QĐ 25/2024/QĐ-UBND")
    kw.setdefault("description", None)
    return ItemInput(case_id, kind, quantity=kw.pop("quantity", 1), unit_price_vnd=amount,
                     **kw)
