"""What a field team needs on site, in small pieces: the parcel under a GPS point, the
parcels nearby, a parcel by commune + sheet + parcel number, and a compact parcel card
(status, next deadline, outstanding money, recent history, whether the site may be handed
over now and by whom).

Every spatial look-up goes through the GiST index on ``parcels.geom`` (EPSG:9215): the
WGS 84 point is transformed once to the cadastral CRS and tested with ``ST_Intersects`` /
``ST_DWithin``. Land users appear by name and share; phone numbers only for the roles
that may see personal data (staff, admin); citizen ID numbers never.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gis.access.scope import (
    PERSONAL_DATA_ROLES,
    SCOPE_COMMUNE_SQL,
    SCOPE_PROJECT_SQL,
    Scope,
    load_scope,
    scope_case_sql,
)
from gis.core.collation import vi_name_key
from gis.core.domain import STEP_LABELS_VI, CaseStep, EventKind, Role
from gis.core.errors import (
    GpmbError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
)
from gis.models import CaseDocument, ClearanceCase, User
from gis.workflow.boundary import act_as, load_facts
from gis.workflow.deadlines import DEADLINE_LABELS_VI
from gis.workflow.overdue import case_deadlines
from gis.workflow.rules import load_rule_book
from gis.workflow.side_events import KIND_LABELS_VI
from gis.workflow.transitions import StepRequest, check_transition

NEARBY_RADIUS_M = 150.0
NEARBY_LIMIT = 12
MAX_RADIUS_M = 1000.0
HISTORY_LIMIT = 8
PHOTO_LIMIT = 6
LOOKUP_LIMIT = 5
OUTLINE_TOLERANCE_M = 0.2  # simplify the highlighted outline to 20 cm: small payload
LEADER_READ_ONLY_VI = "Tài khoản lãnh đạo chỉ được xem, không ghi nhận thao tác hiện trường."
# Lạng Sơn and its neighbours, generously: a point outside is a GPS or input error.
LAT_RANGE = (20.0, 23.5)
LON_RANGE = (105.0, 108.5)

_HERE = """
WITH here AS (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 9215) AS g)"""

# The latest case of a parcel (in one project when :project_id is set) that the reader
# may see; parcels outside the reader's scope (``gis.access.scope``) are left out altogether.
_CASE_OF = f"""
    SELECT cc.id, cc.step FROM clearance_cases cc
    WHERE cc.parcel_id = p.id
      AND (CAST(:project_id AS integer) IS NULL OR cc.project_id = :project_id)
      AND {SCOPE_PROJECT_SQL.format(project="cc.project_id")}
    ORDER BY cc.id DESC LIMIT 1"""
_PARCEL_IN_SCOPE = f"""{SCOPE_COMMUNE_SQL.format(commune="p.commune_code")}
  AND (CAST(:scope_projects AS integer[]) IS NULL OR c.id IS NOT NULL)"""

_HOLDER_NAMES = """
    (SELECT string_agg(u.full_name, ', ' ORDER BY pu.share_pct DESC, u.full_name)
     FROM parcel_land_users pu JOIN land_users u ON u.id = pu.land_user_id
     WHERE pu.parcel_id = p.id) AS holders"""

PARCEL_AT_SQL = _HERE + f"""
SELECT p.id AS parcel_id, c.id AS case_id, c.step::text AS step, p.commune_code,
       m.name AS commune, p.sheet_no, p.parcel_no, p.land_use_code, {_HOLDER_NAMES},
       ST_AsGeoJSON(ST_Transform(ST_SimplifyPreserveTopology(p.geom, :tolerance), 4326), 6)
           AS outline
FROM here
JOIN parcels p ON ST_Intersects(p.geom, here.g)
JOIN communes m ON m.code = p.commune_code
LEFT JOIN LATERAL ({_CASE_OF}) c ON true
WHERE {_PARCEL_IN_SCOPE}
ORDER BY (c.id IS NULL), p.id
LIMIT 1
"""

NEARBY_SQL = _HERE + f"""
SELECT p.id AS parcel_id, c.id AS case_id, c.step::text AS step, p.commune_code,
       m.name AS commune, p.sheet_no, p.parcel_no, p.land_use_code, {_HOLDER_NAMES},
       ST_Distance(p.geom, here.g) AS distance_m,
       ST_Y(pt) AS lat, ST_X(pt) AS lon
