"""Mapbox vector tiles (MVT) of parcels, straight from PostGIS with ``ST_AsMVT``.

From zoom ``DETAIL_MIN_ZOOM`` on, a tile holds layer ``parcels``: every parcel whose
geometry (EPSG:9215) meets the tile envelope (transformed to 9215 so the GiST index on
``parcels.geom`` is used), clipped in EPSG:3857 with extent 4096 and buffer 64, with the
properties the map styles and filters on. Below that zoom a tile holds layer ``communes``:
one point per commune with its case counts, never millions of polygons.

Rendered tiles are kept in a small in-process LRU cache. It is invalidated precisely: a
step change of a case drops only the detail tiles its parcel touches (plus the few
overview tiles, whose counts changed). ``install_invalidation_hooks`` makes every ORM
commit that changes a ``ClearanceCase`` do this; other writers call
``invalidate_parcels``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, event, text
from sqlalchemy.orm import Session

from gis.errors import InvalidInput
from gis.models import ClearanceCase
from gis.workflow.overdue import case_deadlines

EXTENT = 4096
BUFFER = 64
POINT_BUFFER = 512  # commune circles (≤ 24 px) are drawn whole by each tile they reach
DETAIL_MIN_ZOOM = 13
MAX_ZOOM = 22
WORLD_HALF = 20037508.342789244  # EPSG:3857 half-width in metres

_BOUNDS = """
WITH bounds AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS b3857,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 9215) AS b9215
)"""

_PROPS = """
    p.id AS fid, p.id AS parcel_id, c.id AS case_id, c.step::text AS step,
    p.commune_code AS commune, p.sheet_no AS sheet, p.parcel_no AS parcel,
    p.land_use_code AS land_use,
    (c.id = ANY(CAST(:overdue AS bigint[]))) AS overdue"""

# One project: only the parcels with a case in that project.
PROJECT_PARCELS_SQL = _BOUNDS + f"""
, t AS (
    SELECT ST_AsMVTGeom(ST_Transform(p.geom, 3857), bounds.b3857, {EXTENT}, {BUFFER}, true)
               AS geom, {_PROPS}
    FROM bounds
    JOIN parcels p ON p.geom && bounds.b9215
    JOIN clearance_cases c ON c.parcel_id = p.id AND c.project_id = :project_id
)
SELECT ST_AsMVT(t, 'parcels', {EXTENT}, 'geom', 'fid') FROM t WHERE geom IS NOT NULL
"""

# Every parcel, with its most recent case (if any).
ALL_PARCELS_SQL = _BOUNDS + f"""
, t AS (
    SELECT ST_AsMVTGeom(ST_Transform(p.geom, 3857), bounds.b3857, {EXTENT}, {BUFFER}, true)
               AS geom, {_PROPS}
    FROM bounds
    JOIN parcels p ON p.geom && bounds.b9215
    LEFT JOIN LATERAL (SELECT cc.id, cc.step FROM clearance_cases cc
                       WHERE cc.parcel_id = p.id ORDER BY cc.id DESC LIMIT 1) c ON true
)
SELECT ST_AsMVT(t, 'parcels', {EXTENT}, 'geom', 'fid') FROM t WHERE geom IS NOT NULL
"""

# Low zooms: one point per commune with the project's (or all) case counts.
COMMUNES_SQL = _BOUNDS + f"""
, s AS (
    SELECT p.commune_code, count(*) AS cases,
           count(*) FILTER (WHERE c.step = 'handed_over') AS handed_over,
           round(sum(c.recovered_area_m2)) AS area_m2
    FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
    WHERE CAST(:project_id AS integer) IS NULL OR c.project_id = :project_id
    GROUP BY p.commune_code
), t AS (
    SELECT ST_AsMVTGeom(ST_Transform(m.centre, 3857), bounds.b3857, {EXTENT},
                        {POINT_BUFFER}, true) AS geom,
           m.code AS commune, m.name, s.cases, s.handed_over, s.area_m2::bigint AS area_m2
    FROM bounds JOIN communes m ON m.centre && bounds.b9215
    JOIN s ON s.commune_code = m.code
)
SELECT ST_AsMVT(t, 'communes', {EXTENT}, 'geom') FROM t WHERE geom IS NOT NULL
"""


@dataclass(frozen=True)
class Tile:
    """An encoded tile and its ETag."""

    data: bytes
    etag: str


def check_tile(z: int, x: int, y: int) -> None:
    """Refuse tile coordinates outside the WebMercatorQuad pyramid."""
    if not 0 <= z <= MAX_ZOOM or not (0 <= x < 2**z and 0 <= y < 2**z):
        raise InvalidInput(f"no tile {z}/{x}/{y}",
                           message_vi=f"Ô bản đồ {z}/{x}/{y} không tồn tại.")


def tile_bounds_3857(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(xmin, ymin, xmax, ymax) of a tile in EPSG:3857 metres."""
    size = 2 * WORLD_HALF / 2**z
    xmin = -WORLD_HALF + x * size
    ymax = WORLD_HALF - y * size
    return xmin, ymax - size, xmin + size, ymax


def render_tile(session: Session, z: int, x: int, y: int, *, project_id: int | None,
                overdue_case_ids: Iterable[int] = ()) -> bytes:
    """Encode one tile with PostGIS (no cache)."""
    check_tile(z, x, y)
    params: dict[str, Any] = {"z": z, "x": x, "y": y, "margin": BUFFER / EXTENT,
                              "project_id": project_id}
    if z < DETAIL_MIN_ZOOM:
        sql = COMMUNES_SQL
        params["margin"] = POINT_BUFFER / EXTENT
    else:
        sql = ALL_PARCELS_SQL if project_id is None else PROJECT_PARCELS_SQL
        params["overdue"] = sorted(overdue_case_ids)
    data = session.execute(text(sql), params).scalar()
    return bytes(data) if data is not None else b""


