"""Household compensation records and their money as it stands: plan in force, payee
shares, what each payee received or had deposited, late-payment interest.

A decision is in force unless a later amending decision replaced it; the approved plan is
the line items of the decisions in force. A household is paid when paid + deposited =
approved and approved > 0.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gis.compensation.arithmetic import (
    Entry,
    EntryInterest,
    RatePeriod,
    Tranche,
    accruing_interest,
    late_interest,
    split_shares,
)
from gis.core.domain import LedgerKind
from gis.core.errors import Conflict, NotFound
from gis.models import (
    CompensationDecision,
    CompensationHousehold,
    HouseholdCase,
    LatePaymentRate,
    LineItem,
    Payee,
    Payment,
)
from gis.workflow.rules import RuleKey, load_rule_book


@dataclass(frozen=True)
class PayeeMoney:
    """One payee: share of the approved plan, received, deposited, interest."""

    payee: Payee
    share_vnd: int
    paid_vnd: int
    deposited_vnd: int
    interest_vnd: int

    @property
    def outstanding_vnd(self) -> int:
        """What this payee may still receive."""
        return self.share_vnd - self.paid_vnd - self.deposited_vnd


@dataclass(frozen=True)
class HouseholdMoney:
    """A household record with its plan in force, payees and ledger."""

    household: CompensationHousehold
    case_ids: tuple[int, ...]
    decisions: tuple[CompensationDecision, ...]  # every decision, oldest first
    in_force: tuple[CompensationDecision, ...]
    items: tuple[LineItem, ...]  # the items of the decisions in force
    payees: tuple[PayeeMoney, ...]
    entries: tuple[Payment, ...]
    interest: tuple[EntryInterest, ...]
    accruing_interest_vnd: int
    approved_by_case: dict[int, int] = field(default_factory=dict)
    settled_by_case: dict[int, int] = field(default_factory=dict)

    @property
    def approved_vnd(self) -> int:
        """Total of the plan in force."""
        return sum(i.amount_vnd for i in self.items)

    @property
    def paid_vnd(self) -> int:
        """Handed to payees (net of reversals)."""
        return sum(p.amount_vnd for p in self.entries if p.kind == LedgerKind.PAYMENT)

    @property
    def deposited_vnd(self) -> int:
        """Deposited for payees (net of reversals)."""
        return sum(p.amount_vnd for p in self.entries if p.kind == LedgerKind.DEPOSIT)

    @property
    def outstanding_vnd(self) -> int:
        """Approved, neither paid nor deposited."""
        return self.approved_vnd - self.paid_vnd - self.deposited_vnd

    @property
    def is_paid(self) -> bool:
        """Paid + deposited = approved, with approved > 0."""
        return self.approved_vnd > 0 and self.outstanding_vnd == 0

    @property
    def interest_vnd(self) -> int:
        """Late-payment interest owed with the entries made so far."""
        return sum(i.interest_vnd for i in self.interest)

    def payee(self, payee_id: int) -> PayeeMoney | None:
        """The payee ``payee_id`` of this household."""
        return next((p for p in self.payees if p.payee.id == payee_id), None)


def household_not_found(household_id: int) -> NotFound:
    """The household record does not exist."""
    return NotFound(f"household {household_id} not found", message_vi="Không tìm thấy hồ sơ "
                    "bồi thường theo hộ số {household}.", params={"household": str(household_id)},
                    reason="household_not_found")


def stale_household(current: int, expected: int) -> Conflict:
    """A change based on a stale copy of the household record."""
    return Conflict(f"household at version {current}, not {expected}", message_vi="Hồ sơ bồi "
                    "thường của hộ đã được người khác cập nhật (phiên bản hiện tại {current}, "
                    "bạn đang sửa phiên bản {expected}). Vui lòng tải lại.",
                    params={"current": str(current), "expected": str(expected)},
                    reason="stale_version", current_version=current,
                    expected_version=expected)


def in_force(decisions: list[CompensationDecision]) -> list[CompensationDecision]:
    """Decisions no amending decision replaced."""
    replaced = {d.amends_decision_id for d in decisions if d.amends_decision_id is not None}
    return [d for d in decisions if d.id not in replaced]


def origin_date(decision: CompensationDecision, by_id: dict[int, CompensationDecision]
                ) -> dt.date:
    """The date of the first decision of an amendment chain (money is due from it)."""
    while decision.amends_decision_id is not None:
        decision = by_id[decision.amends_decision_id]
    return decision.decision_date


def load_rates(session: Session) -> list[RatePeriod]:
    """The late-payment rate table."""
    return [RatePeriod(r.effective_from, r.rate_ppm_per_day, r.legal_reference)
            for r in session.scalars(select(LatePaymentRate)
                                     .order_by(LatePaymentRate.effective_from))]


def effective_entries(entries: list[Payment]) -> list[Payment]:
    """Entries without the reversed ones and their reversals (for interest)."""
    reversed_ids = {p.reverses_payment_id for p in entries if p.reverses_payment_id}
    return [p for p in entries if p.reverses_payment_id is None and p.id not in reversed_ids]


def load_household(session: Session, household_id: int, *, today: dt.date,
                   lock: bool = False) -> HouseholdMoney:
    """The household's money as it stands (``lock``: the record row FOR UPDATE)."""
    household = session.get(CompensationHousehold, household_id, with_for_update=lock,
                            populate_existing=lock)
    if household is None:
        raise household_not_found(household_id)
    case_ids = tuple(session.scalars(select(HouseholdCase.case_id).where(
        HouseholdCase.household_id == household_id).order_by(HouseholdCase.case_id)))
    decisions = list(session.scalars(select(CompensationDecision).where(
        CompensationDecision.household_id == household_id).order_by(
        CompensationDecision.decision_date, CompensationDecision.id)))
    current = in_force(decisions)
    items = list(session.scalars(select(LineItem).where(
        LineItem.decision_id.in_([d.id for d in current])).order_by(LineItem.id)))
    payees = list(session.scalars(select(Payee).where(Payee.household_id == household_id)
                                  .order_by(Payee.id)))
    entries = list(session.scalars(select(Payment).where(Payment.household_id == household_id)
                                   .order_by(Payment.paid_on, Payment.id)))
    approved = sum(i.amount_vnd for i in items)
    shares = split_shares(approved, [p.share_parts for p in payees])
    by_id = {d.id: d for d in decisions}
    book = load_rule_book(session)
    tranches = []
    for d in current:
        start = origin_date(d, by_id)
        limit = book.for_date(start).limit(RuleKey.PAYMENT_AFTER_APPROVAL)
        tranches.append(Tranche(d.id, d.total_vnd, limit.due(start)))
    rates = load_rates(session)
    interest = late_interest(tranches, [Entry(p.id, p.payee_id, p.paid_on, p.amount_vnd)
                                        for p in effective_entries(entries)], rates)
    settled = sum(p.amount_vnd for p in entries)
    per_payee: dict[int | None, list[int]] = defaultdict(lambda: [0, 0, 0])
    for p in entries:
        per_payee[p.payee_id][0 if p.kind == LedgerKind.PAYMENT else 1] += p.amount_vnd
    for line in interest:
        per_payee[line.payee_id][2] += line.interest_vnd
    approved_by_case: dict[int, int] = defaultdict(int)
    for i in items:
        approved_by_case[i.case_id] += i.amount_vnd
    settled_by_case: dict[int, int] = defaultdict(int)
    for p in entries:
        settled_by_case[p.case_id] += p.amount_vnd
    return HouseholdMoney(
        household, case_ids, tuple(decisions), tuple(current), tuple(items),
        tuple(PayeeMoney(p, s, *per_payee[p.id]) for p, s in zip(payees, shares, strict=True)),
        tuple(entries), tuple(interest), accruing_interest(tranches, settled, today, rates),
        dict(approved_by_case), dict(settled_by_case))


