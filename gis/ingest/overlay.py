"""Overlay a project's footprint with the parcels to create and update clearance cases, and
chainage (lý trình) along an alignment's centreline."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import shapely
from shapely.geometry import Point
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.compensation.records import open_household_records
from gis.core.crs import format_chainage
from gis.core.errors import InvalidInput, NotFound
from gis.core.formats import fmt_dec
from gis.core.lookups import project_by_code

WHOLE_SHARE = 0.995  # recovered ≥ 99.5 % of the parcel counts as the whole parcel
MIN_CASE_AREA_M2 = 1.0
"""The overlay's default: a parcel the footprint crosses by less gets no case."""


@dataclass(frozen=True)
class CaseChange:
    """A case whose recovered area changed, or that no longer meets the footprint."""

    case_id: int
    parcel: str
    old_area_m2: float
    new_area_m2: float


@dataclass
class OverlayResult:
    """What ``overlay_project`` did."""

    project_code: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    kept: list[CaseChange] = field(default_factory=list)  # outside now, but with history
    paid_changed: list[CaseChange] = field(default_factory=list)  # held unless confirmed
    paid_confirmed: bool = False  # True: the paid_changed cases were updated
    noted: int = 0  # history notes written on changed cases
    case_changes: list[tuple[int, str]] = field(default_factory=list)  # (case id, I/U/D)


_HISTORY = """(EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id)
    OR EXISTS (SELECT 1 FROM payments pay WHERE pay.case_id = c.id)
    OR EXISTS (SELECT 1 FROM resettlement_allocations r WHERE r.case_id = c.id)
    OR EXISTS (SELECT 1 FROM compensation_line_items li WHERE li.case_id = c.id)
    OR c.step <> 'not_started' OR c.approved_total_vnd > 0)"""
_IDENT = "p.commune_code || '/' || p.sheet_no || '/' || p.parcel_no"
_SAME_PARCEL = ("{a}.commune_code = {b}.commune_code AND {a}.sheet_no = {b}.sheet_no"
                " AND {a}.parcel_no = {b}.parcel_no"
                " AND {a}.sheet_commune_code = {b}.sheet_commune_code")
_SURVEY_RANK = "(COALESCE({s}.surveyed_on, {s}.created_at::date), {s}.id)"
CURRENT_PARCEL = f"""NOT EXISTS (
    SELECT 1 FROM parcels p2 JOIN surveys s2 ON s2.id = p2.survey_id, surveys s1
    WHERE s1.id = p.survey_id AND p2.id <> p.id AND {_SAME_PARCEL.format(a="p2", b="p")}
      AND {_SURVEY_RANK.format(s="s2")} > {_SURVEY_RANK.format(s="s1")})"""
"""SQL predicate on ``parcels p``: p is the current version of its commune + sheet + parcel,
i.e. no other survey holding the same parcel is newer (by survey date, else import date)."""


def _note(old_area: float, new_area: float, old_whole: bool, new_whole: bool,
          version_changed: bool, actor: str) -> str:
    parts = []
    if old_area != new_area:
        parts.append(f"diện tích thu hồi {fmt_dec(old_area, 1)} → {fmt_dec(new_area, 1)} m²")
    if old_whole != new_whole:
        parts.append("thu hồi " + ("một phần → toàn bộ thửa" if new_whole
                                   else "toàn bộ → một phần thửa"))
    if version_changed:
        parts.append("theo bản đo đạc mới của thửa")
    if not parts:
        parts.append("ranh giới phần thu hồi thay đổi, diện tích giữ nguyên")
    return f"{OVERLAY_NOTE_VI} ({actor}): " + "; ".join(parts) + "."


OVERLAY_NOTE_VI = "Chồng xếp lại phạm vi thu hồi"
NOTE_HEADS_VI = (f"{OVERLAY_NOTE_VI} (",)
NOTE_PHRASES_VI = (OVERLAY_NOTE_VI, "diện tích thu hồi", "thu hồi một phần → toàn bộ thửa",
                   "thu hồi toàn bộ → một phần thửa", "theo bản đo đạc mới của thửa",
                   "ranh giới phần thu hồi thay đổi, diện tích giữ nguyên")
