"""Items of a published collection, built in SQL and streamed.

PostgreSQL writes every feature as GeoJSON text (``json_build_object`` +
``ST_AsGeoJSON``); the rows come back in chunks (psycopg's ``stream``) and are handed on
as they arrive, so a page of 1,000 features is never held whole in Python. Pages are
keyset pages on the collection's id (``after`` / ``before``), never OFFSET.

``numberMatched`` is exact on small results and the planner's estimate (EXPLAIN, or
``pg_class.reltuples`` for an unfiltered large table) above ``ESTIMATE_ABOVE`` rows,
so the count never costs more than the page.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import psycopg
from pyproj import Transformer
from sqlalchemy import Connection, Engine

from gis.core.crs import STORAGE_SRID, WGS84_SRID, crs_for_srid
from gis.core.errors import InvalidQuery, NotFound
from gis.maps.tiles import driver_connection
from gis.ogc.collections import Collection, Prop, scope_condition
from gis.ogc.params import (
    OutputCrs,
    parse_bbox,
    parse_crs,
    parse_cursor,
    parse_datetime,
    parse_limit,
)

ESTIMATE_ABOVE = 100_000
CHUNK = 100  # features per streamed chunk
# Where EPSG:9215 makes sense; a bbox is clipped to it before being projected.
VALID_LONLAT = (100.0, 6.0, 114.0, 26.0)
COMMON_PARAMS = frozenset({"limit", "bbox", "bbox-crs", "crs", "datetime", "after", "before",
                           "f"})
_STRING_ID = re.compile(r"[0-9A-Za-z_.-]{1,64}")


def driver_cursor(conn: Connection) -> psycopg.Cursor[Any]:
    """A psycopg cursor on the connection under ``conn`` (no ORM, psycopg placeholders)."""
    return driver_connection(conn).cursor()


@dataclass(frozen=True)
class ItemsQuery:
    """A parsed items request."""

    collection: Collection
    limit: int
    crs: OutputCrs
    after: int | str | None = None
    before: int | str | None = None
    bbox: tuple[float, float, float, float] | None = None
    bbox_crs: OutputCrs | None = None
    interval: tuple[dt.datetime | None, dt.datetime | None] | None = None
    filters: tuple[tuple[Prop, Any], ...] = ()
    personal_data: bool = False
    today: dt.date = field(default_factory=dt.date.today)
    project_ids: Sequence[int] | None = None
    commune_codes: Sequence[str] | None = None


def _typed(prop: Prop, raw: str) -> Any:
    value: Any = raw
    ok = True
    if prop.type in ("integer", "vnd"):
        ok = re.fullmatch(r"-?\d{1,18}", raw) is not None
        value = int(raw) if ok else None
    elif prop.type == "boolean":
        ok = raw.lower() in ("true", "false")
        value = raw.lower() == "true"
    elif prop.type == "date":
        try:
            value = dt.date.fromisoformat(raw)
        except ValueError:
            ok = False
    elif prop.enum is not None:
        ok = raw in prop.enum
    elif len(raw) > 200:
        ok = False
    if not ok:
        hint = {"integer": "một số nguyên", "vnd": "một số nguyên", "boolean": "true hoặc false",
                "date": "một ngày dạng YYYY-MM-DD"}.get(prop.type, "một chuỗi ≤ 200 ký tự")
        if prop.enum is not None:
            hint = "một trong " + ", ".join(prop.enum)
        raise InvalidQuery(f"bad value for {prop.name}: {raw[:80]!r}", parameter=prop.name,
                           message_vi=f"Giá trị lọc '{prop.name}' không hợp lệ: cần {hint}.")
    return value


def _one(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise InvalidQuery(f"{name} given {len(values)} times", parameter=name,
                           message_vi=f"Tham số '{name}' chỉ được có một lần.")
    return values[0]


def parse_cursor_for(collection: Collection, value: str | None, name: str) -> int | str | None:
    """An ``after`` / ``before`` cursor of the collection's id type."""
    if collection.id_type == "integer" or value is None:
        return parse_cursor(value, name)
    if not _STRING_ID.fullmatch(value):
        raise InvalidQuery(f"bad {name} {value!r}", parameter=name,
                           message_vi=f"{name} phải là mã đối tượng; hãy dùng liên kết "
                           "next/prev của trang trước.")
    return value