FROM here
JOIN parcels p ON ST_DWithin(p.geom, here.g, :radius)
JOIN LATERAL ({_CASE_OF}) c ON true
JOIN communes m ON m.code = p.commune_code
CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(p.geom), 4326) AS pt) g
WHERE {_PARCEL_IN_SCOPE}
ORDER BY distance_m, p.id
LIMIT :limit
"""

LOOKUP_SQL = f"""
SELECT p.id AS parcel_id, c.id AS case_id, c.step::text AS step, p.commune_code,
       m.name AS commune, p.sheet_no, p.parcel_no, p.land_use_code, {_HOLDER_NAMES},
       p.sheet_commune_code, ST_Y(pt) AS lat, ST_X(pt) AS lon,
       ST_AsGeoJSON(ST_Transform(ST_SimplifyPreserveTopology(p.geom, :tolerance), 4326), 6)
           AS outline
FROM parcels p
JOIN communes m ON m.code = p.commune_code
LEFT JOIN LATERAL ({_CASE_OF}) c ON true
CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(p.geom), 4326) AS pt) g
WHERE p.commune_code = :commune AND p.sheet_no = :sheet AND p.parcel_no = :parcel
  AND {_PARCEL_IN_SCOPE}
ORDER BY (c.id IS NULL), p.id
LIMIT :limit
"""

CARD_SQL = f"""
SELECT p.id AS parcel_id, p.commune_code, m.name AS commune, p.sheet_no, p.parcel_no,
       p.land_use_code, lt.name_vi AS land_use_name, p.legal_area_m2, p.address,
       c.id AS case_id, c.version, c.step::text AS step, c.recovered_area_m2,
       c.approved_total_vnd, c.paid_vnd, c.complaint_open, c.handover_date,
       j.code AS project_code, j.name AS project_name,
       ST_Y(pt) AS lat, ST_X(pt) AS lon,
       ST_AsGeoJSON(ST_Transform(ST_SimplifyPreserveTopology(p.geom, :tolerance), 4326), 6)
           AS outline
FROM parcels p
JOIN communes m ON m.code = p.commune_code
JOIN land_use_types lt ON lt.code = p.land_use_code
LEFT JOIN LATERAL ({_CASE_OF}) cl ON true
LEFT JOIN clearance_cases c ON c.id = cl.id
LEFT JOIN projects j ON j.id = c.project_id
CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(p.geom), 4326) AS pt) g
WHERE p.id = :parcel_id AND {_PARCEL_IN_SCOPE}
"""


def check_point(lat: float, lon: float) -> None:
    """Refuse a point outside the province's surroundings (swapped or bogus coordinates)."""
    if not (LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]):
        raise InvalidInput(
            f"point {lat},{lon} outside Lạng Sơn",
            message_vi="Toạ độ ({lat:.5f}, {lon:.5f}) nằm ngoài khu vực Lạng Sơn; hãy kiểm "
            "tra lại GPS (vĩ độ trước, kinh độ sau).", params={"lat": lat, "lon": lon},
            reason="point_outside", field="lat")


def _step(step: str | None) -> dict[str, Any]:
    if step is None:
        return {"step": None, "step_label": "Ngoài phạm vi thu hồi"}
    return {"step": step, "step_label": STEP_LABELS_VI[CaseStep(step)]}


def _summary(row: Any) -> dict[str, Any]:
    return {"parcel_id": row.parcel_id, "case_id": row.case_id, "commune": row.commune,
            "commune_code": row.commune_code, "sheet": row.sheet_no, "parcel": row.parcel_no,
            "land_use": row.land_use_code, **_step(row.step), "holders": row.holders or ""}


def parcel_at(session: Session, lat: float, lon: float, *, scope: Scope,
              project_id: int | None = None) -> dict[str, Any] | None:
    """The parcel containing a WGS 84 point (preferring one with a case), with its
    simplified outline as GeoJSON; None when the point is on no parcel."""
    check_point(lat, lon)
    row = session.execute(text(PARCEL_AT_SQL), {
        "lat": lat, "lon": lon, "project_id": project_id,
        "tolerance": OUTLINE_TOLERANCE_M, **scope.sql_params()}).first()
    if row is None:
        return None
    return {**_summary(row), "outline": json.loads(row.outline)}


