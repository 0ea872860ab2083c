"""History views: what happened to a case, and what a user did (read-only).

Combines the append-only case events and payment ledger with the audit log (before/after
images written by the database trigger). Geometry columns are left out of the images.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gis.access.scope import Scope
from gis.core.errors import NotFound
from gis.core.text import fmt_vnd
from gis.models import (
    AuditEntry,
    CaseEvent,
    ClearanceCase,
    Parcel,
    Payment,
    ResettlementAllocation,
    User,
)

GEOMETRY_KEYS = frozenset({"geom", "recovered_geom", "footprint", "centreline", "boundary",
                           "centre"})


@dataclass(frozen=True)
class HistoryEntry:
    """One thing that happened: a recorded event or payment, or an audited change."""

    at: dt.datetime
    source: str  # "event", "payment" or "audit"
    table: str
    row_key: str
    action: str  # I(nsert), U(pdate), D(elete)
    actor: str | None
    case_id: int | None
    summary: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def _image(row: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if row is None else {k: v for k, v in row.items() if k not in GEOMETRY_KEYS}


def _event_entry(e: CaseEvent, actor: str | None) -> HistoryEntry:
    what = f"{e.step_from.value} → {e.step_to.value}" if e.step_to and e.step_from else (
        e.kind.value)
    summary = " ".join(x for x in (what, e.decision_no or "", e.note or "") if x)
    return HistoryEntry(e.recorded_at, "event", "case_events", str(e.id), "I", actor,
                        e.case_id, summary, None, None)


def _payment_entry(p: Payment, actor: str | None) -> HistoryEntry:
    kind = "đảo bút toán" if p.reverses_payment_id else "chi trả"
    return HistoryEntry(p.recorded_at, "payment", "payments", str(p.id), "I", actor, p.case_id,
                        f"{kind} {fmt_vnd(p.amount_vnd)} ngày {p.paid_on.isoformat()}", None,
                        None)


def _audit_entry(a: AuditEntry, case_id: int | None) -> HistoryEntry:
    return HistoryEntry(a.at, "audit", a.table_name, a.row_key or "", a.action, a.actor,
                        case_id, f"{a.table_name} #{a.row_key} ({a.action})", _image(a.before),
                        _image(a.after))


def _usernames(session: Session) -> dict[int, str]:
    return {uid: name for uid, name in session.execute(select(User.id, User.username))}


def case_history(session: Session, case_id: int, *, limit: int, offset: int
                 ) -> tuple[int, list[HistoryEntry]]:
    """Everything recorded about a case, newest first: (total, one page)."""
    names = _usernames(session)
    entries = [_event_entry(e, names.get(e.recorded_by or 0)) for e in session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case_id))]
    entries += [_payment_entry(p, names.get(p.recorded_by or 0)) for p in session.scalars(
        select(Payment).where(Payment.case_id == case_id))]
    allocation_ids = [str(i) for i in session.scalars(select(ResettlementAllocation.id).where(
        ResettlementAllocation.case_id == case_id))]
    audit = session.scalars(select(AuditEntry).where(or_(
        (AuditEntry.table_name == "clearance_cases") & (AuditEntry.row_key == str(case_id)),
        (AuditEntry.table_name == "resettlement_allocations")
        & AuditEntry.row_key.in_(allocation_ids))))
    entries += [_audit_entry(a, case_id) for a in audit]
    entries.sort(key=lambda h: (h.at, h.source, h.row_key), reverse=True)
    return len(entries), entries[offset:offset + limit]


def user_history(session: Session, username: str, *, limit: int, offset: int,
                 scope: Scope) -> tuple[int, list[HistoryEntry]]:
    """Everything a user recorded or changed, newest first: (total, one page). A reader
    limited by ``scope`` sees only what concerns the cases in it."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"user {username!r} not found", message_vi="Không tìm thấy tài khoản "
                       "'{username}'.", params={"username": username}, reason="user_not_found")
    entries = [_event_entry(e, username) for e in session.scalars(
        select(CaseEvent).where(CaseEvent.recorded_by == user.id))]
    entries += [_payment_entry(p, username) for p in session.scalars(
        select(Payment).where(Payment.recorded_by == user.id))]
    for a in session.scalars(select(AuditEntry).where(AuditEntry.actor == username)):
        case_id = int(a.row_key) if a.table_name == "clearance_cases" and a.row_key else None
        entries.append(_audit_entry(a, case_id))
    if not scope.unrestricted:
        visible = set(session.scalars(
            select(ClearanceCase.id).join(Parcel, Parcel.id == ClearanceCase.parcel_id)
            .where(ClearanceCase.id.in_({h.case_id for h in entries if h.case_id}),
                   scope.case_clause())))
        entries = [h for h in entries if h.case_id in visible]
    entries.sort(key=lambda h: (h.at, h.source, h.row_key), reverse=True)
    return len(entries), entries[offset:offset + limit]


__all__ = ["HistoryEntry", "case_history", "user_history"]
