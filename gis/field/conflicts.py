"""Field actions the server did not apply (conflicts and refusals), side by side with the
case as it is now, and their resolution by a person: apply (as it was, or edited) or
discard. A resolution is one append-only row; applying goes through the workflow again,
so a change it refuses is shown and nothing is recorded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access.scope import OFFICE_ROLES, Scope, scope_case_sql
from gis.core.calendar import LOCAL_TZ
from gis.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gis.field.sync import CaseState, apply_action, conflict_reasons
from gis.models import FieldAction, FieldActionResolution, User
from gis.workflow.boundary import lock_case

OPEN_LIMIT = 200
KIND_LABELS_VI = {"handover": "Xác nhận bàn giao mặt bằng", "note": "Ghi chú hiện trường",
                  "photo": "Ảnh hiện trường", "inventory": "Kiểm tra kiểm đếm"}
OUTCOME_LABELS_VI = {"conflict": "Xung đột", "refused": "Bị từ chối", "applied": "Đã ghi nhận"}

_LIST_SQL = """
SELECT a.id, a.idempotency_key AS key, a.kind, a.outcome, a.reasons, a.base, a.payload,
       a.server, a.done_at, a.received_at, a.case_id, u.full_name AS by_name,
       c.version, c.step::text AS step, c.paid_vnd, c.approved_total_vnd, c.complaint_open,
       c.handover_date, p.commune_code, m.name AS commune, p.sheet_no, p.parcel_no,
       j.code AS project, r.resolution, r.resolved_at, ru.full_name AS resolved_by
FROM field_actions a
JOIN users u ON u.id = a.user_id
JOIN clearance_cases c ON c.id = a.case_id
JOIN parcels p ON p.id = c.parcel_id
JOIN communes m ON m.code = p.commune_code
JOIN projects j ON j.id = c.project_id
LEFT JOIN field_action_resolutions r ON r.action_id = a.id
LEFT JOIN users ru ON ru.id = r.resolved_by
WHERE {where}
ORDER BY a.received_at, a.id
LIMIT :limit
"""


def _entry(row: Any) -> dict[str, Any]:
    now = CaseState(row.version, row.step, int(row.paid_vnd), int(row.approved_total_vnd),
                    bool(row.complaint_open),
                    row.handover_date.isoformat() if row.handover_date else None)
    base = CaseState(**row.base)
    return {
        "id": row.id, "key": row.key, "kind": row.kind, "kind_label": KIND_LABELS_VI[row.kind],
        "outcome": row.outcome, "outcome_label": OUTCOME_LABELS_VI[row.outcome],
        "reasons": list(row.reasons), "base": row.base, "payload": row.payload,
        "at_arrival": row.server, "now": asdict(now),
        # What still stands in the way today (the case may have moved on again).
        "still": conflict_reasons(row.kind, base, now) if row.outcome == "conflict" else [],
        "done_at": row.done_at, "received_at": row.received_at, "by": row.by_name,
        "case_id": row.case_id, "project": row.project, "commune": row.commune,
        "sheet": row.sheet_no, "parcel": row.parcel_no, "resolution": row.resolution,
        "resolved_at": row.resolved_at, "resolved_by": row.resolved_by,
    }


_IN_SCOPE = scope_case_sql("c.project_id", "p.commune_code")


def open_actions(session: Session, scope: Scope, *, limit: int = OPEN_LIMIT
                 ) -> list[dict[str, Any]]:
    """Conflicts and refusals in ``scope`` nobody has resolved yet, oldest first."""
    rows = session.execute(text(_LIST_SQL.format(
        where=f"a.outcome <> 'applied' AND r.id IS NULL AND {_IN_SCOPE}")),
        {"limit": limit, **scope.sql_params()})
    return [_entry(r) for r in rows]


def recent_resolutions(session: Session, scope: Scope, *, limit: int = 20
                       ) -> list[dict[str, Any]]:
    """The latest resolved conflicts and refusals in ``scope``, newest first."""
    rows = session.execute(text(_LIST_SQL.format(where=f"r.id IS NOT NULL AND {_IN_SCOPE}")
                                .replace("ORDER BY a.received_at, a.id",
                                         "ORDER BY r.resolved_at DESC, r.id DESC")),
                           {"limit": limit, **scope.sql_params()})
    return [_entry(r) for r in rows]


def action_statuses(session: Session, user: User, keys: list[str]) -> list[dict[str, Any]]:
    """What became of ``user``'s actions sent under ``keys`` (for the tablet's list)."""
    rows = session.execute(text(_LIST_SQL.format(
        where="a.user_id = :user AND a.idempotency_key = ANY(:keys)")),
        {"user": user.id, "keys": keys, "limit": len(keys) or 1})
    return [{k: v.isoformat() if isinstance(v, dt.datetime) else v
             for k, v in _entry(r).items()} for r in rows]


def resolve_action(session: Session, action_id: int, resolver: User, *, apply: bool,
                   note: str | None = None, edited_note: str | None = None,
                   edited_on: dt.date | None = None) -> FieldActionResolution:
    """Apply (as it was, or with the note/date edited) or discard a conflicting or refused
    field action. Applying runs the workflow as ``resolver`` on the case as it is now."""
    if resolver.role not in OFFICE_ROLES:
        raise PermissionDenied("only staff resolve field conflicts", reason="role_not_allowed",
                               message_vi="Chỉ cán bộ nghiệp vụ mới xử lý xung đột dữ liệu "
                               "hiện trường.")
    action = session.get(FieldAction, action_id, with_for_update=True)
    if action is None:
        raise NotFound(f"field action {action_id}", reason="field_action_not_found",
                       message_vi="Không tìm thấy thao tác hiện trường số {action}.",
                       params={"action": str(action_id)})
    done = session.scalar(text("SELECT r.resolved_at FROM field_action_resolutions r "
                               "WHERE r.action_id = :a"), {"a": action_id})
    if action.outcome == "applied" or done is not None:
        raise Conflict("already resolved", reason="already_resolved",
                       message_vi="Thao tác này đã được xử lý rồi; trang đã hiện trạng thái "
                       "mới nhất.")
    edited: dict[str, Any] | None = None
    event_id = None
    if apply:
        if action.kind == "photo":
            raise InvalidInput("photo bytes not kept", reason="cannot_apply", field="apply",
                               message_vi="Ảnh bị từ chối không được lưu trên máy chủ; hãy "
                               "bỏ qua và chụp lại.")
        payload = dict(action.payload)
        done_at = action.done_at
        if edited_note is not None and edited_note.strip() != (payload.get("note") or ""):
            payload["note"] = edited_note.strip() or None
            edited = {"note": payload["note"]}
        if edited_on is not None and edited_on != done_at.date():
            done_at = dt.datetime.combine(edited_on, dt.time(12), tzinfo=LOCAL_TZ)
            edited = {**(edited or {}), "done_on": edited_on.isoformat()}
        case = lock_case(session, action.case_id)
        by = session.get(User, action.user_id)
        result = apply_action(session, action.kind, case, payload, done_at,
                              actor_id=resolver.id, key=f"{action.idempotency_key}:resolved",
                              by=by.full_name if by else None)
        event_id = result.event_id
    row = FieldActionResolution(action_id=action.id, resolution="applied" if apply else
                                "discarded", resolved_by=resolver.id, edited=edited,
                                note=(note or "").strip() or None, event_id=event_id)
    session.add(row)
    session.flush()
    return row