"""The vocabulary of the history note a new overlay writes (translated by pages)."""


def overlay_project(session: Session, project_code: str,
                    min_area_m2: float = MIN_CASE_AREA_M2, *,
                    actor: str = "overlay", confirm_paid: bool = False) -> OverlayResult:
    """Intersect the project's alignment footprints with the current parcels (set-based SQL).

    Only the current version of each commune + sheet + parcel is used (see
    :data:`CURRENT_PARCEL`); a case on an older version moves to the current one. Creates a
    case per parcel crossed by at least ``min_area_m2``, updates the recovered geometry/area
    and whole/partial flag of existing ones (audited, and a note in each changed case's
    history), deletes cases that no longer cross the footprint only when they have no
    history; the others are reported in ``kept``. Changes to cases with payments are held
    and listed in ``paid_changed`` unless ``confirm_paid``.
    """
    if min_area_m2 < 0:
        raise InvalidInput("min_area_m2 must be >= 0", message_vi="Ngưỡng diện tích phải ≥ 0.")
    pid = project_by_code(session, project_code).id
    n_align = session.execute(text("SELECT count(*) FROM alignments WHERE project_id = :p"),
                              {"p": pid}).scalar_one()
    if not n_align:
        raise InvalidInput(f"project {project_code} has no alignment",
                           message_vi="Dự án {project} chưa có tuyến/phạm vi thu hồi.",
                           params={"project": project_code})
    session.execute(text("SELECT set_config('gpmb.actor', :a, true)"), {"a": actor})
    # Long corridors are cut into small pieces so that each parcel meets one or two of them
    # through the index, instead of every parcel being intersected with the whole footprint.
    session.execute(text("DROP TABLE IF EXISTS overlay_pieces, overlay_new, overlay_match"))
    session.execute(text(
        "CREATE TEMP TABLE overlay_pieces ON COMMIT DROP AS SELECT id AS alignment_id,"
        " ST_Subdivide(footprint, 64) AS geom FROM alignments WHERE project_id = :p"),
        {"p": pid})
    session.execute(text("CREATE INDEX ON overlay_pieces USING gist (geom)"))
    session.execute(text("ANALYZE overlay_pieces"))
    session.execute(text(f"""
        CREATE TEMP TABLE overlay_new ON COMMIT DROP AS
        WITH hits AS (
            SELECT p.id AS parcel_id, q.alignment_id, ST_Area(p.geom) AS parcel_area,
                   CASE WHEN ST_CoveredBy(p.geom, q.geom) THEN p.geom
                        ELSE ST_Intersection(p.geom, q.geom) END AS g
            FROM parcels p JOIN overlay_pieces q ON ST_Intersects(p.geom, q.geom)
            WHERE {CURRENT_PARCEL}),
        per_parcel AS (
            SELECT parcel_id, min(parcel_area) AS parcel_area,
                   (array_agg(alignment_id ORDER BY ST_Area(g) DESC, alignment_id))[1]
                       AS alignment_id,
                   CASE WHEN count(*) = 1 THEN (array_agg(g))[1] ELSE ST_Union(g) END AS g
            FROM hits GROUP BY parcel_id),
        clean AS (
            SELECT parcel_id, parcel_area, alignment_id,
                   ST_Multi(ST_CollectionExtract(ST_MakeValid(g), 3)) AS g FROM per_parcel)
        SELECT parcel_id, g AS recovered_geom, round(ST_Area(g)::numeric, 1) AS area,
               ST_Area(g) >= {WHOLE_SHARE} * parcel_area AS is_whole, alignment_id
        FROM clean WHERE NOT ST_IsEmpty(g) AND ST_Area(g) >= :m
    """), {"m": min_area_m2})
    session.execute(text("CREATE INDEX ON overlay_new (parcel_id)"))
    # The project's existing case for the same commune + sheet + parcel, on this version of
    # the parcel or an older one (this version's case first).
    session.execute(text(f"""
        CREATE TEMP TABLE overlay_match ON COMMIT DROP AS
        SELECT DISTINCT ON (n.parcel_id) n.parcel_id, c.id AS case_id,
               EXISTS (SELECT 1 FROM payments pay WHERE pay.case_id = c.id) AS has_payments
        FROM overlay_new n JOIN parcels pn ON pn.id = n.parcel_id
        JOIN parcels p ON {_SAME_PARCEL.format(a="p", b="pn")}
        JOIN clearance_cases c ON c.parcel_id = p.id AND c.project_id = :p
        ORDER BY n.parcel_id, c.parcel_id = n.parcel_id DESC, c.id
    """), {"p": pid})
    session.execute(text("CREATE INDEX ON overlay_match (case_id)"))
    changed = ("(c.recovered_area_m2 <> n.area OR c.is_whole_parcel <> n.is_whole"
               " OR c.parcel_id <> n.parcel_id"
               " OR c.alignment_id IS DISTINCT FROM n.alignment_id"
               " OR NOT (c.recovered_geom = n.recovered_geom"
               " OR ST_Equals(c.recovered_geom, n.recovered_geom)))")
    paid = session.execute(text(f"""
        SELECT c.id, {_IDENT}, c.recovered_area_m2::float, n.area::float
        FROM overlay_match m JOIN clearance_cases c ON c.id = m.case_id
        JOIN overlay_new n ON n.parcel_id = m.parcel_id JOIN parcels p ON p.id = n.parcel_id
        WHERE m.has_payments AND {changed} ORDER BY c.id
    """)).all()
    updates = session.execute(text(f"""
        WITH changed AS (
            SELECT c.id, n.parcel_id, c.recovered_area_m2::float AS old_area,
                   n.area::float AS new_area, c.is_whole_parcel AS old_whole,
                   n.is_whole AS new_whole, c.parcel_id <> n.parcel_id AS moved
            FROM overlay_match m JOIN clearance_cases c ON c.id = m.case_id
            JOIN overlay_new n ON n.parcel_id = m.parcel_id
            WHERE {changed} AND (NOT m.has_payments OR :confirm))
        UPDATE clearance_cases c SET parcel_id = n.parcel_id, recovered_geom = n.recovered_geom,
               recovered_area_m2 = n.area, is_whole_parcel = n.is_whole,
               alignment_id = n.alignment_id, version = c.version + 1, updated_at = now()
        FROM changed x JOIN overlay_new n ON n.parcel_id = x.parcel_id
        WHERE c.id = x.id
        RETURNING c.id, x.old_area, x.new_area, x.old_whole, x.new_whole, x.moved
    """), {"confirm": confirm_paid}).all()
    if updates:  # what changed goes into each case's (append-only) history
        session.execute(text(
            "INSERT INTO case_events (case_id, kind, occurred_on, note)"
            " VALUES (:c, 'note', current_date, :n)"),
            [{"c": case_id, "n": _note(old_area, new_area, old_whole, new_whole, moved, actor)}
             for case_id, old_area, new_area, old_whole, new_whole, moved in updates])
    created = session.execute(text("""
        INSERT INTO clearance_cases (project_id, parcel_id, alignment_id, recovered_geom,
                                     recovered_area_m2, is_whole_parcel)
        SELECT :p, n.parcel_id, n.alignment_id, n.recovered_geom, n.area, n.is_whole
        FROM overlay_new n
        WHERE NOT EXISTS (SELECT 1 FROM overlay_match m WHERE m.parcel_id = n.parcel_id)
        RETURNING id
    """), {"p": pid}).scalars().all()
    gone = session.execute(text(f"""
        SELECT c.id, {_IDENT}, c.recovered_area_m2::float, {_HISTORY}
        FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
        WHERE c.project_id = :p
          AND NOT EXISTS (SELECT 1 FROM overlay_match m WHERE m.case_id = c.id)
          AND NOT EXISTS (SELECT 1 FROM overlay_new n WHERE n.parcel_id = c.parcel_id)
        ORDER BY c.id
    """), {"p": pid}).all()
    drop = [case_id for case_id, _, _, history in gone if not history]
    if drop:
        # A case with no history may still be linked to its land users' household records
        # (opened by the import or the case page); the link goes with the case, the record
        # stays (it holds no decision for it, so it counts nowhere).
        session.execute(text("DELETE FROM compensation_household_cases WHERE case_id = ANY(:ids)"),
                        {"ids": drop})
        session.execute(text("DELETE FROM clearance_cases WHERE id = ANY(:ids)"), {"ids": drop})
    # The land users of new and re-drawn cases get their household records at once, so the
    # per-household counts and the payment pages never miss a case an import just made.
    open_household_records(session, case_ids=[*created, *(u[0] for u in updates)])
    total = session.execute(text("SELECT count(*) FROM overlay_new")).scalar_one()
    n_created, n_updated = len(created), len(updates)
    held = 0 if confirm_paid else len(paid)
    return OverlayResult(
        project_code, n_created, n_updated, int(total) - n_created - n_updated - held,
        len(drop),
        kept=[CaseChange(i, who, area, 0.0) for i, who, area, history in gone if history],
        paid_changed=[CaseChange(*row) for row in paid], paid_confirmed=confirm_paid,
        noted=len(updates),
        case_changes=[(int(i), "I") for i in created] + [(int(u[0]), "U") for u in updates]
        + [(int(i), "D") for i in drop],
    )


