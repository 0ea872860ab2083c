"""Parcel look-ups for the maps: search by sheet/parcel number or land user's name, and the
details panel (parcel, holders, case, history, payments, next deadline).

Land users appear by name and share only: citizen ID numbers and phone numbers never
leave through these functions, whoever asks.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access.scope import SCOPE_PROJECT_SQL, Scope, scope_case_sql
from gis.core.domain import STEP_LABELS_VI, CaseStep, EventKind, PaymentMethod
from gis.core.errors import NotFound
from gis.core.text import parse_sheet_parcel
from gis.maps.filters import IN_FOOTPRINT_SQL, OUTSIDE_SQL, outside_params
from gis.workflow.deadlines import DEADLINE_LABELS_VI
from gis.workflow.overdue import case_deadlines
from gis.workflow.side_events import KIND_LABELS_VI

SEARCH_LIMIT = 20
OUTSIDE_LIMIT = 10

PAYMENT_METHODS_VI = {
    PaymentMethod.CASH: "Tiền mặt",
    PaymentMethod.TRANSFER: "Chuyển khoản",
    PaymentMethod.TREASURY_DEPOSIT: "Gửi Kho bạc",
}

_HIT_SQL = """
SELECT p.id AS parcel_id, c.id AS case_id, p.sheet_no, p.parcel_no, p.land_use_code,
       m.name AS commune, c.step::text AS step,
       ST_Y(pt) AS lat, ST_X(pt) AS lon,
       ST_YMin(bb) AS s, ST_XMin(bb) AS w, ST_YMax(bb) AS n, ST_XMax(bb) AS e,
       (SELECT string_agg(u.full_name, ', ' ORDER BY u.full_name)
        FROM parcel_land_users pu JOIN land_users u ON u.id = pu.land_user_id
        WHERE pu.parcel_id = p.id) AS holders
FROM clearance_cases c
JOIN parcels p ON p.id = c.parcel_id
JOIN communes m ON m.code = p.commune_code
CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(p.geom), 4326) AS pt,
                           ST_Transform(ST_Envelope(p.geom), 4326)::box2d AS bb) g
WHERE c.project_id = :project_id AND {where}
  AND {scope}
ORDER BY p.commune_code, p.sheet_no, p.parcel_no
LIMIT :limit
"""


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _hit(row: Any) -> dict[str, Any]:
    return {
        "parcel_id": row.parcel_id, "case_id": row.case_id, "sheet": row.sheet_no,
        "parcel": row.parcel_no, "land_use": row.land_use_code, "commune": row.commune,
        "step": row.step, "step_label": STEP_LABELS_VI[CaseStep(row.step)],
        "holders": row.holders or "", "lat": row.lat, "lon": row.lon,
        "bounds": [[row.s, row.w], [row.n, row.e]],
    }


def _parcel_condition(query: str, params: dict[str, Any]) -> str | None:
    """The search's condition on ``parcels p`` ("sheet/parcel" or a land user's name),
    its parameters added to ``params``; None for a query too short to search."""
    numbers = parse_sheet_parcel(query)
    if numbers:
        params.update(sheet=numbers[0], parcel=numbers[1])
        return "p.sheet_no = :sheet AND p.parcel_no = :parcel"
    if len(query) >= 2:
        params["name"] = "%" + _escape_like(query.lower()) + "%"
        return """p.id IN (SELECT pu.parcel_id FROM parcel_land_users pu
                   JOIN land_users u ON u.id = pu.land_user_id
                   WHERE lower(u.full_name) LIKE :name ESCAPE '\\')"""
    return None


def search_parcels(session: Session, project_id: int, query: str, *, scope: Scope,
                   limit: int = SEARCH_LIMIT) -> list[dict[str, Any]]:
    """Parcels of a project matching "sheet/parcel" ("12/345", "tờ 12 thửa 345") or a
    land user's name (case-insensitive substring, at least 2 characters), within
    ``scope``."""
    params: dict[str, Any] = {"project_id": project_id, "limit": limit, **scope.sql_params()}
    where = _parcel_condition(query.strip(), params)
    if where is None:
        return []
    sql = _HIT_SQL.format(where=where, scope=scope_case_sql("c.project_id", "p.commune_code"))
    return [_hit(r) for r in session.execute(text(sql), params)]


_OUTSIDE_HIT_SQL = """
SELECT p.id AS parcel_id, p.sheet_no, p.parcel_no, p.land_use_code, m.name AS commune,
       ST_YMin(bb) AS s, ST_XMin(bb) AS w, ST_YMax(bb) AS n, ST_XMax(bb) AS e,
       ST_AsGeoJSON(ST_Transform(p.geom, 4326), 6) AS geojson,
       (SELECT string_agg(u.full_name, ', ' ORDER BY u.full_name)
        FROM parcel_land_users pu JOIN land_users u ON u.id = pu.land_user_id
        WHERE pu.parcel_id = p.id) AS holders,
       (SELECT string_agg(DISTINCT j.code, ', ') FROM clearance_cases y
        JOIN projects j ON j.id = y.project_id
        WHERE y.parcel_id = p.id AND {scope_project}) AS projects,
       {in_footprint} AS in_footprint