class TileCache:
    """A thread-safe LRU of rendered tiles and of each project's overdue case ids."""

    def __init__(self, max_tiles: int = 4096) -> None:
        self.max_tiles = max_tiles
        self._tiles: OrderedDict[tuple[int | None, dt.date, int, int, int], Tile] = OrderedDict()
        self._overdue: dict[tuple[int | None, dt.date], frozenset[int]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._tiles)

    def get(self, key: tuple[int | None, dt.date, int, int, int]) -> Tile | None:
        """A cached tile, marked as recently used."""
        with self._lock:
            tile = self._tiles.get(key)
            if tile is not None:
                self._tiles.move_to_end(key)
            return tile

    def put(self, key: tuple[int | None, dt.date, int, int, int], tile: Tile) -> None:
        """Keep a tile, evicting the least recently used beyond ``max_tiles``."""
        with self._lock:
            self._tiles[key] = tile
            self._tiles.move_to_end(key)
            while len(self._tiles) > self.max_tiles:
                self._tiles.popitem(last=False)

    def overdue(self, session: Session, project_id: int | None, today: dt.date) -> frozenset[int]:
        """Ids of the overdue cases (of one project, or all), computed once per day."""
        key = (project_id, today)
        with self._lock:
            found = self._overdue.get(key)
        if found is None:
            found = frozenset(d.case_id for d in case_deadlines(
                session, today, project_id=project_id, overdue_only=True))
            with self._lock:
                self._overdue[key] = found
        return found

    def invalidate_bbox(self, bbox: tuple[float, float, float, float]) -> int:
        """Drop the detail tiles meeting ``bbox`` (3857, tile buffer included) and every
        overview tile; return how many tiles were dropped."""
        bxmin, bymin, bxmax, bymax = bbox
        with self._lock:
            doomed = []
            for key in self._tiles:
                z, x, y = key[2:]
                if z < DETAIL_MIN_ZOOM:
                    doomed.append(key)
                    continue
                xmin, ymin, xmax, ymax = tile_bounds_3857(z, x, y)
                pad = (xmax - xmin) * BUFFER / EXTENT
                if (xmin - pad <= bxmax and bxmin <= xmax + pad
                        and ymin - pad <= bymax and bymin <= ymax + pad):
                    doomed.append(key)
            for key in doomed:
                del self._tiles[key]
            self._overdue.clear()
            return len(doomed)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._tiles.clear()
            self._overdue.clear()


CACHE = TileCache()


def get_tile(session: Session, z: int, x: int, y: int, *, project_id: int | None,
             today: dt.date, cache: TileCache = CACHE) -> Tile:
    """A tile from the cache, rendered on a miss."""
    check_tile(z, x, y)
    key = (project_id, today, z, x, y)
    tile = cache.get(key)
    if tile is None:
        overdue = cache.overdue(session, project_id, today) if z >= DETAIL_MIN_ZOOM else ()
        data = render_tile(session, z, x, y, project_id=project_id, overdue_case_ids=overdue)
        tile = Tile(data, '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"')
        cache.put(key, tile)
    return tile


_BBOX_SQL = text(
    "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM ("
    " SELECT ST_Transform(ST_Envelope(geom), 3857)::box2d AS b FROM parcels"
    " WHERE id = ANY(CAST(:ids AS bigint[]))) s")


def parcel_bboxes_3857(conn: Session | Connection, parcel_ids: Iterable[int]
                       ) -> list[tuple[float, float, float, float]]:
    """Bounding boxes in EPSG:3857 of the given parcels."""
    rows = conn.execute(_BBOX_SQL, {"ids": sorted(set(parcel_ids))})
    return [(float(r[0]), float(r[1]), float(r[2]), float(r[3])) for r in rows]


def invalidate_parcels(session: Session, parcel_ids: Iterable[int],
                       cache: TileCache = CACHE) -> int:
    """Drop exactly the cached tiles the given parcels touch; return how many.

    Call it after committing a change that bypassed the ORM (raw SQL, COPY)."""
    return sum(cache.invalidate_bbox(b) for b in parcel_bboxes_3857(session, parcel_ids))


_PENDING = "gpmb_tiles_dirty_bboxes"


def _after_flush(session: Session, _flush_context: Any) -> None:
    # new/dirty/deleted still show the pre-flush state here; the parcels' boxes are read
    # now, because no SQL can be sent once the transaction has committed.
    ids = {obj.parcel_id for obj in (*session.new, *session.dirty, *session.deleted)
           if isinstance(obj, ClearanceCase) and obj.parcel_id is not None}
    if ids:
        boxes = session.info.setdefault(_PENDING, [])
        boxes.extend(parcel_bboxes_3857(session.connection(), ids))


def _after_commit(session: Session) -> None:
    for bbox in session.info.pop(_PENDING, []):
        CACHE.invalidate_bbox(bbox)


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_PENDING, None)


_installed = False


def install_invalidation_hooks() -> None:
    """Make every ORM commit that touches a ``ClearanceCase`` invalidate its tiles."""
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _forget)
    _installed = True


def tile_for_lonlat(z: int, lon: float, lat: float) -> tuple[int, int]:
    """The (x, y) of the tile holding a WGS 84 point at zoom ``z``."""
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    lat_r = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)
