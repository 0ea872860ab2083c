"""Taking an area offline: the parcels of a commune, of a chainage section of a project's
alignment, or of a day's work list, as compact cards a tablet keeps in IndexedDB, the
z13–z18 vector tiles that cover them and the z10–z12 overview tiles of the area.

The cards carry land users' names and shares but never citizen IDs or phone numbers,
whatever the role: a tablet's storage is not a place for them. Every selection of parcels
goes through ``area_parcels`` (the one place where a user's scope applies to what a tablet
may take away). Whether a case may be handed over is checked with the workflow's own rules
for cases at the one step handover can follow; the server checks again on sync.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access.scope import (
    OUT_OF_SCOPE_VI,
    SCOPE_COMMUNE_SQL,
    Scope,
    load_scope,
    scope_case_sql,
)
from gis.core.crs import format_chainage
from gis.core.domain import STEP_LABELS_VI, CaseStep, Role
from gis.core.errors import InvalidInput
from gis.core.formats import Phrase
from gis.field.site import LEADER_READ_ONLY_VI, OUTLINE_TOLERANCE_M, handover_refusal
from gis.maps.tiles import render_tile, tile_for_lonlat
from gis.models import ClearanceCase, User
from gis.workflow.deadlines import DEADLINE_LABELS_VI

AREA_KINDS = ("commune", "section", "worklist")
OVERVIEW_MIN_ZOOM = 10  # the commune overview layer, below the parcels' zooms
MIN_ZOOM = 13
MAX_ZOOM = 18
MAX_PARCELS = 20_000
MAX_WORKLIST = 500
TILE_SAMPLES = 4  # tiles rendered per zoom to estimate the download size
NOT_YET_VI = ("Hồ sơ đang ở bước “{step}”: chỉ bàn giao mặt bằng khi đã có quyết định thu "
              "hồi đất và đã chi trả.")
AREA_TOO_BIG_VI = ("Khu vực có {n} thửa đất, quá {max} thửa cho một lần tải; hãy chọn một "
                   "đoạn lý trình hoặc danh sách công việc nhỏ hơn.")


@dataclass(frozen=True)
class AreaSpec:
    """What to take offline: a commune, a chainage section (metres) of one project's
    alignment, or a list of case ids; optionally within one project."""

    kind: str
    project_id: int | None = None
    commune_code: str | None = None
    from_m: float | None = None
    to_m: float | None = None
    case_ids: tuple[int, ...] = field(default_factory=tuple)

    def checked(self) -> AreaSpec:
        """The spec itself, or a specific refusal of what is missing or wrong."""
        if self.kind not in AREA_KINDS:
            raise _bad("kind", "Hãy chọn cách lấy khu vực: xã/phường, đoạn lý trình hoặc "
                       "danh sách công việc.")
        if self.kind == "commune" and not (self.commune_code or "").isdigit():
            raise _bad("commune", "Hãy chọn xã/phường cần tải.")
        if self.kind == "section":
            if self.project_id is None:
                raise _bad("project", "Đoạn lý trình cần chọn dự án trước.")
            if self.from_m is None or self.to_m is None or not 0 <= self.from_m < self.to_m:
                raise _bad("from_m", "Đoạn lý trình: điểm đầu phải nhỏ hơn điểm cuối "
                           "(ví dụ Km12+000 đến Km13+500).")
        if self.kind == "worklist" and not 0 < len(self.case_ids) <= MAX_WORKLIST:
            raise _bad("cases", f"Danh sách công việc phải có từ 1 đến {MAX_WORKLIST} mã "
                       "hồ sơ.")
        return self


def _bad(name: str, message: str) -> InvalidInput:
    return InvalidInput(f"area {name}: {message}", message_vi=message, reason="bad_area",
                        field=name)


# The parcels of an area in the user's scope, with the case of the project (the latest one
# in scope when no project).
_AREA_SQL = f"""
SELECT p.id AS parcel_id, c.id AS case_id
FROM parcels p
LEFT JOIN LATERAL (
    SELECT cc.id, cc.alignment_id FROM clearance_cases cc
    WHERE cc.parcel_id = p.id
      AND (CAST(:project_id AS integer) IS NULL OR cc.project_id = :project_id)
      AND {scope_case_sql("cc.project_id", "p.commune_code")}
    ORDER BY cc.id DESC LIMIT 1) c ON true
{{join}}
WHERE {{where}}
  AND {SCOPE_COMMUNE_SQL.format(commune="p.commune_code")}
  AND (CAST(:scope_projects AS integer[]) IS NULL OR c.id IS NOT NULL)
