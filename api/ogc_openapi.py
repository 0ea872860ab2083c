"""The OpenAPI side of the OGC API – Features routes: the parameters and answers of each
operation (OpenAPI 3.0 style, merged into FastAPI's document), and the service
description served at ``/ogc/api`` — the ``/ogc`` part of the app's document, converted
to OpenAPI 3.0 as the OAS 3.0 conformance class asks."""

from __future__ import annotations

import copy
from typing import Any

from gis.ogc.collections import Collection, Prop
from gis.ogc.params import (
    BBOX_PATTERN,
    DEFAULT_LIMIT,
    MAX_ID,
    MAX_LIMIT,
    SUPPORTED_CRS,
)

OPENAPI_30 = "application/vnd.oai.openapi+json;version=3.0"
_LINK = {"type": "object", "required": ["href", "rel"],
         "properties": {"href": {"type": "string"}, "rel": {"type": "string"},
                        "type": {"type": "string"}, "title": {"type": "string"}}}
_LINKS = {"type": "array", "items": _LINK}
_CRS = [c.uri for c in SUPPORTED_CRS]
_TYPES: dict[str, dict[str, Any]] = {"string": {"type": "string", "maxLength": 200},
          "integer": {"type": "integer", "minimum": -(10**18) + 1, "maximum": 10**18 - 1},
          "vnd": {"type": "integer", "minimum": 0, "maximum": 10**15},
          "number": {"type": "number"}, "boolean": {"type": "boolean"},
          "date": {"type": "string", "format": "date"},
          "date-time": {"type": "string", "format": "date-time"}}


def _query(name: str, schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description, **extra}


def _queryable(prop: Prop) -> dict[str, Any]:
    schema = dict(_TYPES[prop.type])
    if prop.enum is not None:
        schema = {"type": "string", "enum": list(prop.enum)}
    return _query(prop.name, schema, f"{prop.title}: chỉ giữ đối tượng có giá trị này")


def id_schema(collection: Collection) -> dict[str, Any]:
    """The schema of the collection's feature id (and paging cursor)."""
    if collection.id_type == "integer":
        return {"type": "integer", "minimum": 0, "maximum": MAX_ID}
    return {"type": "string", "pattern": "^[0-9A-Za-z_.-]{1,64}$"}


def items_parameters(collection: Collection) -> list[dict[str, Any]]:
    """Every query parameter of ``…/items`` of this collection."""
    params = [
        _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                         "default": DEFAULT_LIMIT}, "Số đối tượng mỗi trang"),
        _query("bbox", {"type": "string", "pattern": BBOX_PATTERN},
               "minx,miny,maxx,maxy (theo bbox-crs, mặc định CRS84)"),
        _query("bbox-crs", {"type": "string", "enum": _CRS}, "Hệ tọa độ của bbox"),
        _query("crs", {"type": "string", "enum": _CRS}, "Hệ tọa độ của kết quả"),
        _query("after", id_schema(collection), "Trang sau: mã đối tượng cuối của trang trước"),
        _query("before", id_schema(collection), "Trang trước: mã đối tượng đầu của trang"),
        _query("f", {"type": "string", "enum": ["json", "geojson"]}, "Định dạng"),
    ]
    if collection.temporal_sql is not None:
        params.append(_query("datetime", {"type": "string"},
                             "Thời điểm hoặc khoảng RFC 3339 (cập nhật lúc)"))
    return params + [_queryable(p) for p in collection.queryables]


def _content(media_type: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {media_type: {"schema": schema}}}


FEATURE = {"type": "object", "required": ["type", "geometry", "properties"],
           "properties": {"type": {"type": "string", "enum": ["Feature"]},
                          "id": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
                          "geometry": {"type": "object", "nullable": True},
                          "properties": {"type": "object", "nullable": True},
                          "links": _LINKS}}
FEATURE_COLLECTION = {"type": "object", "required": ["type", "features"],
                      "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                                     "features": {"type": "array", "items": FEATURE},
                                     "links": _LINKS, "timeStamp": {"type": "string"},
                                     "numberMatched": {"type": "integer", "minimum": 0},
                                     "numberReturned": {"type": "integer", "minimum": 0}}}
COLLECTION = {"type": "object", "required": ["id", "links"],
              "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                             "description": {"type": "string"}, "links": _LINKS,
                             "extent": {"type": "object"}, "itemType": {"type": "string"},
                             "crs": {"type": "array", "items": {"type": "string"}},
                             "storageCrs": {"type": "string"}}}
LANDING = {"type": "object", "required": ["links"],
           "properties": {"title": {"type": "string"}, "description": {"type": "string"},
                          "links": _LINKS}}
CONFORMANCE = {"type": "object", "required": ["conformsTo"],
               "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}}}
COLLECTIONS = {"type": "object", "required": ["links", "collections"],
               "properties": {"links": _LINKS,
                              "collections": {"type": "array", "items": COLLECTION}}}
JSON_SCHEMA = {"type": "object"}


def ok(media_type: str, schema: dict[str, Any], description: str) -> dict[int | str, Any]:
    """``responses=`` entry for a 200 answer."""
    return {200: _content(media_type, schema, description)}


def _to_30(node: Any) -> Any:
    """OpenAPI 3.1 (JSON Schema 2020-12) → 3.0: ``null`` types become ``nullable``."""
    if isinstance(node, list):
        return [_to_30(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _to_30(v) for k, v in node.items()}
    for key in ("anyOf", "oneOf"):
        options = out.get(key)
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            del out[key]
            if len(rest) == 1 and "$ref" not in rest[0]:
                out.update(rest[0])
            else:
                out["allOf" if len(rest) == 1 else key] = rest
            out["nullable"] = True
    if isinstance(out.get("type"), list):
        types = [t for t in out["type"] if t != "null"]
        if len(types) < len(out["type"]):
            out["nullable"] = True
        out["type"] = types[0] if len(types) == 1 else types
    if "examples" in out and isinstance(out["examples"], list) and "in" not in out:
        examples = out.pop("examples")
        if examples:
            out["example"] = examples[0]
    if "const" in out:
        out["enum"] = [out.pop("const")]
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(bound), int | float) and not isinstance(out[bound], bool):
            out[plain] = out.pop(bound)
            out[bound] = True
    out.pop("$schema", None)
    return out


def service_description(document: dict[str, Any], server_url: str) -> dict[str, Any]:
    """The ``/ogc`` operations of the app's OpenAPI document, as OpenAPI 3.0."""
    doc = copy.deepcopy(document)
    paths = {p: v for p, v in doc.get("paths", {}).items()
             if p == "/ogc" or p.startswith("/ogc/")}
    converted: dict[str, Any] = _to_30({
        "openapi": "3.0.3",
        "info": {**doc.get("info", {}), "title": "GPMB — OGC API – Features"},
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": doc.get("components", {}),
    })
    return converted