def nearby_parcels(session: Session, lat: float, lon: float, *, scope: Scope,
                   project_id: int | None = None,
                   radius_m: float = NEARBY_RADIUS_M, limit: int = NEARBY_LIMIT
                   ) -> list[dict[str, Any]]:
    """Parcels with a clearance case (of the project, if given) within ``radius_m`` of a
    WGS 84 point, nearest first (0 m: the point is on the parcel)."""
    check_point(lat, lon)
    if not 0 < radius_m <= MAX_RADIUS_M:
        raise InvalidInput(f"radius {radius_m}", message_vi="Bán kính tìm phải từ 1 đến "
                           "{most:.0f} m.", params={"most": MAX_RADIUS_M}, reason="bad_radius",
                           field="radius")
    rows = session.execute(text(NEARBY_SQL), {
        "lat": lat, "lon": lon, "project_id": project_id, "radius": radius_m,
        "limit": limit, **scope.sql_params()})
    return [{**_summary(r), "distance_m": round(float(r.distance_m), 1),
             "lat": round(r.lat, 6), "lon": round(r.lon, 6)} for r in rows]


def lookup_parcel(session: Session, commune_code: str, sheet_no: int, parcel_no: int, *,
                  scope: Scope, project_id: int | None = None) -> list[dict[str, Any]]:
    """Parcels by commune code + map sheet + parcel number (those with a case first).

    A merged commune keeps its former communes' sheet numbering, so one number may match
    several parcels: ``sheet_commune`` tells them apart."""
    rows = session.execute(text(LOOKUP_SQL), {
        "commune": commune_code, "sheet": sheet_no, "parcel": parcel_no,
        "project_id": project_id, "tolerance": OUTLINE_TOLERANCE_M, "limit": LOOKUP_LIMIT,
        **scope.sql_params()})
    return [{**_summary(r), "sheet_commune": r.sheet_commune_code, "lat": round(r.lat, 6),
             "lon": round(r.lon, 6), "outline": json.loads(r.outline)} for r in rows]


def communes_for(session: Session, project_id: int | None, scope: Scope
                 ) -> list[tuple[str, str]]:
    """(code, name) of the communes to look parcels up in: the project's, or all; only
    those of ``scope``."""
    params = {"p": project_id, **scope.sql_params()}
    if project_id is None and scope.projects is None:
        rows = session.execute(text(
            "SELECT m.code, m.name FROM communes m WHERE "
            + SCOPE_COMMUNE_SQL.format(commune="m.code")), params)
    else:
        rows = session.execute(text(f"""
            SELECT m.code, m.name FROM communes m WHERE m.code IN (
                SELECT DISTINCT p.commune_code FROM clearance_cases c
                JOIN parcels p ON p.id = c.parcel_id
                WHERE (CAST(:p AS integer) IS NULL OR c.project_id = :p)
                  AND {scope_case_sql("c.project_id", "p.commune_code")})"""), params)
    return sorted(((r[0], r[1]) for r in rows), key=lambda r: vi_name_key(r[1]))


def vietnamese(exc: GpmbError) -> str:
    """A refusal's message as the record keeps it (a page passes its own renderer)."""
    return exc.message_vi


def write_refusal(session: Session, case: ClearanceCase, user: User,
                  render: Callable[[GpmbError], str] = vietnamese) -> str | None:
    """Why ``user`` may not record field work (notes, photos, handover) on ``case``, or
    None when they may (field users: only on their assigned projects/communes)."""
    if user.role == Role.LEADER:
        return LEADER_READ_ONLY_VI
    try:
        act_as(session, user.id, case, field_may=True)
    except PermissionDenied as exc:
        return render(exc)
    return None


SAMPLE_MINUTES_NO = "1/BB-BGMB"
"""A well-formed handover minutes number, for checking a handover before it is entered."""


def handover_refusal(session: Session, case: ClearanceCase, today: dt.date,
                     render: Callable[[GpmbError], str] = vietnamese) -> str | None:
    """Why the workflow would refuse to record the site handover of ``case`` today (its
    own message), or None when it would accept it with the handover minutes the team signs
    on site. Nothing is written."""
    minutes = StepRequest(CaseStep.HANDED_OVER, today, decision_no=SAMPLE_MINUTES_NO,
                          decision_date=today)
    try:
        check_transition(load_facts(session, case), minutes, load_rule_book(session), today)
    except InvalidTransition as exc:
        return render(exc)
    return None


