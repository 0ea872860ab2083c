"""The project map's filters answered by the database: how many cases match, where they
are, the legend's figures per step, and the parcels of the area that lie outside the
project's footprint (so the map can say why they are not drawn).

The filters are the export's (``gis.export.query``): the same parser
(``filters_from_query``), the same checks (``resolve``: unknown communes, steps or land-use
codes get their specific errors) and the same SQL (``where_clause``), so the number the map
shows is the number of features the map's "Export" button writes.

A project's area (phạm vi dự án) is the footprint of its alignments (``alignments.footprint``,
the right-of-way): ``gis.ingest.overlay`` makes a clearance case for every parcel it crosses,
and the project map draws the parcels with a case. A parcel imported where no footprint
reaches has no case in the project, so it is not on that map; neither is one imported
inside it after the last overlay (a parcel import does not overlay), until the overlay is
run again (``gpmb import overlay CODE``, or a new alignment import).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access.scope import SCOPE_COMMUNE_SQL, SCOPE_PROJECT_SQL, Scope
from gis.core.crs import STORAGE_SRID
from gis.core.domain import CaseStep
from gis.export.query import (
    FROM_SQL,
    ExportFilters,
    Selection,
    late_case_ids,
    resolve,
    where_clause,
)
from gis.ingest.overlay import CURRENT_PARCEL
from gis.ingest.overlay import MIN_CASE_AREA_M2 as MIN_OVERLAY_AREA_M2

DEADLINE_LIMIT = 1_000_000  # open cases whose deadlines are read for the overdue filter


@dataclass(frozen=True)
class MapSummary:
    """What the map's filters select, counted by the database."""

    matching: int  # cases of the project matching every filter
    total: int  # cases of the project the reader may see
    bounds: tuple[float, float, float, float] | None  # (south, west, north, east) of them
    steps: dict[CaseStep, tuple[int, float]]  # per step, under the other filters: cases, m²
    outside: int  # parcels of the filtered area (communes, land use) outside the footprint
    not_overlaid: int  # parcels of that area the footprint crosses with no case yet


# The parcels of the project's area without a case in the project: current versions only
# (an older survey's version is replaced, not outside), and, for a reader limited to some
# projects, only the parcels with a case of theirs (what the all-parcels tiles show them).
OUTSIDE_SQL = f"""p.commune_code = ANY(:area_communes)
  AND {SCOPE_COMMUNE_SQL.format(commune="p.commune_code")}
  AND (CAST(:land_uses AS text[]) IS NULL OR p.land_use_code = ANY(CAST(:land_uses AS text[])))
  AND NOT EXISTS (SELECT 1 FROM clearance_cases o
                  WHERE o.parcel_id = p.id AND o.project_id = :outside_project)
  AND (CAST(:scope_projects AS integer[]) IS NULL
       OR EXISTS (SELECT 1 FROM clearance_cases v WHERE v.parcel_id = p.id
                  AND {SCOPE_PROJECT_SQL.format(project="v.project_id")}))
  AND {CURRENT_PARCEL}"""


# Of those, the ones the footprint crosses (by at least the overlay's default 1 m²): imported
# after the last overlay, they get their case when the overlay is run again. The footprint
# is cut into small pieces so each meets its parcels through the index (as the overlay does).
NOT_OVERLAID_SQL = f"""
WITH pieces AS (SELECT ST_Subdivide(footprint, 64) AS g FROM alignments
                WHERE project_id = :outside_project)
SELECT count(DISTINCT p.id) FROM pieces q JOIN parcels p ON ST_Intersects(p.geom, q.g)
WHERE ST_Area(ST_Intersection(p.geom, q.g)) >= {MIN_OVERLAY_AREA_M2} AND {OUTSIDE_SQL}"""
IN_FOOTPRINT_SQL = f"""EXISTS (SELECT 1 FROM alignments a
    WHERE a.project_id = :outside_project AND ST_Intersects(a.footprint, p.geom)
      AND ST_Area(ST_Intersection(a.footprint, p.geom)) >= {MIN_OVERLAY_AREA_M2})"""
"""SQL predicate on ``parcels p``: the project's footprint crosses it (a few rows only)."""


def project_communes(session: Session, project_id: int) -> list[str]:
    """The communes the project's cases are in (its area on the map)."""
    return list(session.scalars(text(
        "SELECT DISTINCT p.commune_code FROM clearance_cases c JOIN parcels p"
        " ON p.id = c.parcel_id WHERE c.project_id = :p ORDER BY 1"), {"p": project_id}))


def outside_params(project_id: int, communes: list[str], land_uses: tuple[str, ...],
                   scope: Scope) -> dict[str, Any]:
    """The parameters of ``OUTSIDE_SQL``."""
    return {"area_communes": communes, "land_uses": list(land_uses) or None,
            "outside_project": project_id, **scope.sql_params()}


def _cases(session: Session, sel: Selection, late: list[int], select: str,
           group: str = "") -> list[Any]:
    where, params = where_clause("cases", sel, late)
    return list(session.execute(text(f"SELECT {select} {FROM_SQL['cases']}{where}{group}"),
                                params))


def map_summary(session: Session, project_code: str, filters: ExportFilters,
                today: dt.date, scope: Scope) -> MapSummary:
    """Count, extent and legend figures of the project's cases under ``filters`` (the
    export's, ``project`` replaced by ``project_code``) as ``scope`` sees them, and how
    many parcels of the filtered communes lie outside the project's footprint (and how
    many inside it still wait for the overlay)."""
    sel = resolve(session, dataclasses.replace(filters, project=project_code), scope)
    assert sel.project_id is not None
    late = (late_case_ids(session, sel, today, limit=DEADLINE_LIMIT)
            if sel.overdue is not None else [])
    where, params = where_clause("cases", sel, late)
    found = session.execute(text(f"""
        SELECT n, ST_YMin(b), ST_XMin(b), ST_YMax(b), ST_XMax(b) FROM (
          SELECT count(*) AS n, ST_Transform(ST_Segmentize(
                     ST_SetSRID(ST_Extent(p.geom)::geometry, {STORAGE_SRID}), 500),
                     4326)::box2d AS b
          {FROM_SQL['cases']}{where}) s"""), params).one()
    bounds = None if found[1] is None else (float(found[1]), float(found[2]),
                                             float(found[3]), float(found[4]))
    by_step = _cases(session, dataclasses.replace(sel, steps=()), late,
                     "cc.step::text, count(*), coalesce(sum(cc.recovered_area_m2), 0)",
                     " GROUP BY cc.step")
    steps = {CaseStep(r[0]): (int(r[1]), float(r[2])) for r in by_step}
    everything = Selection(sel.project_id, sel.project_code, scope=scope)
    total = int(_cases(session, everything, [], "count(*)")[0][0])
    communes = list(sel.communes) or project_communes(session, sel.project_id)
    area = outside_params(sel.project_id, communes, sel.land_uses, scope)
    without_case = int(session.execute(
        text(f"SELECT count(*) FROM parcels p WHERE {OUTSIDE_SQL}"), area).scalar_one())
    not_overlaid = int(session.execute(text(NOT_OVERLAID_SQL), area).scalar_one()) \
        if without_case else 0
    return MapSummary(int(found[0]), total, bounds,
                      {s: steps.get(s, (0, 0.0)) for s in CaseStep},
                      without_case - not_overlaid, not_overlaid)