def parse_items_query(collection: Collection, params: Mapping[str, Sequence[str]], *,
                      personal_data: bool, today: dt.date,
                      project_ids: Sequence[int] | None = None,
                      commune_codes: Sequence[str] | None = None) -> ItemsQuery:
    """Check every parameter of an items request (unknown ones are refused, as OGC API –
    Features asks) and return the query."""
    queryables = {p.name: p for p in collection.queryables}
    unknown = sorted(set(params) - COMMON_PARAMS - set(queryables))
    if unknown:
        allowed = ", ".join(sorted(COMMON_PARAMS | set(queryables)))
        raise InvalidQuery(f"unknown parameters {unknown}", parameter=unknown[0],
                           message_vi=f"Tham số không được hỗ trợ: {', '.join(unknown)}. "
                           f"Các tham số dùng được: {allowed}.")
    fmt = _one(params, "f")
    if fmt is not None and fmt not in ("json", "geojson"):
        raise InvalidQuery(f"unsupported f={fmt!r}", parameter="f",
                           message_vi="Định dạng (f) chỉ hỗ trợ json (GeoJSON).")
    after = parse_cursor_for(collection, _one(params, "after"), "after")
    before = parse_cursor_for(collection, _one(params, "before"), "before")
    if after is not None and before is not None:
        raise InvalidQuery("after and before together", parameter="before",
                           message_vi="Chỉ dùng một trong hai tham số after hoặc before.")
    bbox_crs = parse_crs(_one(params, "bbox-crs"), "bbox-crs")
    filters = tuple((queryables[name], _typed(queryables[name], value))
                    for name in sorted(set(params) & set(queryables))
                    for value in [_one(params, name) or ""])
    return ItemsQuery(
        collection=collection, limit=parse_limit(_one(params, "limit")),
        crs=parse_crs(_one(params, "crs")), after=after, before=before,
        bbox=parse_bbox(_one(params, "bbox"), bbox_crs), bbox_crs=bbox_crs,
        interval=parse_datetime(_one(params, "datetime")) if collection.temporal_sql else None,
        filters=filters, personal_data=personal_data, today=today,
        project_ids=project_ids, commune_codes=commune_codes)


@lru_cache(maxsize=8)
def _valid_window(srid: int) -> tuple[float, float, float, float]:
    if srid == WGS84_SRID:
        return VALID_LONLAT
    to = Transformer.from_crs(crs_for_srid(WGS84_SRID), crs_for_srid(srid), always_xy=True)
    x1, y1, x2, y2 = to.transform_bounds(*VALID_LONLAT, densify_pts=50)
    return float(x1), float(y1), float(x2), float(y2)


def _bbox_condition(q: ItemsQuery, params: dict[str, Any]) -> str:
    if q.bbox is None or q.bbox_crs is None:
        return "true"
    w = _valid_window(q.bbox_crs.srid)
    x1, y1 = max(q.bbox[0], w[0]), max(q.bbox[1], w[1])
    x2, y2 = min(q.bbox[2], w[2]), min(q.bbox[3], w[3])
    if x1 > x2 or y1 > y2:
        return "false"  # nowhere near Lạng Sơn
    params.update(bx1=x1, by1=y1, bx2=x2, by2=y2)
    env = f"ST_MakeEnvelope(%(bx1)s, %(by1)s, %(bx2)s, %(by2)s, {q.bbox_crs.srid})"
    if q.bbox_crs.srid != STORAGE_SRID:
        step = 0.001 if q.bbox_crs.geographic else 100.0
        env = f"ST_Transform(ST_Segmentize({env}, {step}), {STORAGE_SRID})"
    return f"ST_Intersects({q.collection.geom_sql}, {env})"


