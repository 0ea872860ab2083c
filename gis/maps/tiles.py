"""Mapbox vector tiles (MVT) of parcels, straight from PostGIS with ``ST_AsMVT``.

From zoom ``DETAIL_MIN_ZOOM`` on, a tile holds layer ``parcels``: every parcel whose
geometry (EPSG:9215) meets the tile envelope (transformed to 9215 so the GiST index on
``parcels.geom`` is used), clipped in EPSG:3857 with extent 4096 and buffer 64, with the
properties the map styles and filters on. Below that zoom a tile holds layer ``communes``:
one point per commune with its case counts, never millions of polygons.

A parcel is flagged ``overdue`` when its case's next deadline, kept in
``case_next_deadlines`` by the triggers of revision 0007, is before today: a primary-key
join, whatever the number of overdue cases. The SQL runs on the psycopg connection as a
prepared statement (planned once per connection), without the ORM; ``TileRenderer``
does it on the event loop for the web endpoint. The parcel rows are fenced in a
MATERIALIZED CTE so ``ST_AsMVTGeom`` runs once per drawn parcel, after the join with the
project's cases, never on every parcel the tile envelope meets.

Every query takes the reader's scope (``gis.access.scope``): a user limited to some projects or
communes gets tiles of those only. Rendered tiles are kept in a small in-process LRU cache
keyed by (project, scope, day, z, x, y), so readers of different scopes never share a tile
and the overdue flags follow the calendar. It is invalidated precisely: a change of a case
(its step, a step event, its resettlement allocation) drops only the detail tiles its
parcel touches (plus the few overview tiles, whose counts changed); a new rule set drops
everything. ``install_invalidation_hooks`` makes every ORM commit do this; other writers
call ``invalidate_parcels``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.orm import Session

from gis.access.scope import PROVINCE, Scope
from gis.core.errors import InvalidInput
from gis.db.engine import driver_conninfo
from gis.models import CaseEvent, ClearanceCase, ResettlementAllocation, RuleSet, TimeLimit

EXTENT = 4096
BUFFER = 64
POINT_BUFFER = 512  # commune circles (≤ 24 px) are drawn whole by each tile they reach
DETAIL_MIN_ZOOM = 13
MAX_ZOOM = 22
WORLD_HALF = 20037508.342789244  # EPSG:3857 half-width in metres

# The SQL below is in psycopg's %(name)s style: it is run on the driver connection as a
# prepared statement (planned once per connection), never through the ORM.
_BOUNDS = """
WITH bounds AS (
    SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS b3857,
           ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s), 9215)
               AS b9215
)"""

# Overdue: the case's next deadline (kept by the triggers of revision 0007) is past.
_PROPS = """
    p.id AS fid, p.id AS parcel_id, c.id AS case_id, c.step::text AS step,
    p.commune_code AS commune, p.sheet_no AS sheet, p.parcel_no AS parcel,
    p.land_use_code AS land_use,
    COALESCE(d.due_on < CAST(%(today)s AS date), false) AS overdue"""

# The reader's scope (``gis.access.scope``): NULL arrays are no limit, empty ones nothing.
_IN_SCOPE_PROJECT = """(CAST(%(scope_projects)s AS integer[]) IS NULL
           OR {col} = ANY(CAST(%(scope_projects)s AS integer[])))"""
_IN_SCOPE_COMMUNE = """(CAST(%(scope_communes)s AS text[]) IS NULL
           OR {col} = ANY(CAST(%(scope_communes)s AS text[])))"""

# One project: only the parcels with a case in that project (and in the reader's scope).
PROJECT_PARCELS_SQL = _BOUNDS + f"""
, t AS MATERIALIZED (
    SELECT ST_AsMVTGeom(ST_Transform(p.geom, 3857), bounds.b3857, {EXTENT}, {BUFFER}, true)
               AS geom, {_PROPS}
    FROM bounds
    JOIN parcels p ON p.geom && bounds.b9215
    JOIN clearance_cases c ON c.parcel_id = p.id
                          AND c.project_id = CAST(%(project_id)s AS integer)
    LEFT JOIN case_next_deadlines d ON d.case_id = c.id
    WHERE {_IN_SCOPE_PROJECT.format(col="c.project_id")}
      AND {_IN_SCOPE_COMMUNE.format(col="p.commune_code")}
)
SELECT ST_AsMVT(t, 'parcels', {EXTENT}, 'geom', 'fid') FROM t WHERE geom IS NOT NULL
"""

# Every parcel, with its most recent case (if any); for a reader limited to some
# projects only the parcels with a case of theirs, for one limited to some communes only
# the parcels there.
ALL_PARCELS_SQL = _BOUNDS + f"""
, t AS MATERIALIZED (
    SELECT ST_AsMVTGeom(ST_Transform(p.geom, 3857), bounds.b3857, {EXTENT}, {BUFFER}, true)
               AS geom, {_PROPS}
    FROM bounds
    JOIN parcels p ON p.geom && bounds.b9215
    LEFT JOIN LATERAL (SELECT cc.id, cc.step FROM clearance_cases cc
                       WHERE cc.parcel_id = p.id
                         AND {_IN_SCOPE_PROJECT.format(col="cc.project_id")}
                       ORDER BY cc.id DESC LIMIT 1) c ON true
    LEFT JOIN case_next_deadlines d ON d.case_id = c.id
    WHERE {_IN_SCOPE_COMMUNE.format(col="p.commune_code")}
      AND (CAST(%(scope_projects)s AS integer[]) IS NULL OR c.id IS NOT NULL)
)
SELECT ST_AsMVT(t, 'parcels', {EXTENT}, 'geom', 'fid') FROM t WHERE geom IS NOT NULL
"""

# Low zooms: one point per commune in the tile with the project's (or all) case counts.
COMMUNES_SQL = _BOUNDS + f"""
, m AS (
    SELECT m.code, m.name, m.centre FROM bounds JOIN communes m ON m.centre && bounds.b9215
), s AS (
    SELECT p.commune_code, count(*) AS cases,
           count(*) FILTER (WHERE c.step = 'handed_over') AS handed_over,
           round(sum(c.recovered_area_m2)) AS area_m2
    FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
    WHERE (CAST(%(project_id)s AS integer) IS NULL
           OR c.project_id = CAST(%(project_id)s AS integer))
      AND p.commune_code IN (SELECT code FROM m)
      AND {_IN_SCOPE_PROJECT.format(col="c.project_id")}
      AND {_IN_SCOPE_COMMUNE.format(col="p.commune_code")}
    GROUP BY p.commune_code
), t AS (
    SELECT ST_AsMVTGeom(ST_Transform(m.centre, 3857), bounds.b3857, {EXTENT},
                        {POINT_BUFFER}, true) AS geom,
           m.code AS commune, m.name, s.cases, s.handed_over, s.area_m2::bigint AS area_m2
    FROM bounds CROSS JOIN m JOIN s ON s.commune_code = m.code
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


def driver_connection(conn: Session | Connection) -> psycopg.Connection[Any]:
    """The psycopg connection under a SQLAlchemy session or connection (same transaction)."""
    bound = conn.connection() if isinstance(conn, Session) else conn
    raw = bound.connection.driver_connection
    if not isinstance(raw, psycopg.Connection):
        raise TypeError("vector tiles need the psycopg 3 driver")
    return raw


def tile_query(z: int, x: int, y: int, *, project_id: int | None,
               today: dt.date, scope: Scope = PROVINCE) -> tuple[str, dict[str, Any]]:
    """The SQL and parameters that encode one tile (parcels, or communes at low zoom) as
    a reader with ``scope`` may see it."""
    check_tile(z, x, y)
    params: dict[str, Any] = {"z": z, "x": x, "y": y, "margin": BUFFER / EXTENT,
                              "project_id": project_id, **scope.sql_params()}
    if z < DETAIL_MIN_ZOOM:
        params["margin"] = POINT_BUFFER / EXTENT
        return COMMUNES_SQL, params
    params["today"] = today
    return (ALL_PARCELS_SQL if project_id is None else PROJECT_PARCELS_SQL), params


def render_tile(conn: Session | Connection | psycopg.Connection[Any], z: int, x: int, y: int,
                *, project_id: int | None, today: dt.date, scope: Scope = PROVINCE) -> bytes:
    """Encode one tile with PostGIS (no cache), through a prepared statement."""
    sql, params = tile_query(z, x, y, project_id=project_id, today=today, scope=scope)
    raw = conn if isinstance(conn, psycopg.Connection) else driver_connection(conn)
    row = raw.execute(sql, params, prepare=True).fetchone()
    return bytes(row[0]) if row is not None and row[0] is not None else b""


def make_tile(data: bytes) -> Tile:
    """A tile with its strong ETag."""
    return Tile(data, '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"')


ScopeKey = tuple[tuple[int, ...] | None, tuple[str, ...] | None]
CacheKey = tuple[int | None, ScopeKey, dt.date, int, int, int]


def cache_key(project_id: int | None, scope: Scope, today: dt.date, z: int, x: int, y: int
              ) -> CacheKey:
    """The cache key of a tile: readers of different scopes never share one."""
    return (project_id, scope.key, today, z, x, y)


class TileCache:
    """A thread-safe LRU of rendered tiles, keyed by (project, scope, day, z, x, y)."""

    def __init__(self, max_tiles: int = 4096) -> None:
        self.max_tiles = max_tiles
        self._tiles: OrderedDict[CacheKey, Tile] = OrderedDict()
        self._lock = threading.Lock()
        self.generation = 0  # bumped by every invalidation

    def __len__(self) -> int:
        return len(self._tiles)

    def get(self, key: CacheKey) -> Tile | None:
        """A cached tile, marked as recently used."""
        with self._lock:
            tile = self._tiles.get(key)
            if tile is not None:
                self._tiles.move_to_end(key)
            return tile

    def put(self, key: CacheKey, tile: Tile, generation: int | None = None) -> None:
        """Keep a tile, evicting the least recently used beyond ``max_tiles``.

        With ``generation`` (read before rendering), a tile rendered while an
        invalidation happened is not kept: it may show the state before the change."""
        with self._lock:
            if generation is not None and generation != self.generation:
                return
            self._tiles[key] = tile
            self._tiles.move_to_end(key)
            while len(self._tiles) > self.max_tiles:
                self._tiles.popitem(last=False)

    def invalidate_bbox(self, bbox: tuple[float, float, float, float]) -> int:
        """Drop the detail tiles meeting ``bbox`` (3857, tile buffer included) and every
        overview tile; return how many tiles were dropped."""
        bxmin, bymin, bxmax, bymax = bbox
        with self._lock:
            self.generation += 1
            doomed = []
            for key in self._tiles:
                z, x, y = key[3:]
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
            return len(doomed)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self.generation += 1
            self._tiles.clear()


CACHE = TileCache()


def get_tile(conn: Session | Connection | psycopg.Connection[Any], z: int, x: int, y: int,
             *, project_id: int | None, today: dt.date, cache: TileCache = CACHE,
             scope: Scope = PROVINCE) -> Tile:
    """A tile from the cache, rendered on a miss."""
    check_tile(z, x, y)
    key = cache_key(project_id, scope, today, z, x, y)
    tile = cache.get(key)
    if tile is None:
        generation = cache.generation
        tile = make_tile(render_tile(conn, z, x, y, project_id=project_id, today=today,
                                     scope=scope))
        cache.put(key, tile, generation)
    return tile


class TileRenderer:
    """Tiles through the cache, rendered on a miss by one prepared statement.

    ``atile`` (the web endpoint) runs on the event loop over a few dedicated autocommit
    connections: no thread hop, no pool pre-ping, no transaction round trips. ``tile``
    does the same from synchronous code on a raw connection of the engine's pool."""

    def __init__(self, engine: Engine, cache: TileCache | None = None, *,
                 connections: int = 4, port_of: Callable[[], int | None] | None = None,
                 options: str = "") -> None:
        self.engine = engine
        self.cache = cache if cache is not None else CACHE
        self._port_of = port_of
        self._options = options
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        self._slots = asyncio.Semaphore(connections)
        self._closed = False

    def _conninfo(self) -> str:
        """The engine's URL, at the embedded cluster's current port (it may have moved)."""
        return driver_conninfo(self.engine, self._port_of)

    def cached(self, z: int, x: int, y: int, *, project_id: int | None,
               today: dt.date, scope: Scope = PROVINCE) -> Tile | None:
        """The cached tile, if any (no I/O)."""
        return self.cache.get(cache_key(project_id, scope, today, z, x, y))

    async def atile(self, z: int, x: int, y: int, *, project_id: int | None,
                    today: dt.date, scope: Scope = PROVINCE) -> Tile:
        """A tile from the cache, rendered on a miss (asyncio), as ``scope`` sees it."""
        sql, params = tile_query(z, x, y, project_id=project_id, today=today, scope=scope)
        key = cache_key(project_id, scope, today, z, x, y)
        tile = self.cache.get(key)
        if tile is not None:
            return tile
        generation = self.cache.generation
        async with self._slots:
            row = await self._fetch(sql, params)
        tile = make_tile(bytes(row[0]) if row is not None and row[0] is not None else b"")
        self.cache.put(key, tile, generation)
        return tile

    async def _fetch(self, sql: str, params: dict[str, Any]) -> Any:
        """Run the tile statement on an idle connection, or a new one. An idle connection
        found broken (the server restarted since) is dropped and the statement retried
        once on a fresh connection, so a restart costs no failed tile."""
        while True:
            reused = bool(self._idle)
            conn = self._idle.pop() if reused else await psycopg.AsyncConnection.connect(
                self._conninfo(), autocommit=True, application_name="gpmb-tiles",
                options=self._options)
            try:
                cur = await conn.execute(sql, params, prepare=True)
                row = await cur.fetchone()
            except psycopg.OperationalError as exc:
                await conn.close()
                if reused and not isinstance(exc, psycopg.errors.QueryCanceled):
                    continue
                raise
            except BaseException:
                await conn.close()  # a failed or cancelled connection is not reused
                raise
            if self._closed:
                await conn.close()
            else:
                self._idle.append(conn)
            return row

    async def aclose(self) -> None:
        """Close the idle connections (busy ones close when they finish)."""
        self._closed = True
        while self._idle:
            await self._idle.pop().close()

    @contextlib.contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        fairy = self.engine.raw_connection()
        try:
            raw = fairy.driver_connection
            if not isinstance(raw, psycopg.Connection):
                raise TypeError("vector tiles need the psycopg 3 driver")
            raw.autocommit = True
            try:
                yield raw
            finally:
                if not raw.closed:
                    raw.autocommit = False
        except psycopg.OperationalError:
            fairy.invalidate()  # a broken connection is not reused
            raise
        finally:
            fairy.close()

    def tile(self, z: int, x: int, y: int, *, project_id: int | None,
             today: dt.date, scope: Scope = PROVINCE) -> Tile:
        """A tile from the cache, rendered on a miss (synchronous)."""
        check_tile(z, x, y)
        key = cache_key(project_id, scope, today, z, x, y)
        tile = self.cache.get(key)
        if tile is None:
            generation = self.cache.generation
            with self._connection() as conn:
                data = render_tile(conn, z, x, y, project_id=project_id, today=today,
                                   scope=scope)
            tile = make_tile(data)
            self.cache.put(key, tile, generation)
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

    Call it after committing a change that bypassed the ORM (raw SQL, COPY). Beyond
    :data:`MANY_PARCELS` (a large import) the tiles meeting their common extent are
    dropped in one pass over the cache, not one pass per parcel."""
    boxes = parcel_bboxes_3857(session, parcel_ids)
    if len(boxes) > MANY_PARCELS:
        xs0, ys0, xs1, ys1 = zip(*boxes, strict=True)
        boxes = [(min(xs0), min(ys0), max(xs1), max(ys1))]
    return sum(cache.invalidate_bbox(b) for b in boxes)


MANY_PARCELS = 200


_PENDING = "gpmb_tiles_dirty_bboxes"


_CLEAR_ALL = "gpmb_tiles_clear_all"
_CASE_PARCELS_SQL = text(
    "SELECT DISTINCT parcel_id FROM clearance_cases WHERE id = ANY(CAST(:ids AS bigint[]))")


def _after_flush(session: Session, _flush_context: Any) -> None:
    # new/dirty/deleted still show the pre-flush state here; the parcels' boxes are read
    # now, because no SQL can be sent once the transaction has committed. A case's step,
    # its step events and its resettlement allocation decide its colour and overdue flag;
    # a new rule set can move every deadline.
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, RuleSet | TimeLimit) for obj in changed):
        session.info[_CLEAR_ALL] = True
    parcel_ids = {obj.parcel_id for obj in changed
                  if isinstance(obj, ClearanceCase) and obj.parcel_id is not None}
    case_ids = {obj.case_id for obj in changed
                if isinstance(obj, CaseEvent | ResettlementAllocation)
                and obj.case_id is not None}
    conn = session.connection() if parcel_ids or case_ids else None
    if conn is not None and case_ids:
        parcel_ids.update(conn.scalars(_CASE_PARCELS_SQL, {"ids": sorted(case_ids)}))
    if conn is not None and parcel_ids:
        boxes = session.info.setdefault(_PENDING, [])
        boxes.extend(parcel_bboxes_3857(conn, parcel_ids))


def _after_commit(session: Session) -> None:
    if session.info.pop(_CLEAR_ALL, False):
        CACHE.clear()
    for bbox in session.info.pop(_PENDING, []):
        CACHE.invalidate_bbox(bbox)


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_CLEAR_ALL, None)


_installed = False


def install_invalidation_hooks() -> None:
    """Make every ORM commit that touches a case, its step history, its resettlement
    allocation or the rules invalidate the tiles that may show it."""
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