@dataclass(frozen=True)
class Chainage:
    """Position along an alignment: chainage in metres, offset and side of the centreline."""

    metres: float
    offset_m: float
    side: str  # "left" | "right" | "on"

    @property
    def label(self) -> str:
        """``Km12+350``."""
        return format_chainage(self.metres)

    @property
    def side_vi(self) -> str:
        """Trái / phải / trên tim tuyến."""
        return {"left": "trái", "right": "phải", "on": "trên tim tuyến"}[self.side]


def chainage_of(session: Session, alignment_id: int, target: Point | int) -> Chainage:
    """Chainage of a point (EPSG:9215) or of a parcel (by id; its point on surface)."""
    row = session.execute(text(
        "SELECT ST_AsBinary(centreline), start_chainage_m FROM alignments WHERE id = :a"),
        {"a": alignment_id}).first()
    if row is None or row[0] is None:
        raise NotFound(f"alignment {alignment_id} or its centreline",
                       message_vi="Không có tuyến này hoặc tuyến chưa có tim tuyến.")
    line = shapely.LineString(shapely.get_coordinates(shapely.from_wkb(bytes(row[0]))))
    start = float(Decimal(row[1]))
    if isinstance(target, Point):
        point = target
    else:
        wkb = session.execute(text("SELECT ST_AsBinary(ST_PointOnSurface(geom)) FROM parcels"
                                   " WHERE id = :i"), {"i": target}).scalar()
        if wkb is None:
            raise NotFound(f"parcel {target}", message_vi="Không có thửa đất id {parcel}.",
                           params={"parcel": str(target)})
        point = Point(shapely.get_coordinates(shapely.from_wkb(bytes(wkb)))[0])
    coords = np.asarray(line.coords)
    segments = shapely.linestrings(np.stack([coords[:-1], coords[1:]], axis=1))
    k = int(np.argmin(shapely.distance(segments, point)))
    (ax, ay), (bx, by) = coords[k][:2], coords[k + 1][:2]
    cross = (bx - ax) * (point.y - ay) - (by - ay) * (point.x - ax)
    offset = float(line.distance(point))
    side = "on" if offset < 1e-6 else ("left" if cross > 0 else "right")
    return Chainage(start + float(line.project(point)), offset, side)
