"""What a project map needs besides the parcel tiles: the legend's figures per step, the
right-of-way and centreline with Km markers, commune boundaries and the filter choices.

All small: a handful of alignments and communes, never the parcel layer itself (that is
served as vector tiles by ``gis.maps.tiles``). Geometry leaves here as GeoJSON in EPSG:4326.

The page is built on every visit, so what costs geometry work (simplifying and
reprojecting alignments and commune boundaries) is kept in a small in-process cache,
keyed by a fingerprint of the rows it was made from (their ids and ``xmin``, the
transaction that last wrote each row): any committed insert, update or delete changes the
fingerprint, so the next page sees it without any write path having to invalidate.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access.scope import Scope, scope_case_sql
from gis.core.collation import vi_name_key
from gis.core.crs import STORAGE_SRID
from gis.core.domain import STEP_LABELS_VI, STEP_ORDER, CaseStep

KM_MARKER_SPACING_M = 1000
CACHE_ENTRIES = 64  # (database, layer, project) entries kept; a few KB to ~100 KB each


class _LayerCache:
    """GeoJSON layers by (database, layer, key), each stored with its rows' fingerprint.

    Values are kept as JSON text, so every caller gets its own copy to change (Folium
    adds feature ids to the GeoJSON it is given)."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str, Any], tuple[str, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session, layer: str, key: Any, fingerprint: str,
            build: Callable[[], Any]) -> Any:
        """The cached value when its fingerprint still matches, else ``build()`` (kept)."""
        slot = (str(session.get_bind().engine.url), layer, key)
        with self._lock:
            found = self._entries.get(slot)
            if found is not None and found[0] == fingerprint:
                self._entries.move_to_end(slot)
                return json.loads(found[1])
        value = build()
        with self._lock:
            self._entries[slot] = (fingerprint, json.dumps(value))
            self._entries.move_to_end(slot)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget everything (tests; a restored database)."""
        with self._lock:
            self._entries.clear()


CACHE = _LayerCache(CACHE_ENTRIES)


@dataclass(frozen=True)
class StepFigure:
    """One legend row: how many cases are at ``step`` and their recovered area."""

    step: CaseStep
    label: str
    cases: int
    area_m2: Decimal


def step_figures(session: Session, project_id: int, scope: Scope) -> list[StepFigure]:
    """Cases (in ``scope``) and recovered area per step (every step listed, in procedure
    order)."""
    rows = session.execute(text(
        "SELECT c.step::text, count(*), coalesce(sum(c.recovered_area_m2), 0)"
        " FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id"
        " WHERE c.project_id = :p AND " + scope_case_sql("c.project_id", "p.commune_code")
        + " GROUP BY c.step"), {"p": project_id, **scope.sql_params()})
    found = {CaseStep(r[0]): (int(r[1]), Decimal(r[2])) for r in rows}
    steps = sorted(CaseStep, key=lambda s: (STEP_ORDER[s], list(CaseStep).index(s)))
    return [StepFigure(s, STEP_LABELS_VI[s], *found.get(s, (0, Decimal(0)))) for s in steps]


def project_bounds(session: Session, project_id: int) -> tuple[float, float, float, float]:
    """(south, west, north, east) in degrees of the project's footprints and parcels.

    The extent is taken of the geometries' stored bounding boxes (no geometry is read or
    reprojected) and only that box is transformed, densified so its curved edges count."""
    row = session.execute(text("""
        SELECT ST_YMin(b), ST_XMin(b), ST_YMax(b), ST_XMax(b) FROM (
          SELECT ST_Transform(ST_Segmentize(ST_SetSRID(e::geometry, :srid), 500), 4326)::box2d
                 AS b
          FROM (SELECT ST_Extent(g) AS e FROM (
            SELECT footprint AS g FROM alignments WHERE project_id = :p
            UNION ALL
            SELECT recovered_geom FROM clearance_cases WHERE project_id = :p) u) x) s
    """), {"p": project_id, "srid": STORAGE_SRID}).one()
    if row[0] is None:  # nothing drawn yet: Lạng Sơn city
        return 21.80, 106.70, 21.90, 106.80
    return float(row[0]), float(row[1]), float(row[2]), float(row[3])


def _collection(rows: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(r.geojson), "properties": dict(r.props)}
        for r in rows]}


def alignment_layers(session: Session, project_id: int) -> dict[str, dict[str, Any]]:
    """GeoJSON of the right-of-way footprints, the centrelines and their Km markers
    (cached until an alignment of the project is added, changed or removed)."""
    fingerprint = session.scalar(text("""
        SELECT coalesce(md5(string_agg(id::text || ':' || xmin::text, ',' ORDER BY id)), '')
        FROM alignments WHERE project_id = :p"""), {"p": project_id})
    layers: dict[str, dict[str, Any]] = CACHE.get(
        session, "alignments", project_id, str(fingerprint),
        lambda: _alignment_layers(session, project_id))
    return layers


def _alignment_layers(session: Session, project_id: int) -> dict[str, dict[str, Any]]:
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


def used_codes(session: Session, project_id: int) -> tuple[list[str], list[str]]:
    """The commune codes and land-use codes of the parcels the project's cases recover
    (one pass over the cases; what the commune layer and the filters are made of)."""
    row = session.execute(text("""
        SELECT coalesce(array_agg(DISTINCT p.commune_code), '{}'),
               coalesce(array_agg(DISTINCT p.land_use_code), '{}')
        FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
        WHERE c.project_id = :p"""), {"p": project_id}).one()
    return sorted(row[0]), sorted(row[1])


def commune_layer(session: Session, project_id: int,
                  communes: list[str] | None = None) -> dict[str, Any]:
    """GeoJSON of the (approximate) boundaries of the communes the project touches
    (``communes``: their codes, from ``used_codes``; cached until a boundary changes)."""
    codes = sorted(communes) if communes is not None else used_codes(session, project_id)[0]
    fingerprint = session.scalar(text("""
        SELECT coalesce(md5(string_agg(code || ':' || xmin::text, ',' ORDER BY code)), '')
        FROM communes WHERE code = ANY(:codes)"""), {"codes": codes})

    def build() -> dict[str, Any]:
        rows = session.execute(text("""
            SELECT ST_AsGeoJSON(ST_Transform(m.boundary, 4326), 5) AS geojson,
                   jsonb_build_object('code', m.code, 'name', m.name,
                                      'approximate', m.boundary_is_approximate) AS props
            FROM communes m
            WHERE m.boundary IS NOT NULL AND m.code = ANY(:codes)
            ORDER BY m.code"""), {"codes": codes})
        return _collection(rows)

    layer: dict[str, Any] = CACHE.get(session, "communes", tuple(codes), str(fingerprint),
                                      build)
    return layer


def filter_choices(session: Session, project_id: int,
                   codes: tuple[list[str], list[str]] | None = None
                   ) -> dict[str, list[tuple[str, str]]]:
    """(value, label) choices for the map's commune and land-use filters (``codes``: the
    project's commune and land-use codes, from ``used_codes``)."""
    communes, land_uses = codes if codes is not None else used_codes(session, project_id)
    commune_rows = session.execute(text(
        "SELECT code, name FROM communes WHERE code = ANY(:c)"), {"c": communes})
    land_use_rows = session.execute(text(
        "SELECT code, code || ' — ' || name_vi FROM land_use_types WHERE code = ANY(:c)"
        " ORDER BY code"), {"c": land_uses})
    return {"communes": sorted(((r[0], r[1]) for r in commune_rows),
                               key=lambda r: vi_name_key(r[1])),
            "land_uses": [(r[0], r[1]) for r in land_use_rows]}
