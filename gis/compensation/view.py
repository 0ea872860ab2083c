"""A household record as pages, the API and reports show it: who, which parcels, the
decisions with their line items, payees with shares, the ledger with interest."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.access.scope import Scope, require_case
from gis.compensation.arithmetic import EntryInterest
from gis.compensation.records import (
    HouseholdMoney,
    PayeeMoney,
    case_households,
    household_not_found,
    load_household,
)
from gis.core.domain import CaseStep, LandUserKind
from gis.core.errors import NotFound
from gis.models import (
    ClearanceCase,
    CompensationDecision,
    HouseholdCase,
    LandUser,
    LineItem,
    Parcel,
    Payment,
    Project,
)


@dataclass(frozen=True)
class CaseRef:
    """A parcel covered by the household record."""

    case_id: int
    commune_code: str
    sheet_no: int
    parcel_no: int
    step: CaseStep
    approved_vnd: int  # this household's part of the case's plan
    settled_vnd: int  # paid + deposited to this household on the case


@dataclass(frozen=True)
class DecisionView:
    """A decision, its line items, and whether it is still in force."""

    decision: CompensationDecision
    items: tuple[LineItem, ...]
    in_force: bool
    replaced_by: int | None


@dataclass(frozen=True)
class EntryView:
    """A ledger entry with the payee's name and its late-payment interest."""

    entry: Payment
    payee_name: str
    interest: EntryInterest | None


@dataclass(frozen=True)
class HouseholdView:
    """Everything a household page shows."""

    money: HouseholdMoney
    land_user: LandUser
    project_code: str
    project_name: str
    cases: tuple[CaseRef, ...]
    decisions: tuple[DecisionView, ...]
    entries: tuple[EntryView, ...]

    @property
    def payees(self) -> tuple[PayeeMoney, ...]:
        """Payees with their shares and what they received."""
        return self.money.payees

    @property
    def is_organisation(self) -> bool:
        """An organisation's record (its decisions are the province's)."""
        return self.land_user.kind == LandUserKind.ORGANISATION


def require_household(session: Session, scope: Scope, household_id: int) -> None:
    """NotFound unless one of the record's cases is within ``scope`` (as for cases, ids
    outside it cannot be probed)."""
    cases = list(session.scalars(select(HouseholdCase.case_id).where(
        HouseholdCase.household_id == household_id).order_by(HouseholdCase.case_id)))
    for case_id in cases:
        try:
            require_case(session, scope, case_id)
            return
        except NotFound:
            continue
    raise household_not_found(household_id)


def household_view(session: Session, household_id: int, today: dt.date) -> HouseholdView:
    """The household record ``household_id`` as it stands today."""
    money = load_household(session, household_id, today=today)
    hh = money.household
    user = session.get(LandUser, hh.land_user_id)
    project = session.get(Project, hh.project_id)
    assert user is not None and project is not None
    rows = session.execute(select(ClearanceCase, Parcel).join(
        Parcel, Parcel.id == ClearanceCase.parcel_id).where(
        ClearanceCase.id.in_(money.case_ids)).order_by(ClearanceCase.id)).all()
    cases = tuple(CaseRef(c.id, p.commune_code, p.sheet_no, p.parcel_no, c.step,
                          money.approved_by_case.get(c.id, 0),
                          money.settled_by_case.get(c.id, 0)) for c, p in rows)
    ids = [d.id for d in money.decisions]
    items = list(session.scalars(select(LineItem).where(LineItem.decision_id.in_(ids))
                                 .order_by(LineItem.id))) if ids else []
    live = {d.id for d in money.in_force}
    replaced = {d.amends_decision_id: d.id for d in money.decisions if d.amends_decision_id}
    decisions = tuple(DecisionView(d, tuple(i for i in items if i.decision_id == d.id),
                                   d.id in live, replaced.get(d.id))
                      for d in money.decisions)
    names = {p.payee.id: p.payee.full_name for p in money.payees}
    interest = {i.entry_id: i for i in money.interest}
    entries = tuple(EntryView(e, names.get(e.payee_id or 0, "—"), interest.get(e.id))
                    for e in money.entries)
    return HouseholdView(money, user, project.code, project.name, cases, decisions, entries)


def case_household_views(session: Session, case_id: int, today: dt.date
                         ) -> list[HouseholdView]:
    """The household records covering a case."""
    return [household_view(session, h, today) for h in case_households(session, case_id)]
