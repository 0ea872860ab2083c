"""Receiving the actions a tablet queued (handover on site, notes, photos, inventory
checks): exactly once per idempotency key, against the case version they were made on.

An action whose case changed meanwhile in a way that matters to it (``conflict_reasons``)
is neither applied nor dropped: it is kept as a conflict for a person to resolve
(``gis.field.conflicts``). An action the workflow refuses (its own rules and message) is
kept as a refusal in the same list. Notes and photos never conflict. Everything here runs
in the caller's transaction; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gis.cases.documents import store_document
from gis.core.domain import STEP_LABELS_VI, CaseStep, Role
from gis.core.errors import Conflict, GpmbError, InvalidInput, PermissionDenied
from gis.core.formats import LOCAL_TZ, fmt_time
from gis.field.site import LEADER_READ_ONLY_VI
from gis.models import ClearanceCase, FieldAction, User
from gis.workflow.boundary import lock_case
from gis.workflow.service import EventResult, record_note, record_step

KINDS = ("handover", "note", "photo", "inventory")
CLOCK_SKEW = dt.timedelta(minutes=10)
PHOTO_NOTE_VI = "Ảnh hiện trường"
HANDOVER_NOTE_VI = "Xác nhận bàn giao mặt bằng tại hiện trường"
INVENTORY_NOTE_VI = "Kiểm tra kiểm đếm tại hiện trường"
NOTE_HEADS_VI = (HANDOVER_NOTE_VI, INVENTORY_NOTE_VI, PHOTO_NOTE_VI)
NOTE_PHRASES_VI = (*NOTE_HEADS_VI, f"{HANDOVER_NOTE_VI} lúc ", " lúc ", "; người thực hiện: ",
                   " — không còn", " — còn")
"""The vocabulary of the history notes written for field actions (a page in English
translates these; the person's own note after them stays as typed)."""


@dataclass(frozen=True)
class CaseState:
    """What of a case matters to field actions, as the tablet saw it or as it is now."""

    version: int
    step: str
    paid_vnd: int
    approved_vnd: int
    complaint_open: bool = False
    handover_date: str | None = None

    @classmethod
    def of(cls, case: ClearanceCase) -> CaseState:
        """The state of a (loaded) case."""
        return cls(case.version, case.step.value, int(case.paid_vnd),
                   int(case.approved_total_vnd), bool(case.complaint_open),
                   case.handover_date.isoformat() if case.handover_date else None)


@dataclass(frozen=True)
class Gps:
    """A GPS fix: WGS 84 degrees, horizontal accuracy in metres."""

    lat: float
    lon: float
    accuracy_m: float


@dataclass(frozen=True)
class ActionIn:
    """One queued action as the tablet sends it."""

    key: str
    kind: str
    case_id: int
    base: CaseState
    done_at: dt.datetime
    note: str | None = None
    gps: Gps | None = None
    inventory_item: str | None = None
    inventory_found: bool | None = None
    minutes_no: str | None = None  # the handover minutes signed on site

    def payload(self) -> dict[str, Any]:
        """What the action asks for, beyond its case and base (stored as JSON)."""
        return {"note": self.note, "gps": asdict(self.gps) if self.gps else None,
                "inventory_item": self.inventory_item, "inventory_found": self.inventory_found,
                "minutes_no": self.minutes_no}


@dataclass(frozen=True)
class Outcome:
    """What the server made of an action: applied, conflict or refused (with reasons)."""

    key: str
    action_id: int
    outcome: str
    reasons: list[str]
    server: dict[str, Any]
    event_id: int | None
    document_id: int | None
    replayed: bool

    def as_json(self) -> dict[str, Any]:
        """The answer the tablet stores."""
        return asdict(self)


def _vnd(n: int) -> str:
    return f"{n:,}".replace(",", ".") + " đ"


def _label(step: str) -> str:
    return STEP_LABELS_VI[CaseStep(step)]


def conflict_reasons(kind: str, base: CaseState, now: CaseState) -> list[str]:
    """Why an action made on ``base`` may not be applied to the case as it is ``now``
    (Vietnamese, one line each); empty when nothing that matters to it changed."""
    if kind in {"note", "photo"}:
        return []  # a note adds to the history; nothing it could overwrite
    reasons = []
    if kind == "handover" and now.step == CaseStep.HANDED_OVER.value:
        when = now.handover_date or ""
        if when:
            when = " ngày " + "/".join(reversed(when.split("-")))
        reasons.append(f"Hồ sơ đã được xác nhận bàn giao{when} (có thể bởi tổ khác hoặc "
                       "cán bộ văn phòng).")
    elif now.step != base.step:
        reasons.append(f"Hồ sơ đã chuyển từ bước “{_label(base.step)}” sang "
                       f"“{_label(now.step)}” kể từ lúc thao tác trên máy tính bảng.")
    if kind == "handover":
        if now.paid_vnd != base.paid_vnd:
            reasons.append(f"Số tiền đã chi trả đổi từ {_vnd(base.paid_vnd)} thành "
                           f"{_vnd(now.paid_vnd)} (có thể một khoản chi đã bị đảo bút toán).")
        if now.approved_vnd != base.approved_vnd:
            reasons.append(f"Giá trị phương án được duyệt đổi từ {_vnd(base.approved_vnd)} "
                           f"thành {_vnd(now.approved_vnd)}.")
        if now.complaint_open and not base.complaint_open:
            reasons.append("Có khiếu nại mới đang được giải quyết.")
    return reasons


def fingerprint(action: ActionIn, photo: bytes | None) -> str:
    """A digest of everything the action asks for: the same key must mean the same thing."""
    body = {"kind": action.kind, "case_id": action.case_id, "base": asdict(action.base),
            "done_at": action.done_at.isoformat(), "payload": action.payload(),
            "photo": hashlib.sha256(photo).hexdigest() if photo is not None else None}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def check_action(action: ActionIn, photo: bytes | None, now: dt.datetime) -> None:
    """Refuse what no case state could make right: an unknown kind, a date in the future,
    a photo action without a photo, an inventory check without its item."""
    if action.kind not in KINDS:
        raise InvalidInput(f"kind {action.kind}", reason="bad_action", field="kind",
                           message_vi="Loại thao tác hiện trường không hợp lệ.")
    if action.done_at.tzinfo is None or action.done_at > now + CLOCK_SKEW:
        raise InvalidInput("done_at in the future", reason="bad_action", field="done_at",
                           message_vi="Thời điểm thao tác ở tương lai: hãy kiểm tra đồng hồ "
                           "của máy tính bảng.")
    if (action.kind == "photo") != (photo is not None):
        raise InvalidInput("photo", reason="bad_action", field="photo",
                           message_vi="Chỉ thao tác “ảnh hiện trường” mới kèm ảnh, và phải "
                           "kèm ảnh.")
    if action.kind == "handover" and not (action.minutes_no or "").strip():
        raise InvalidInput("no minutes number", reason="bad_action", field="minutes_no",
                           message_vi="Xác nhận bàn giao cần số biên bản bàn giao ký tại "
                           "hiện trường.")
    if action.kind == "note" and not (action.note or "").strip():
        raise InvalidInput("empty note", reason="bad_action", field="note",
                           message_vi="Ghi chú hiện trường đang trống.")
    if action.kind == "inventory" and (not (action.inventory_item or "").strip()
                                       or action.inventory_found is None):
        raise InvalidInput("inventory", reason="bad_action", field="inventory_item",
                           message_vi="Kiểm tra kiểm đếm cần tên hạng mục và kết quả "
                           "(còn / không còn).")


def event_note(kind: str, payload: dict[str, Any], done_at: dt.datetime,
               by: str | None = None) -> str:
    """The history text of a field action (with its GPS fix and time on site)."""
    local = fmt_time(done_at)
    note = (payload.get("note") or "").strip()
    if kind == "note":
        return note
    if kind == "photo":
        return note or PHOTO_NOTE_VI
    if kind == "inventory":
        found = "còn" if payload.get("inventory_found") else "không còn"
        head = (f"{INVENTORY_NOTE_VI} lúc {local}: "
                f"{payload.get('inventory_item')} — {found}")
    else:
        head = f"{HANDOVER_NOTE_VI} lúc {local}"
        gps = payload.get("gps")
        if gps:
            head += (f", GPS {gps['lat']:.6f}, {gps['lon']:.6f} "
                     f"(±{gps['accuracy_m']:.0f} m)")
    if by:
        head += f"; người thực hiện: {by}"
    return head + (f". {note}" if note else ".")


def apply_action(session: Session, kind: str, case: ClearanceCase, payload: dict[str, Any],
                 done_at: dt.datetime, *, actor_id: int, key: str, by: str | None = None,
                 today: dt.date | None = None) -> EventResult:
    """Record an action through the workflow (its rules, its refusals) on the case as it
    is now; ``by`` names the field user when someone else applies it."""
    on = done_at.astimezone(LOCAL_TZ).date()
    note = event_note(kind, payload, done_at, by)
    if kind == "handover":
        return record_step(session, case.id, CaseStep.HANDED_OVER,
                           expected_version=case.version, occurred_on=on, note=note,
                           decision_no=payload.get("minutes_no"), decision_date=on,
                           actor_id=actor_id, idempotency_key=key, today=today)
    return record_note(session, case.id, note, actor_id=actor_id, occurred_on=on,
                       idempotency_key=key, today=today)


def _replay(session: Session, action: ActionIn, print_: str, user: User) -> Outcome | None:
    earlier = session.scalar(select(FieldAction).where(
        FieldAction.idempotency_key == action.key))
    if earlier is None:
        return None
    if earlier.user_id != user.id or earlier.fingerprint != print_:
        raise Conflict("idempotency key reused", reason="idempotency_key_reused",
                       message_vi="Mã thao tác này đã được dùng cho một thao tác khác.")
    return Outcome(earlier.idempotency_key, earlier.id, earlier.outcome, list(earlier.reasons),
                   earlier.server, earlier.event_id, earlier.document_id, replayed=True)


def receive_action(session: Session, action: ActionIn, user: User, *,
                   photo: bytes | None = None, photo_name: str | None = None,
                   documents_root: Path, now: dt.datetime | None = None) -> Outcome:
    """Take one queued action: replay the first answer for a known key, otherwise apply
    it, or keep it as a conflict or a refusal. Nothing is committed here."""
    now = now or dt.datetime.now(dt.UTC)
    if user.role == Role.LEADER:  # read-only: nothing to keep, not even a refusal
        raise PermissionDenied("leaders do not record field work", reason="role_not_allowed",
                               message_vi=LEADER_READ_ONLY_VI)
    check_action(action, photo, now)
    print_ = fingerprint(action, photo)
    # One key at a time: a retry racing the first request waits, then replays it.
    session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 13))"),
                    {"k": action.key})
    replayed = _replay(session, action, print_, user)
    if replayed is not None:
        return replayed
    case = lock_case(session, action.case_id)
    before = CaseState.of(case)
    reasons = conflict_reasons(action.kind, action.base, before)
    outcome, event_id, document_id = "conflict", None, None
    if not reasons:
        try:
            with session.begin_nested():  # the event and its photo, or neither
                result = apply_action(session, action.kind, case, action.payload(),
                                      action.done_at, actor_id=user.id, key=action.key)
                event_id = result.event_id
                if photo is not None:
                    document_id = store_document(session, documents_root, case.id, event_id,
                                                 photo_name or "anh-hien-truong.jpg", photo,
                                                 user.id).id
            outcome = "applied"
        except GpmbError as exc:  # the workflow's refusal, kept with its own message
            outcome, reasons, event_id, document_id = "refused", [exc.message_vi], None, None
    server = asdict(CaseState.of(_reloaded(session, case)))
    row = FieldAction(idempotency_key=action.key, user_id=user.id, case_id=case.id,
                      kind=action.kind, base_version=action.base.version,
                      base=asdict(action.base), payload=action.payload(),
                      fingerprint=print_, done_at=action.done_at, outcome=outcome,
                      reasons=reasons, server=server, event_id=event_id,
                      document_id=document_id)
    session.add(row)
    session.flush()
    return Outcome(action.key, row.id, outcome, reasons, server, event_id, document_id,
                   replayed=False)


def _reloaded(session: Session, case: ClearanceCase) -> ClearanceCase:
    session.refresh(case)
    return case