def _conditions(q: ItemsQuery, params: dict[str, Any]) -> list[str]:
    c = q.collection
    scope_sql, scope_params = scope_condition(c, q.project_ids, q.commune_codes)
    params.update(scope_params, today=q.today)
    conds = [c.where_sql, scope_sql, _bbox_condition(q, params)]
    if q.interval is not None and c.temporal_sql is not None:
        start, end = q.interval
        if start is not None:
            conds.append(f"{c.temporal_sql} >= %(t_start)s")
            params["t_start"] = start
        if end is not None:
            conds.append(f"{c.temporal_sql} <= %(t_end)s")
            params["t_end"] = end
    for i, (prop, value) in enumerate(q.filters):
        conds.append(f"{prop.sql} = %(f{i})s")
        params[f"f{i}"] = value
    return [x for x in conds if x != "true"] or ["true"]


def _geometry_sql(q: ItemsQuery) -> str:
    geom = q.collection.geom_sql
    if q.crs.srid != STORAGE_SRID:
        geom = f"ST_Transform({geom}, {q.crs.srid})"
    if q.crs.lat_first:
        geom = f"ST_FlipCoordinates({geom})"
    return f"ST_AsGeoJSON({geom}, {q.crs.decimals}, 0)::json"


def _properties_sql(q: ItemsQuery) -> str:
    pairs = []
    personal = False
    for p in q.collection.props:
        personal = personal or p.personal
        value = "NULL" if p.personal and not q.personal_data else p.sql
        pairs.append(f"'{p.name}', {value}")
    if personal:
        pairs.append(f"'personal_data_redacted', {'false' if q.personal_data else 'true'}")
    return "json_build_object(" + ", ".join(pairs) + ")"


def items_sql(q: ItemsQuery) -> tuple[str, dict[str, Any]]:
    """The page's SQL: rows of (id, feature GeoJSON text, is-extra flag), in id order."""
    c = q.collection
    params: dict[str, Any] = {"n": q.limit + 1}
    conds = _conditions(q, params)
    order = "ASC"
    if q.after is not None:
        conds.append(f"{c.id_sql} > %(cursor)s")
        params["cursor"] = q.after
    elif q.before is not None:
        conds.append(f"{c.id_sql} < %(cursor)s")
        params["cursor"] = q.before
        order = "DESC"
    feature = (f"json_build_object('type', 'Feature', 'id', {c.id_sql}, "
               f"'geometry', {_geometry_sql(q)}, 'properties', {_properties_sql(q)})::text")
    inner = (f"SELECT {c.id_sql} AS fid, {feature} AS feature, "
             f"row_number() OVER (ORDER BY {c.id_sql} {order}) AS rn "
             f"FROM {c.from_sql} {c.lateral_sql} WHERE {' AND '.join(conds)} "
             f"ORDER BY {c.id_sql} {order} LIMIT %(n)s")
    if order == "ASC":
        return f"SELECT fid, feature, rn > %(limit)s FROM ({inner}) s", {**params,
                                                                         "limit": q.limit}
    return (f"SELECT fid, feature, rn > %(limit)s FROM ({inner}) s ORDER BY fid",
            {**params, "limit": q.limit})


def count_sql(q: ItemsQuery) -> tuple[str, dict[str, Any]]:
    """The count of every matching row (cursor ignored)."""
    params: dict[str, Any] = {}
    conds = _conditions(q, params)
    return (f"SELECT count(*) FROM {q.collection.from_sql} WHERE {' AND '.join(conds)}",
            params)


@dataclass(frozen=True)
class Matched:
    """``numberMatched``, and whether it is the planner's estimate."""

    count: int
    estimated: bool


def number_matched(engine: Engine, q: ItemsQuery, *,
                   estimate_above: int = ESTIMATE_ABOVE) -> Matched:
    """Exact when small, the planner's estimate from ``estimate_above`` rows on."""
    sql, params = count_sql(q)
    unfiltered = not params.keys() - {"today"} and q.collection.where_sql == "true"
    with engine.connect() as conn:
        cur = driver_cursor(conn)
        if unfiltered:
            cur.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                        (q.collection.table,))
            row = cur.fetchone()
            estimate = int(row[0]) if row else -1
        else:
            cur.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            row = cur.fetchone()
            plan = row[0] if row else [{"Plan": {"Plan Rows": -1}}]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            estimate = int(_rows_below_aggregate(plan[0]["Plan"]))
        if estimate >= estimate_above:
            return Matched(estimate, True)
        cur.execute(sql, params)
        row = cur.fetchone()
        return Matched(int(row[0]) if row else 0, False)


