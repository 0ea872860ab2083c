"""What a project map needs besides the parcel tiles: the legend's figures per step, the
right-of-way and centreline with Km markers, commune boundaries and the filter choices.

All small: a handful of alignments and communes, never the parcel layer itself (that is
served as vector tiles by ``gis.tiles``). Geometry leaves here as GeoJSON in EPSG:4326.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gis.domain import STEP_LABELS_VI, STEP_ORDER, CaseStep
from gis.errors import NotFound
from gis.models import Project

KM_MARKER_SPACING_M = 1000


@dataclass(frozen=True)
class StepFigure:
    """One legend row: how many cases are at ``step`` and their recovered area."""

    step: CaseStep
    label: str
    cases: int
    area_m2: Decimal


def project_by_code(session: Session, code: str) -> Project:
    """The project with this code, or ``NotFound`` (a user-safe message)."""
    project = session.scalar(select(Project).where(Project.code == code))
    if project is None:
        raise NotFound(f"no project {code!r}", message_vi=f"Không có dự án mã {code}.")
    return project


def step_figures(session: Session, project_id: int) -> list[StepFigure]:
    """Cases and recovered area per step (every step listed, in procedure order)."""
    rows = session.execute(text(
        "SELECT step::text, count(*), coalesce(sum(recovered_area_m2), 0)"
        " FROM clearance_cases WHERE project_id = :p GROUP BY step"), {"p": project_id})
    found = {CaseStep(r[0]): (int(r[1]), Decimal(r[2])) for r in rows}
    steps = sorted(CaseStep, key=lambda s: (STEP_ORDER[s], list(CaseStep).index(s)))
    return [StepFigure(s, STEP_LABELS_VI[s], *found.get(s, (0, Decimal(0)))) for s in steps]


def project_bounds(session: Session, project_id: int) -> tuple[float, float, float, float]:
    """(south, west, north, east) in degrees of the project's footprints and parcels."""
    row = session.execute(text("""
        SELECT ST_YMin(b), ST_XMin(b), ST_YMax(b), ST_XMax(b) FROM (
          SELECT ST_Extent(ST_Transform(g, 4326)) AS b FROM (
            SELECT footprint AS g FROM alignments WHERE project_id = :p
            UNION ALL
            SELECT recovered_geom FROM clearance_cases WHERE project_id = :p) u) s
    """), {"p": project_id}).one()
    if row[0] is None:  # nothing drawn yet: Lạng Sơn city
        return 21.80, 106.70, 21.90, 106.80
    return float(row[0]), float(row[1]), float(row[2]), float(row[3])


def _collection(rows: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(r.geojson), "properties": dict(r.props)}
        for r in rows]}


def alignment_layers(session: Session, project_id: int) -> dict[str, dict[str, Any]]:
    """GeoJSON of the right-of-way footprints, the centrelines and their Km markers."""
    params = {"p": project_id, "step": KM_MARKER_SPACING_M}
    footprints = session.execute(text("""
        SELECT ST_AsGeoJSON(ST_Transform(ST_SimplifyPreserveTopology(footprint, 0.5), 4326), 6)
                   AS geojson,
               jsonb_build_object('code', code, 'name', name, 'row_width_m', row_width_m) AS props
        FROM alignments WHERE project_id = :p ORDER BY code"""), params)
    lines = session.execute(text("""
        SELECT ST_AsGeoJSON(ST_Transform(centreline, 4326), 6) AS geojson,
               jsonb_build_object('code', code, 'name', name) AS props
        FROM alignments WHERE project_id = :p AND centreline IS NOT NULL ORDER BY code"""),
        params)
    # A marker at every whole kilometre of chainage along each centreline.
    markers = session.execute(text("""
        SELECT ST_AsGeoJSON(ST_Transform(ST_LineInterpolatePoint(a.centreline,
                   (k.m - a.start_chainage_m) / ST_Length(a.centreline)), 4326), 6) AS geojson,
               jsonb_build_object('code', a.code, 'km', (k.m / 1000)::int,
                                  'label', 'Km' || (k.m / 1000)::int) AS props
        FROM alignments a
        CROSS JOIN LATERAL generate_series(
            (ceil(a.start_chainage_m / :step) * :step)::int,
            (a.start_chainage_m + ST_Length(a.centreline))::int, :step) AS k(m)
        WHERE a.project_id = :p AND a.centreline IS NOT NULL AND ST_Length(a.centreline) > 0
        ORDER BY a.code, k.m"""), params)
    return {"footprint": _collection(footprints), "centreline": _collection(lines),
            "km": _collection(markers)}


def commune_layer(session: Session, project_id: int) -> dict[str, Any]:
    """GeoJSON of the (approximate) boundaries of the communes the project touches."""
    rows = session.execute(text("""
        SELECT ST_AsGeoJSON(ST_Transform(m.boundary, 4326), 5) AS geojson,
               jsonb_build_object('code', m.code, 'name', m.name,
                                  'approximate', m.boundary_is_approximate) AS props
        FROM communes m
        WHERE m.boundary IS NOT NULL AND m.code IN (
            SELECT DISTINCT p.commune_code FROM clearance_cases c
            JOIN parcels p ON p.id = c.parcel_id WHERE c.project_id = :p)
        ORDER BY m.code"""), {"p": project_id})
    return _collection(rows)


def filter_choices(session: Session, project_id: int) -> dict[str, list[tuple[str, str]]]:
    """(value, label) choices for the map's commune and land-use filters."""
    communes = session.execute(text("""
        SELECT m.code, m.name FROM communes m WHERE m.code IN (
            SELECT DISTINCT p.commune_code FROM clearance_cases c
            JOIN parcels p ON p.id = c.parcel_id WHERE c.project_id = :p)
        ORDER BY m.name"""), {"p": project_id})
    land_uses = session.execute(text("""
        SELECT t.code, t.code || ' — ' || t.name_vi FROM land_use_types t WHERE t.code IN (
            SELECT DISTINCT p.land_use_code FROM clearance_cases c
            JOIN parcels p ON p.id = c.parcel_id WHERE c.project_id = :p)
        ORDER BY t.code"""), {"p": project_id})
    return {"communes": [(r[0], r[1]) for r in communes],
            "land_uses": [(r[0], r[1]) for r in land_uses]}