def case_households(session: Session, case_id: int) -> list[int]:
    """Ids of the household records covering ``case_id``."""
    return list(session.scalars(select(HouseholdCase.household_id).where(
        HouseholdCase.case_id == case_id).order_by(HouseholdCase.household_id)))


def open_household_records(session: Session, *, case_ids: Sequence[int] = (),
                           parcel_ids: Sequence[int] = (), project_id: int | None = None
                           ) -> int:
    """Open the missing household records of the land users of the chosen cases (by id, by
    parcel, or every case of a project), with the land user as payee, and link them to the
    cases. Set-based and idempotent; imports and the case page call it. Returns how many
    records were opened."""
    arms = [sql for sql, given in (("c.id = ANY(:cases)", case_ids),
                                   ("c.parcel_id = ANY(:parcels)", parcel_ids),
                                   ("c.project_id = :project", project_id is not None))
            if given]
    if not arms:
        return 0
    where = " OR ".join(arms)
    params = {"cases": list(case_ids), "parcels": list(parcel_ids), "project": project_id}
    opened = session.execute(text(f"""
        INSERT INTO compensation_households (project_id, land_user_id)
        SELECT DISTINCT c.project_id, pu.land_user_id FROM clearance_cases c
        JOIN parcel_land_users pu ON pu.parcel_id = c.parcel_id WHERE {where}
        ON CONFLICT (project_id, land_user_id) DO NOTHING RETURNING id"""), params).all()
    session.execute(text(f"""
        INSERT INTO compensation_household_cases (household_id, case_id)
        SELECT h.id, c.id FROM clearance_cases c
        JOIN parcel_land_users pu ON pu.parcel_id = c.parcel_id
        JOIN compensation_households h
            ON h.project_id = c.project_id AND h.land_user_id = pu.land_user_id
        WHERE {where} ON CONFLICT DO NOTHING"""), params)
    session.execute(text(f"""
        INSERT INTO compensation_payees (household_id, kind, land_user_id, full_name)
        SELECT DISTINCT h.id, CAST('land_user' AS payee_kind), u.id, u.full_name
        FROM clearance_cases c
        JOIN compensation_household_cases hc ON hc.case_id = c.id
        JOIN compensation_households h ON h.id = hc.household_id
        JOIN land_users u ON u.id = h.land_user_id
        WHERE ({where})
          AND NOT EXISTS (SELECT 1 FROM compensation_payees y WHERE y.household_id = h.id)"""),
                    params)
    return len(opened)


def ensure_case_households(session: Session, case_id: int) -> list[int]:
    """Open the missing household records of the case's land users and link them to the
    case; returns the records covering the case."""
    open_household_records(session, case_ids=[case_id])
    return case_households(session, case_id)