def _rows_below_aggregate(plan: dict[str, Any]) -> float:
    # count(*) plans as Aggregate over the scan: its child's row estimate is the count.
    children = plan.get("Plans") or []
    if plan.get("Node Type") == "Aggregate" and children:
        return float(children[0].get("Plan Rows", 0))
    return float(plan.get("Plan Rows", 0))


@dataclass
class ItemsStream:
    """Features of one page, streamed as GeoJSON text chunks; after iterating:
    ``returned``, ``first_id``, ``last_id``, and whether more pages lie beyond
    (``more_after`` / ``more_before``)."""

    query: ItemsQuery
    rows: Iterator[tuple[Any, str, bool]]
    close: Any
    returned: int = 0
    first_id: int | str | None = None
    last_id: int | str | None = None
    more_after: bool = False
    more_before: bool = False
    _pending: list[tuple[Any, str, bool]] = field(default_factory=list)

    def chunks(self) -> Iterator[str]:
        """Comma-separated features, ``CHUNK`` at a time; closes the connection at the end."""
        try:
            parts: list[str] = []
            for fid, feature, extra in self._rows():
                if extra:  # the limit+1-th row: only says another page exists
                    if self.query.before is None:
                        self.more_after = True
                    else:
                        self.more_before = True
                    continue
                if self.first_id is None:
                    self.first_id = fid
                self.last_id = fid
                parts.append(feature)
                self.returned += 1
                if len(parts) >= CHUNK:
                    yield ("," if self.returned > len(parts) else "") + ",".join(parts)
                    parts = []
            if parts:
                yield ("," if self.returned > len(parts) else "") + ",".join(parts)
        finally:
            self.close()
        if self.query.before is not None:
            self.more_after = True
        if self.query.after is not None:
            self.more_before = True

    def _rows(self) -> Iterator[tuple[Any, str, bool]]:
        yield from self._pending
        self._pending = []
        yield from self.rows


def open_items(engine: Engine, q: ItemsQuery) -> ItemsStream:
    """Start the page's query (errors surface here, before any byte is sent) and return
    its stream. The caller must iterate ``chunks()`` to the end (it closes the
    connection) or call ``close()``."""
    sql, params = items_sql(q)
    pooled = engine.raw_connection()
    try:
        conn = pooled.driver_connection
        assert conn is not None
        rows = conn.cursor().stream(sql, params, size=CHUNK)
        first = next(rows, None)
    except BaseException:
        pooled.close()
        raise

    def close() -> None:
        try:
            rows.close()
            pooled.rollback()
        finally:
            pooled.close()

    stream = ItemsStream(q, rows, close)
    if first is not None:
        stream._pending.append(first)
    return stream


def feature_sql(q: ItemsQuery, feature_id: int | str) -> tuple[str, dict[str, Any]]:
    """One feature by id (within the caller's scope)."""
    c = q.collection
    params: dict[str, Any] = {"fid": feature_id}
    conds = [*_conditions(q, params), f"{c.id_sql} = %(fid)s"]
    feature = (f"json_build_object('type', 'Feature', 'id', {c.id_sql}, "
               f"'geometry', {_geometry_sql(q)}, 'properties', {_properties_sql(q)})::text")
    return (f"SELECT {feature} FROM {c.from_sql} {c.lateral_sql} WHERE {' AND '.join(conds)}",
            params)


def get_feature(engine: Engine, q: ItemsQuery, raw_id: str) -> str:
    """One feature's GeoJSON text, or NotFound."""
    try:
        feature_id = parse_cursor_for(q.collection, raw_id, "featureId")
    except InvalidQuery:
        feature_id = None
    found = None
    if feature_id is not None:
        sql, params = feature_sql(q, feature_id)
        with engine.connect() as conn:
            cur = driver_cursor(conn)
            cur.execute(sql, params)
            found = cur.fetchone()
    if found is None:
        raise NotFound(f"no feature {raw_id!r} in {q.collection.id}", reason="feature_not_found",
                       message_vi=f"Không có đối tượng '{raw_id[:64]}' trong lớp "
                       f"{q.collection.title}.")
    return str(found[0])