def _history(session: Session, case_id: int) -> list[dict[str, Any]]:
    rows = session.execute(text("""
        SELECT e.id, e.kind::text AS kind, e.step_to::text AS step_to, e.occurred_on,
               e.decision_no, e.note, u.full_name AS recorded_by
        FROM case_events e LEFT JOIN users u ON u.id = e.recorded_by
        WHERE e.case_id = :case ORDER BY e.occurred_on DESC, e.id DESC LIMIT :limit"""),
        {"case": case_id, "limit": HISTORY_LIMIT})
    out = []
    for r in rows:
        if r.kind == "step" and r.step_to:
            what = STEP_LABELS_VI[CaseStep(r.step_to)]
        else:
            what = KIND_LABELS_VI.get(EventKind(r.kind), r.kind).capitalize()
        out.append({"id": r.id, "date": r.occurred_on.isoformat(), "kind": r.kind,
                    "what": what, "decision_no": r.decision_no, "note": r.note,
                    "by": r.recorded_by})
    return out


def _holders(session: Session, parcel_id: int, personal: bool) -> list[dict[str, Any]]:
    rows = session.execute(text("""
        SELECT u.full_name, u.kind::text AS kind, pu.share_pct, u.phone
        FROM parcel_land_users pu JOIN land_users u ON u.id = pu.land_user_id
        WHERE pu.parcel_id = :parcel ORDER BY pu.share_pct DESC, u.full_name"""),
        {"parcel": parcel_id})
    out = []
    for r in rows:
        holder: dict[str, Any] = {"name": r.full_name, "kind": r.kind, "share_pct": r.share_pct}
        if personal and r.phone:
            holder["phone"] = r.phone
        out.append(holder)
    return out


def _photos(session: Session, case_id: int) -> dict[str, Any]:
    docs = session.scalars(select(CaseDocument).where(CaseDocument.case_id == case_id,
                                                      CaseDocument.media_type == "image/jpeg")
                           .order_by(CaseDocument.id.desc())).all()
    return {"count": len(docs), "latest": [
        {"id": d.id, "name": d.filename, "url": f"/api/documents/{d.id}"}
        for d in docs[:PHOTO_LIMIT]]}


def parcel_card(session: Session, parcel_id: int, *, project_id: int | None, user: User,
                today: dt.date, render: Callable[[GpmbError], str] = vietnamese
                ) -> dict[str, Any]:
    """The field card of a parcel: who holds it, its case's step, next deadline, money
    still owed, recent history and photos, and whether ``user`` may hand it over now
    (NotFound for a parcel outside the user's scope); ``render`` writes the refusals in the
    reader's language."""
    row = session.execute(text(CARD_SQL), {
        "parcel_id": parcel_id, "project_id": project_id,
        "tolerance": OUTLINE_TOLERANCE_M,
        **load_scope(session, user.id, user.role).sql_params()}).first()
    if row is None:
        raise NotFound(f"parcel {parcel_id}", message_vi="Không tìm thấy thửa đất số "
                       "{parcel}.", params={"parcel": str(parcel_id)}, reason="parcel_not_found")
    card: dict[str, Any] = {
        "parcel_id": row.parcel_id, "commune": row.commune, "commune_code": row.commune_code,
        "sheet": row.sheet_no, "parcel": row.parcel_no, "land_use": row.land_use_code,
        "land_use_name": row.land_use_name, "legal_area_m2": float(row.legal_area_m2),
        "address": row.address, "lat": round(row.lat, 6), "lon": round(row.lon, 6),
        "outline": json.loads(row.outline),
        "holders": _holders(session, row.parcel_id, user.role in PERSONAL_DATA_ROLES),
        **_step(row.step), "case": None,
    }
    if row.case_id is None:
        return card
    due = case_deadlines(session, today, case_id=row.case_id, limit=1)
    deadline = None
    if due:
        d = due[0]
        deadline = {"label": DEADLINE_LABELS_VI[d.what], "due_date": d.due_date.isoformat(),
                    "days_left": d.days_left, "overdue": d.is_overdue}
    case = session.get(ClearanceCase, row.case_id)
    assert case is not None
    refusal = write_refusal(session, case, user, render)
    why_not = refusal or handover_refusal(session, case, today, render)
    card["case"] = {
        "id": row.case_id, "version": row.version, "project": row.project_code,
        "project_name": row.project_name,
        "recovered_area_m2": float(row.recovered_area_m2),
        "approved_vnd": int(row.approved_total_vnd), "paid_vnd": int(row.paid_vnd),
        "outstanding_vnd": max(int(row.approved_total_vnd) - int(row.paid_vnd), 0),
        "complaint_open": row.complaint_open,
        "handover_date": row.handover_date.isoformat() if row.handover_date else None,
        "deadline": deadline,
        "handover": {"allowed": why_not is None, "reason": why_not},
        "may_write": refusal is None, "write_refusal": refusal,
        "history": _history(session, row.case_id),
        "photos": _photos(session, row.case_id),
    }
    return card