FROM parcels p
JOIN communes m ON m.code = p.commune_code
CROSS JOIN LATERAL (SELECT ST_Transform(ST_Envelope(p.geom), 4326)::box2d AS bb) g
WHERE {where} AND {outside}
ORDER BY p.commune_code, p.sheet_no, p.parcel_no
LIMIT :limit
"""


def search_outside(session: Session, project_id: int, query: str, *, scope: Scope,
                   communes: list[str], limit: int = OUTSIDE_LIMIT) -> list[dict[str, Any]]:
    """Parcels of the project's ``communes`` matching the search but with no case in the
    project (so not on its map): outside its footprint, or (``in_footprint``) inside it
    but imported after the last overlay; with their outline (WGS 84 GeoJSON) and the other
    projects they belong to."""
    params: dict[str, Any] = {"limit": limit,
                              **outside_params(project_id, communes, (), scope)}
    where = _parcel_condition(query.strip(), params)
    if where is None:
        return []
    sql = _OUTSIDE_HIT_SQL.format(
        where=where, outside=OUTSIDE_SQL, in_footprint=IN_FOOTPRINT_SQL,
        scope_project=SCOPE_PROJECT_SQL.format(project="y.project_id"))
    return [{"parcel_id": r.parcel_id, "sheet": r.sheet_no, "parcel": r.parcel_no,
             "land_use": r.land_use_code, "commune": r.commune, "holders": r.holders or "",
             "projects": r.projects or "", "in_footprint": r.in_footprint,
             "bounds": [[r.s, r.w], [r.n, r.e]],
             "geometry": json.loads(r.geojson)} for r in session.execute(text(sql), params)]


def _event(row: Any) -> dict[str, Any]:
    kind = EventKind(row.kind)
    if kind == EventKind.STEP and row.step_to:
        what = STEP_LABELS_VI[CaseStep(row.step_to)]
    else:
        what = KIND_LABELS_VI.get(kind, kind.value).capitalize()
    return {"date": row.occurred_on.isoformat(), "kind": kind.value, "what": what,
            "decision_no": row.decision_no,
            "decision_date": row.decision_date.isoformat() if row.decision_date else None,
            "signer": row.signer, "note": row.note}


def parcel_details(session: Session, project_id: int, parcel_id: int,
                   today: dt.date, *, scope: Scope) -> dict[str, Any]:
    """Everything the map's side panel shows about one parcel of a project (NotFound
    outside ``scope``)."""
    case = session.execute(text("""
        SELECT c.id, c.step::text AS step, c.recovered_area_m2, c.is_whole_parcel,
               c.approved_total_vnd, c.paid_vnd, c.complaint_open, c.enforcement_stage,
               c.handover_date, c.resettlement_needed, c.version,
               c.responsible_officer, c.responsible_unit,
               p.sheet_no, p.parcel_no, p.land_use_code, lt.name_vi AS land_use_name,
               p.legal_area_m2, p.address, m.name AS commune, m.code AS commune_code
        FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
        JOIN communes m ON m.code = p.commune_code
        JOIN land_use_types lt ON lt.code = p.land_use_code
        WHERE c.project_id = :project AND c.parcel_id = :parcel AND """
        + scope_case_sql("c.project_id", "p.commune_code") + """
        ORDER BY c.id LIMIT 1"""), {"project": project_id, "parcel": parcel_id,
                                    **scope.sql_params()}).first()
    if case is None:
        raise NotFound(f"parcel {parcel_id} has no case in project {project_id}",
                       message_vi="Thửa đất này không thuộc phạm vi thu hồi của dự án.")
    holders = session.execute(text("""
        SELECT u.full_name, u.kind::text AS kind, pu.share_pct
        FROM parcel_land_users pu JOIN land_users u ON u.id = pu.land_user_id
        WHERE pu.parcel_id = :parcel ORDER BY pu.share_pct DESC, u.full_name"""),
        {"parcel": parcel_id})
    events = session.execute(text("""
        SELECT kind::text AS kind, step_to::text AS step_to, occurred_on, decision_no,
               decision_date, signer, note
        FROM case_events WHERE case_id = :case ORDER BY occurred_on, id"""), {"case": case.id})
    payments = session.execute(text("""
        SELECT paid_on, amount_vnd, method::text AS method, voucher_no
        FROM payments WHERE case_id = :case ORDER BY paid_on, id"""), {"case": case.id})
    due = case_deadlines(session, today, case_id=case.id, limit=1)
    deadline = None
    if due:
        d = due[0]
        deadline = {"what": d.what.value, "label": DEADLINE_LABELS_VI[d.what],
                    "due_date": d.due_date.isoformat(), "days_left": d.days_left,
                    "overdue": d.is_overdue, "rule_version": d.rule_version}
    return {
        "parcel_id": parcel_id, "case_id": case.id, "version": case.version,
        "commune": case.commune, "commune_code": case.commune_code,
        "sheet": case.sheet_no, "parcel": case.parcel_no,
        "land_use": case.land_use_code, "land_use_name": case.land_use_name,
        "legal_area_m2": float(case.legal_area_m2), "address": case.address,
        "step": case.step, "step_label": STEP_LABELS_VI[CaseStep(case.step)],
        "recovered_area_m2": float(case.recovered_area_m2),
        "is_whole_parcel": case.is_whole_parcel,
        "approved_vnd": int(case.approved_total_vnd), "paid_vnd": int(case.paid_vnd),
        "complaint_open": case.complaint_open, "enforcement_stage": case.enforcement_stage,
        "resettlement_needed": case.resettlement_needed,
        "handover_date": case.handover_date.isoformat() if case.handover_date else None,
        "holders": [{"name": h.full_name, "kind": h.kind, "share_pct": h.share_pct}
                    for h in holders],
        "history": [_event(e) for e in events],
        "payments": [{"date": p.paid_on.isoformat(), "amount_vnd": int(p.amount_vnd),
                      "method": PAYMENT_METHODS_VI[PaymentMethod(p.method)],
                      "voucher_no": p.voucher_no} for p in payments],
        "deadline": deadline,
        "responsible_officer": case.responsible_officer,
        "responsible_unit": case.responsible_unit,
    }