ORDER BY p.id
LIMIT :limit
"""
_AREA_FILTERS = {
    "commune": ("", "p.commune_code = :commune"),
    "section": ("""JOIN alignments a ON a.id = c.alignment_id
        CROSS JOIN LATERAL (SELECT a.start_chainage_m + ST_Length(a.centreline)
            * ST_LineLocatePoint(a.centreline, ST_PointOnSurface(p.geom)) AS m) k""",
                "a.centreline IS NOT NULL AND k.m BETWEEN :from_m AND :to_m"),
    "worklist": ("", "c.id = ANY(:cases)"),
}


def area_parcels(session: Session, spec: AreaSpec, user: User) -> list[tuple[int, int | None]]:
    """(parcel id, case id) of every parcel of the area in ``user``'s scope (``gis.access.scope``:
    a commune-limited user gets that commune's parcels, a project-limited one the parcels
    with a case of those projects), in id order. The one place where what a tablet may
    take offline is decided."""
    spec = spec.checked()
    join, where = _AREA_FILTERS[spec.kind]
    if spec.kind == "commune":
        where += " AND (CAST(:project_id AS integer) IS NULL OR c.id IS NOT NULL)"
    rows = session.execute(text(_AREA_SQL.format(join=join, where=where)), {
        "project_id": spec.project_id, "commune": spec.commune_code, "from_m": spec.from_m,
        "to_m": spec.to_m, "cases": list(spec.case_ids), "limit": MAX_PARCELS + 1,
        **load_scope(session, user.id, user.role).sql_params()}).all()
    if len(rows) > MAX_PARCELS:
        raise InvalidInput("area too big", reason="area_too_big", field="kind",
                           message_vi=AREA_TOO_BIG_VI,
                           params={"n": Phrase("hơn {max}", max=MAX_PARCELS), "max": MAX_PARCELS})
    return [(int(r.parcel_id), r.case_id) for r in rows]


_CARDS_SQL = f"""
SELECT p.id AS parcel_id, p.commune_code, m.name AS commune, p.sheet_no, p.parcel_no,
       p.land_use_code, lt.name_vi AS land_use_name, p.legal_area_m2, p.address,
       c.id AS case_id, c.version, c.step::text AS step, c.recovered_area_m2,
       c.approved_total_vnd, c.paid_vnd, c.complaint_open, c.handover_date,
       c.project_id, j.code AS project_code, j.name AS project_name, d.due_on, d.what AS due_what,
       ST_Y(pt) AS lat, ST_X(pt) AS lon,
       ST_XMin(bb) AS west, ST_YMin(bb) AS south, ST_XMax(bb) AS east, ST_YMax(bb) AS north,
       ST_AsGeoJSON(ST_Transform(ST_SimplifyPreserveTopology(p.geom, {OUTLINE_TOLERANCE_M}),
                                 4326), 6) AS outline,
       (SELECT json_agg(json_build_object('name', u.full_name, 'kind', u.kind,
                                          'share_pct', pu.share_pct)
                        ORDER BY pu.share_pct DESC, u.full_name)
        FROM parcel_land_users pu JOIN land_users u ON u.id = pu.land_user_id
        WHERE pu.parcel_id = p.id) AS holders
FROM unnest(CAST(:parcels AS bigint[]), CAST(:cases AS bigint[])) AS a(parcel_id, case_id)
JOIN parcels p ON p.id = a.parcel_id
JOIN communes m ON m.code = p.commune_code
JOIN land_use_types lt ON lt.code = p.land_use_code
LEFT JOIN clearance_cases c ON c.id = a.case_id
LEFT JOIN projects j ON j.id = c.project_id
LEFT JOIN case_next_deadlines d ON d.case_id = c.id
CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(p.geom), 4326) AS pt,
                           ST_Transform(ST_Envelope(p.geom), 4326) AS bb) g
