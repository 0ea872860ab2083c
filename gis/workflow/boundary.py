"""What every workflow write does at the database boundary: lock the case, check who acts
and the version they saw, find an earlier request with the same idempotency key, and turn
driver errors into domain errors (so a constraint violation never becomes a 500).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from gis.access.scope import check_case_write, load_scope
from gis.core.domain import STEP_ORDER, CaseStep, EventKind, LandUserKind, Role
from gis.core.errors import (
    Conflict,
    DatabaseUnavailable,
    GpmbError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from gis.core.landuse import LandGroup
from gis.models import (
    CaseEvent,
    ClearanceCase,
    Commune,
    Complaint,
    EnforcementBlackout,
    EventDocument,
    LandUser,
    LandUseType,
    Parcel,
    ParcelLandUser,
    Payment,
    RecoveryException,
    ResettlementAllocation,
    User,
)
from gis.workflow.facts import (
    Blackout,
    CaseFacts,
    ComplaintRecord,
    ExceptionKind,
    ExceptionRecord,
    SideRecord,
    StepRecord,
)
from gis.workflow.paperwork import DocKind, DocumentRef

LOCK_TIMEOUT = "10s"
"""How long a write waits for another one on the same case before giving up (409)."""

MAX_KEY_LENGTH = 200

E = TypeVar("E", bound=StrEnum)


@contextmanager
def translate_db_errors() -> Iterator[None]:
    """Re-raise driver and ORM errors as domain errors with Vietnamese messages."""
    try:
        yield
    except StaleDataError as exc:
        raise Conflict("the case was changed concurrently", message_vi="Hồ sơ vừa được người "
                       "khác cập nhật; vui lòng tải lại rồi thử lại.",
                       reason="stale_version") from exc
    except DBAPIError as exc:
        translated = translate_db_error(exc)
        if translated is None:
            raise
        raise translated from exc


def translate_db_error(exc: DBAPIError) -> GpmbError | None:
    """The domain error for a driver error, or None for a genuine bug."""
    state = getattr(exc.orig, "sqlstate", None) or ""
    diag = getattr(exc.orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None) or ""
    if state in {"40001", "40P01", "55P03"}:
        return Conflict(f"concurrent update ({state})", message_vi="Có thao tác khác đang cập "
                        "nhật cùng hồ sơ; vui lòng thử lại.", reason="concurrent_update")
    if state == "GP001":
        return Conflict("history is append-only", message_vi="Lịch sử không được sửa hoặc xoá; "
                        "hãy ghi một bút toán/sự kiện mới.", reason="append_only")
    if state == "23505" and "idempotency_key" in constraint:
        return idempotency_conflict()
    if state == "23505" and "reverses_payment_id" in constraint:
        return Conflict("payment already reversed", message_vi="Khoản chi trả này đã được đảo "
                        "bút toán.", reason="already_reversed")
    if state == "23505":
        return Conflict(f"duplicate ({constraint})", reason="duplicate", constraint=constraint)
    if state == "23514" and "paid_vnd" in constraint:
        return InvalidInput("paid total would go negative", message_vi="Tổng đã chi trả không "
                            "được âm.", reason="paid_negative", constraint=constraint)
    if state in {"23514", "23502", "22003", "22P02", "23503", "23P01"}:
        return InvalidInput(f"rejected by the database ({state} {constraint})",
                            message_vi="Dữ liệu không hợp lệ theo ràng buộc của cơ sở dữ liệu "
                            "({constraint})." if constraint else "Dữ liệu không hợp lệ theo "
                            "ràng buộc của cơ sở dữ liệu.", params={"constraint": constraint},
                            reason="constraint_violation", constraint=constraint)
    if state.startswith("08") or state in {"57P01", "57P02", "57P03"}:
        return DatabaseUnavailable(f"database connection lost ({state})")
    return None


def idempotency_conflict() -> Conflict:
    """The same idempotency key was used for a different request."""
    return Conflict("idempotency key reused with a different request",
                    message_vi="Mã chống gửi trùng (Idempotency-Key) đã được dùng cho một yêu "
                    "cầu khác; hãy dùng mã mới.", reason="idempotency_key_reused")


def check_replayed_reversal(earlier: tuple[int | None, str | None, dt.date], *, of: int,
                            reason: str, on: dt.date | None) -> None:
    """A reversal found by its idempotency key, ``earlier`` = (the entry it reversed, its
    reason, its date), must be this request: reversing entry ``of`` for ``reason`` and, when
    a date is given, ``on`` it (a retry after midnight without a date is still the same
    request); otherwise :func:`idempotency_conflict`."""
    reversed_of, why, day = earlier
    if (reversed_of, why) != (of, reason) or (on is not None and day != on):
        raise idempotency_conflict()


def parse_enum(cls: type[E], value: object, field: str) -> E:
    """``value`` as a member of ``cls``; an unknown value is bad input, not a crash."""
    try:
        return cls(str(value))
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise InvalidInput(f"{field}={value!r} is not one of {allowed}",
                           message_vi="Giá trị '{value}' không hợp lệ; chọn một trong: "
                           "{allowed}.", params={"value": str(value), "allowed": allowed},
                           reason="unknown_value", field=field) from None


def clean_key(key: str | None) -> str | None:
    """Check an idempotency key: 1–200 printable characters."""
    if key is None:
        return None
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput("bad idempotency key", message_vi="Mã chống gửi trùng "
                           "(Idempotency-Key) phải có 1–{most} ký tự.",
                           params={"most": MAX_KEY_LENGTH},
                           reason="bad_idempotency_key", field="idempotency_key")
    return key.strip()


def lock_case(session: Session, case_id: int) -> ClearanceCase:
    """Load the case for update (waiting at most ``LOCK_TIMEOUT`` for other writers)."""
    session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    case = session.get(ClearanceCase, case_id, with_for_update=True, populate_existing=True)
    if case is None:
        raise NotFound(f"case {case_id} not found", message_vi="Không tìm thấy hồ sơ GPMB số "
                       "{case_id}.", params={"case_id": str(case_id)}, reason="case_not_found",
                       case_id=case_id)
    return case


def check_version(case: ClearanceCase, expected: int | None) -> None:
    """Refuse a change based on a stale copy of the case (None: no check requested)."""
    if expected is not None and case.version != expected:
        raise Conflict(
            f"case {case.id} is at version {case.version}, not {expected}",
            message_vi="Hồ sơ đã được cập nhật bởi người khác (phiên bản hiện tại "
            "{current}, bạn đang sửa phiên bản {expected}). Vui lòng tải lại.",
            params={"current": str(case.version), "expected": str(expected)},
            reason="stale_version", current_version=case.version, expected_version=expected,
            current_step=case.step.value)


def act_as(session: Session, actor_id: int, case: ClearanceCase, *,
           field_may: bool = False) -> User:
    """Check that ``actor_id`` may change ``case`` and name them for the audit trigger.

    Leaders read only. Field staff may do only what ``field_may`` allows (notes, on-site
    handover). Everyone acts only within their scope (``gis.access.scope``): field staff on the
    projects/communes assigned to them, staff on theirs when they have any.
    """
    user = session.get(User, actor_id)
    if user is None or not user.is_active:
        raise PermissionDenied(f"user {actor_id} unknown or disabled", message_vi="Tài khoản "
                               "không tồn tại hoặc đã bị khoá.", reason="inactive_actor")
    if user.role == Role.LEADER or (user.role == Role.FIELD and not field_may):
        raise PermissionDenied(f"role {user.role} may not do this", reason="role_not_allowed",
                               role=user.role.value)
    scope = load_scope(session, user.id, user.role)
    if not scope.unrestricted:
        commune = session.scalar(select(Parcel.commune_code).where(Parcel.id == case.parcel_id))
        check_case_write(scope, case.id, case.project_id, commune or "")
    session.execute(text("SELECT set_config('gpmb.actor', :u, true)"), {"u": user.username})
    return user


def touch(case: ClearanceCase) -> None:
    """Mark the case changed so the ORM bumps its version even when only the ledger moved."""
    case.updated_at = func.now()


def plan_items(session: Session, case_id: int) -> int:
    """How many line items of decisions in force concern the case."""
    return int(session.scalar(text("""
        SELECT count(*) FROM compensation_line_items li
        WHERE li.case_id = :c AND NOT EXISTS (
            SELECT 1 FROM compensation_decisions a WHERE a.amends_decision_id = li.decision_id)
    """), {"c": case_id}) or 0)


def load_facts(session: Session, case: ClearanceCase) -> CaseFacts:
    """Everything the pure rules need about ``case``, read from the database."""
    group = session.scalar(
        select(LandUseType.land_group).join(Parcel, Parcel.land_use_code == LandUseType.code)
        .where(Parcel.id == case.parcel_id))
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                             .order_by(CaseEvent.occurred_on, CaseEvent.id)).all()
    steps = sorted((e for e in events if e.kind == EventKind.STEP and e.step_from and e.step_to),
                   key=lambda e: (STEP_ORDER[e.step_to or CaseStep.NOT_STARTED], e.occurred_on,
                                  e.id))
    last_paid = session.scalar(select(func.max(Payment.paid_on)).where(
        Payment.case_id == case.id, Payment.amount_vnd > 0))
    docs: dict[int, list[DocumentRef]] = {}
    for d in session.scalars(select(EventDocument).where(EventDocument.case_id == case.id)):
        docs.setdefault(d.event_id, []).append(
            DocumentRef(DocKind(d.kind), d.doc_no, d.doc_date, d.signed_by))
    commune_code, commune_name = session.execute(
        select(Parcel.commune_code, Commune.name).join(Commune, Commune.code ==
                                                       Parcel.commune_code)
        .where(Parcel.id == case.parcel_id)).one()
    organisation = session.scalar(select(func.count()).select_from(ParcelLandUser).join(
        LandUser, LandUser.id == ParcelLandUser.land_user_id).where(
        ParcelLandUser.parcel_id == case.parcel_id,
        LandUser.kind == LandUserKind.ORGANISATION)) or 0
    ready_on = session.scalar(select(func.min(ResettlementAllocation.allocated_on)).where(
        ResettlementAllocation.case_id == case.id, ResettlementAllocation.released_on.is_(None)))
    exceptions = tuple(ExceptionRecord(ExceptionKind(x.kind), x.granted_on) for x in
                       session.scalars(select(RecoveryException).where(
                           RecoveryException.case_id == case.id)))
    complaints = tuple(ComplaintRecord(c.id, c.received_on, c.outcome) for c in
                       session.scalars(select(Complaint).where(Complaint.case_id == case.id)
                                       .order_by(Complaint.received_on, Complaint.id)))
    blackouts = tuple(Blackout(b.first_day, b.last_day, b.name_vi) for b in session.scalars(
        select(EnforcementBlackout).where(
            (EnforcementBlackout.commune_code.is_(None))
            | (EnforcementBlackout.commune_code == commune_code))
        .order_by(EnforcementBlackout.first_day)))
    return CaseFacts(
        step=case.step,
        land_group=group or LandGroup.AGRICULTURAL,
        history=tuple(StepRecord(e.step_from, e.step_to, e.occurred_on, e.decision_date)
                      for e in steps if e.step_from and e.step_to),
        approved_total_vnd=case.approved_total_vnd,
        paid_vnd=case.paid_vnd,
        plan_items=plan_items(session, case.id),
        last_payment_on=last_paid,
        complaint_open=case.complaint_open,
        enforcement_stage=case.enforcement_stage,
        side=tuple(SideRecord(e.kind, e.occurred_on, e.decision_date,
                              tuple(docs.get(e.id, ())))
                   for e in events if e.kind != EventKind.STEP),
        commune_name=commune_name,
        organisation=organisation > 0,
        resettlement_needed=case.resettlement_needed,
        resettlement_ready_on=ready_on,
        exceptions=exceptions,
        complaints=complaints,
        blackouts=blackouts,
    )
