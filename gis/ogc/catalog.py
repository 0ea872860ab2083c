"""What a client needs to know about a collection before reading it: its spatial extent
(in CRS84), the CRSs it is served in, and its queryables as a JSON Schema."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine

from gis.ogc.collections import Collection, Prop
from gis.ogc.features import driver_cursor
from gis.ogc.params import CRS84, STORAGE_CRS, SUPPORTED_CRS

EXTENT_TTL_S = 300.0
_extents: dict[tuple[int, str], tuple[float, list[float] | None]] = {}

# Money is an integer number of đồng, but declared as an integral "number": GDAL's OAPIF
# driver turns every schema "integer" into a 32-bit field (whatever its "format"), and a
# plan of 3 bn VND would overflow there; a double holds every amount exactly (< 2**53).
_JSON_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"}, "integer": {"type": "integer"},
    "vnd": {"type": "number", "multipleOf": 1, "minimum": 0},
    "number": {"type": "number"}, "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "date-time": {"type": "string", "format": "date-time"}}


def _table_and_column(collection: Collection) -> tuple[str, str]:
    return collection.table, collection.geom_sql.split(".", 1)[1]


def spatial_extent(engine: Engine, collection: Collection) -> list[float] | None:
    """The collection's bounding box in CRS84 (lon/lat), from the planner's statistics
    when there are any (``ST_EstimatedExtent``: no scan of a large table), else exact.
    Kept five minutes per engine."""
    key = (id(engine), collection.id)
    cached = _extents.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    table, column = _table_and_column(collection)
    with engine.connect() as conn:
        cur = driver_cursor(conn)
        cur.execute("SELECT reltuples > 0 FROM pg_class WHERE oid = %s::regclass", (table,))
        row = cur.fetchone()
        box = None
        if row and row[0]:
            cur.execute("SELECT ST_EstimatedExtent('public', %s, %s)::geometry",
                        (table, column))
            box_row = cur.fetchone()
            box = box_row[0] if box_row else None
        if box is None:
            cur.execute(f"SELECT ST_Extent({column})::geometry FROM {table}")
            box_row = cur.fetchone()
            box = box_row[0] if box_row else None
        bbox = None
        if box is not None:
            cur.execute("SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM "
                        "(SELECT ST_Transform(ST_Segmentize(ST_SetSRID(%s::geometry, 9215),"
                        " 1000), 4326) AS b) s", (box,))
            corners = cur.fetchone()
            if corners is not None:
                bbox = [round(float(v), 6) for v in corners]
    _extents[key] = (time.monotonic() + EXTENT_TTL_S, bbox)
    return bbox


def collection_description(engine: Engine, collection: Collection) -> dict[str, Any]:
    """The collection's metadata (links are the caller's: they are URLs)."""
    bbox = spatial_extent(engine, collection)
    extent: dict[str, Any] = {}
    if bbox is not None:
        extent["spatial"] = {"bbox": [bbox], "crs": CRS84}
    if collection.temporal_sql is not None:
        extent["temporal"] = {"interval": [[None, None]],
                              "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    return {"id": collection.id, "title": collection.title,
            "description": collection.description, "itemType": "feature",
            "extent": extent, "crs": [c.uri for c in SUPPORTED_CRS],
            "storageCrs": STORAGE_CRS.uri}


def _prop_schema(prop: Prop) -> dict[str, Any]:
    schema: dict[str, Any] = {"title": prop.title, **_JSON_TYPES[prop.type]}
    if prop.enum is not None:
        schema["enum"] = list(prop.enum)
    return schema


def queryables_schema(collection: Collection, url: str) -> dict[str, Any]:
    """The collection's queryables (OGC API – Features Part 3) as a JSON Schema."""
    props: dict[str, Any] = {"geometry": {
        "$ref": f"https://geojson.org/schema/{collection.geometry_type}.json"}}
    props.update({p.name: _prop_schema(p) for p in collection.queryables})
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": url,
            "type": "object", "title": collection.title, "properties": props,
            "additionalProperties": False}


def feature_schema(collection: Collection, url: str) -> dict[str, Any]:
    """The JSON Schema of the collection's GeoJSON features (``describedby``): the Feature
    object with its id, geometry and typed properties — the shape GDAL's OAPIF driver reads
    its field types from."""
    props = {p.name: _prop_schema(p) for p in collection.props}
    if any(p.personal for p in collection.props):
        props["personal_data_redacted"] = {"title": "Dữ liệu cá nhân đã ẩn", "type": "boolean"}
    feature_id = ({"type": "integer", "minimum": 0} if collection.id_type == "integer"
                  else {"type": "string"})
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": url,
            "type": "object", "title": collection.title,
            "required": ["type", "geometry", "properties"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "id": feature_id,
                "geometry": {"$ref": f"https://geojson.org/schema/{collection.geometry_type}.json"},
                "properties": {"type": "object", "properties": props}}}