ORDER BY p.id
"""


def _deadline(row: Any, today: dt.date) -> dict[str, Any] | None:
    if row.due_on is None:
        return None
    left = (row.due_on - today).days
    label = DEADLINE_LABELS_VI.get(row.due_what, row.due_what)  # StrEnum keys
    return {"label": label, "due_date": row.due_on.isoformat(), "days_left": left,
            "overdue": left < 0}


def _write_refusal(user: User, scope: Scope, row: Any) -> str | None:
    # The same rule as the workflow's act_as, decided for the whole area at once.
    if user.role == Role.LEADER:
        return LEADER_READ_ONLY_VI
    if not scope.allows(row.project_id, row.commune_code):
        return OUT_OF_SCOPE_VI
    return None


def _case(session: Session, row: Any, today: dt.date, refusal: str | None) -> dict[str, Any]:
    why_not = refusal
    if why_not is None and row.step != CaseStep.DECIDED_PAID.value:
        why_not = NOT_YET_VI.format(step=STEP_LABELS_VI[CaseStep(row.step)])
    elif why_not is None:  # the one step handover may follow: the workflow's own check
        case = session.get(ClearanceCase, row.case_id)
        assert case is not None
        why_not = handover_refusal(session, case, today)
    return {
        "id": row.case_id, "version": row.version, "project": row.project_code,
        "project_name": row.project_name, "recovered_area_m2": float(row.recovered_area_m2),
        "approved_vnd": int(row.approved_total_vnd), "paid_vnd": int(row.paid_vnd),
        "outstanding_vnd": max(int(row.approved_total_vnd) - int(row.paid_vnd), 0),
        "complaint_open": row.complaint_open,
        "handover_date": row.handover_date.isoformat() if row.handover_date else None,
        "deadline": _deadline(row, today),
        "handover": {"allowed": why_not is None, "reason": why_not},
        "may_write": refusal is None, "write_refusal": refusal,
        "history": [], "photos": {"count": 0, "latest": []},
    }


def area_cards(session: Session, parcels: list[tuple[int, int | None]], user: User,
               today: dt.date) -> list[dict[str, Any]]:
    """The offline card of each parcel (the field card's shape, with its box; no ID or
    phone numbers)."""
    rows = session.execute(text(_CARDS_SQL), {"parcels": [p for p, _ in parcels],
                                              "cases": [c for _, c in parcels]})
    scope = load_scope(session, user.id, user.role)
    cards = []
    for r in rows:
        card: dict[str, Any] = {
            "parcel_id": r.parcel_id, "commune": r.commune, "commune_code": r.commune_code,
            "sheet": r.sheet_no, "parcel": r.parcel_no, "land_use": r.land_use_code,
            "land_use_name": r.land_use_name, "legal_area_m2": float(r.legal_area_m2),
            "address": r.address, "lat": round(r.lat, 6), "lon": round(r.lon, 6),
            "bbox": [round(r.west, 6), round(r.south, 6), round(r.east, 6),
                     round(r.north, 6)],
            "outline": json.loads(r.outline), "holders": r.holders or [],
            "step": r.step,
            "step_label": STEP_LABELS_VI[CaseStep(r.step)] if r.step else
            "Ngoài phạm vi thu hồi", "case": None}
        if r.case_id is not None:
            card["case"] = _case(session, r, today, _write_refusal(user, scope, r))
        cards.append(card)
    return cards


def area_tiles(cards: list[dict[str, Any]]) -> list[tuple[int, int, int]]:
    """(z, x, y) of the z13–z18 tiles meeting the parcels' boxes, and of the z10–z12
    overview tiles (communes with their case counts) over the whole area; coarse first."""
    found: set[tuple[int, int, int]] = set()

    def cover(z: int, box: list[float]) -> None:
        x0, y0 = tile_for_lonlat(z, box[0], box[3])
        x1, y1 = tile_for_lonlat(z, box[2], box[1])
        found.update((z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1))

    for card in cards:
        for z in range(MIN_ZOOM, MAX_ZOOM + 1):
            cover(z, card["bbox"])
    if cards:
        boxes = [c["bbox"] for c in cards]
        whole = [min(b[0] for b in boxes), min(b[1] for b in boxes),
                 max(b[2] for b in boxes), max(b[3] for b in boxes)]
        for z in range(OVERVIEW_MIN_ZOOM, MIN_ZOOM):
            cover(z, whole)
    return sorted(found)


def package_bytes(payload: dict[str, Any]) -> tuple[bytes, int]:
    """The package as compact JSON, and its gzipped size (what crosses the network)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return body, len(gzip.compress(body, compresslevel=6, mtime=0))


def tile_bytes_estimate(session: Session, tiles: list[tuple[int, int, int]], *,
                        project_id: int | None, today: dt.date) -> int:
    """The tiles' total size, from a few tiles of each zoom rendered by PostGIS."""
    total = 0
    for z in range(OVERVIEW_MIN_ZOOM, MAX_ZOOM + 1):
        level = [t for t in tiles if t[0] == z]
        if not level:
            continue
        step = max(len(level) // TILE_SAMPLES, 1)
        sample = level[::step][:TILE_SAMPLES]
        sizes = [len(render_tile(session, *t, project_id=project_id, today=today))
                 for t in sample]
        total += round(sum(sizes) / len(sizes) * len(level))
    return total


def parse_chainage(value: str, name: str) -> float:
    """'Km12+350', '12+350' or plain metres ('12350') → metres along the alignment."""
    raw = value.strip().upper().replace(" ", "").removeprefix("KM")
    try:
        if "+" in raw:
            km, m = raw.split("+", 1)
            return int(km) * 1000 + float(m.replace(",", "."))
        return float(raw.replace(",", "."))
    except ValueError:
        raise _bad(name, f"Lý trình “{value}” không đúng dạng; hãy ghi như Km12+350 hoặc "
                   "số mét (12350).") from None


def area_label(session: Session, spec: AreaSpec) -> str:
    """How the tablet names a downloaded area."""
    if spec.kind == "commune":
        name = session.scalar(text("SELECT name FROM communes WHERE code = :c"),
                              {"c": spec.commune_code})
        return f"{name or spec.commune_code}"
    if spec.kind == "section":
        code = session.scalar(text("SELECT code FROM projects WHERE id = :p"),
                              {"p": spec.project_id})
        return (f"{code} {format_chainage(spec.from_m or 0)} – "
                f"{format_chainage(spec.to_m or 0)}")
    return f"Danh sách công việc ({len(spec.case_ids)} hồ sơ)"
