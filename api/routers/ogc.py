"""OGC API – Features (Part 1 Core with GeoJSON and OAS 3.0, Part 2 CRS by reference,
Part 3 queryables) under ``/ogc``, for QGIS, GDAL (OAPIF driver) and OWSLib.

Thin: the collections, SQL and parsers live in ``gis.ogc``; this file makes links and
answers. The landing page, conformance and API definition are public (no data); the
collections need a signed-in user: a browser session or ``Authorization: Bearer`` (GDAL:
``GDAL_HTTP_AUTH=BEARER GDAL_HTTP_BEARER=<token>``). Items pages are streamed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse

from api.deps import CurrentUser, EngineDep, Principal
from api.errors import problems
from api.http import GEO_JSON, GeoJSONResponse
from api.ogc_openapi import (
    COLLECTION,
    COLLECTIONS,
    CONFORMANCE,
    FEATURE,
    FEATURE_COLLECTION,
    JSON_SCHEMA,
    LANDING,
    OPENAPI_30,
    items_parameters,
    ok,
    service_description,
)
from gis.core.calendar import LOCAL_TZ
from gis.ogc import catalog, features
from gis.ogc.collections import COLLECTIONS as PUBLISHED
from gis.ogc.collections import Collection

router = APIRouter(prefix="/ogc", tags=["ogc"])
SCHEMA_JSON = "application/schema+json"
CONFORMS_TO = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
]


FeatureId = Annotated[str, Path(alias="featureId", pattern=r"^[0-9A-Za-z_.-]{1,64}$",
                                description="feature id")]


def caller_scope(user: Principal) -> tuple[Sequence[int] | None, Sequence[str] | None]:
    """The (project ids, commune codes) ``user`` may read, from ``gis.access.scope`` (None on an
    axis: no limit)."""
    scope = user.scope
    return (None if scope.projects is None else sorted(scope.projects),
            None if scope.communes is None else sorted(scope.communes))


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _link(href: str, rel: str, media_type: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": media_type, "title": title}


@router.get("/", include_in_schema=False)
@router.get("", response_class=JSONResponse, summary="OGC API landing page",
            responses=ok("application/json", LANDING, "Landing page"))
def landing(request: Request) -> JSONResponse:
    """Links to the API definition, the conformance classes and the collections."""
    base = _base(request)
    return JSONResponse({
        "title": "GPMB — OGC API – Features",
        "description": "Thửa đất, hồ sơ GPMB, tuyến, phạm vi thu hồi, xã và lô tái định cư "
        "của tỉnh Lạng Sơn (VN-2000 / TM-3 107-15, EPSG:9215).",
        "links": [
            _link(base, "self", "application/json", "Trang này"),
            _link(f"{base}/api", "service-desc", OPENAPI_30, "Định nghĩa API (OpenAPI 3.0)"),
            _link(str(request.base_url) + "docs", "service-doc", "text/html",
                  "Tài liệu API"),
            _link(f"{base}/conformance", "conformance", "application/json", "Chuẩn đáp ứng"),
            _link(f"{base}/collections", "data", "application/json", "Các lớp dữ liệu"),
        ]})


@router.get("/conformance", response_class=JSONResponse, summary="Conformance classes",
            responses=ok("application/json", CONFORMANCE, "Conformance classes"))
def conformance() -> JSONResponse:
    """The OGC API conformance classes this API implements."""
    return JSONResponse({"conformsTo": CONFORMS_TO})


@router.get("/api", summary="API definition (OpenAPI 3.0)", response_class=JSONResponse,
            responses=ok(OPENAPI_30, JSON_SCHEMA, "OpenAPI 3.0 document"))
def api_definition(request: Request) -> Response:
    """The OGC part of this API's OpenAPI document, in OpenAPI 3.0."""
    doc = service_description(request.app.openapi(), str(request.base_url).rstrip("/"))
    return Response(json.dumps(doc, ensure_ascii=False), media_type=OPENAPI_30)


def _collection_body(request: Request, engine: Any, c: Collection) -> dict[str, Any]:
    url = f"{_base(request)}/collections/{c.id}"
    body = catalog.collection_description(engine, c)
    body["links"] = [
        _link(url, "self", "application/json", c.title),
        _link(f"{url}/items", "items", GEO_JSON, "Các đối tượng"),
        _link(f"{url}/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables",
              SCHEMA_JSON, "Các trường lọc được"),
        _link(f"{url}/schema", "describedby", SCHEMA_JSON, "Lược đồ thuộc tính"),
    ]
    return body


@router.get("/collections", response_class=JSONResponse, summary="Feature collections",
            responses={**ok("application/json", COLLECTIONS, "Collections"),
                       **problems(401)})
def collections(request: Request, user: CurrentUser, engine: EngineDep) -> JSONResponse:
    """Every published collection, with its extent and CRSs."""
    base = _base(request)
    return JSONResponse({
        "links": [_link(f"{base}/collections", "self", "application/json", "Các lớp")],
        "collections": [_collection_body(request, engine, c) for c in PUBLISHED.values()]})


def _today() -> dt.date:
    return dt.datetime.now(LOCAL_TZ).date()


def _query(request: Request, user: Principal, c: Collection) -> features.ItemsQuery:
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, []).append(value)
    projects, communes = caller_scope(user)
    return features.parse_items_query(c, params, personal_data=user.sees_personal_data,
                                      today=_today(), project_ids=projects,
                                      commune_codes=communes)


def _page_links(request: Request, c: Collection, stream: features.ItemsStream
                ) -> list[dict[str, str]]:
    url = request.url.remove_query_params(["after", "before"])
    links = [_link(str(request.url), "self", GEO_JSON, "Trang này"),
             _link(f"{_base(request)}/collections/{c.id}", "collection", "application/json",
                   c.title)]
    if stream.more_after and stream.last_id is not None:
        links.append(_link(str(url.include_query_params(after=stream.last_id)), "next",
                           GEO_JSON, "Trang sau"))
    if stream.more_before and stream.first_id is not None:
        links.append(_link(str(url.include_query_params(before=stream.first_id)), "prev",
                           GEO_JSON, "Trang trước"))
    return links


def _stream(request: Request, c: Collection, stream: features.ItemsStream,
            matched: features.Matched) -> Iterator[str]:
    yield '{"type":"FeatureCollection","features":['
    yield from stream.chunks()
    tail = {"numberMatched": matched.count, "numberReturned": stream.returned,
            "timeStamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "links": _page_links(request, c, stream)}
    if matched.estimated:
        tail["numberMatchedIsEstimate"] = True
    yield "]," + json.dumps(tail, ensure_ascii=False)[1:]


def _crs_headers(q: features.ItemsQuery) -> dict[str, str]:
    return {"Content-Crs": f"<{q.crs.uri}>"}


def _collection_routes(c: Collection) -> None:
    path = f"/collections/{c.id}"

    @router.get(path, response_class=JSONResponse, name=f"ogc_{c.id}",
                summary=f"Collection {c.id}",
                responses={**ok("application/json", COLLECTION, c.title), **problems(401)})
    def describe(request: Request, user: CurrentUser, engine: EngineDep) -> JSONResponse:
        return JSONResponse(_collection_body(request, engine, c))

    @router.get(f"{path}/items", response_class=GeoJSONResponse, name=f"ogc_{c.id}_items",
                summary=f"Features of {c.id}", openapi_extra={"parameters":
                                                             items_parameters(c)},
                responses={**ok(GEO_JSON, FEATURE_COLLECTION, "A page of features"),
                           **problems(400, 401, 422)})
    async def items(request: Request, user: CurrentUser, engine: EngineDep) -> Response:
        q = _query(request, user, c)
        matched = await run_in_threadpool(features.number_matched, engine, q)
        stream = await run_in_threadpool(features.open_items, engine, q)
        return StreamingResponse(_stream(request, c, stream, matched), media_type=GEO_JSON,
                                 headers=_crs_headers(q))

    @router.get(f"{path}/items/{{featureId}}", response_class=GeoJSONResponse,
                name=f"ogc_{c.id}_item", summary=f"One feature of {c.id}",
                openapi_extra={"parameters": [
                    p for p in items_parameters(c) if p["name"] in ("crs", "f")]},
                responses={**ok(GEO_JSON, FEATURE, "One feature"),
                           **problems(400, 401, 404, 422)})
    def item(request: Request, user: CurrentUser, engine: EngineDep,
             feature_id: FeatureId) -> Response:
        params = {k: [v] for k, v in request.query_params.items() if k in ("crs", "f")}
        extra = set(request.query_params) - {"crs", "f"}
        if extra:
            params[sorted(extra)[0]] = ["?"]  # refused as unknown, like on items
        projects, communes = caller_scope(user)
        q = features.parse_items_query(c, params, personal_data=user.sees_personal_data,
                                       today=_today(), project_ids=projects,
                                       commune_codes=communes)
        feature = json.loads(features.get_feature(engine, q, feature_id))
        url = f"{_base(request)}/collections/{c.id}"
        feature["links"] = [_link(str(request.url), "self", GEO_JSON, "Đối tượng này"),
                            _link(url, "collection", "application/json", c.title)]
        return Response(json.dumps(feature, ensure_ascii=False), media_type=GEO_JSON,
                        headers=_crs_headers(q))

    @router.get(f"{path}/queryables", response_class=JSONResponse,
                name=f"ogc_{c.id}_queryables", summary=f"Queryables of {c.id}",
                responses={**ok(SCHEMA_JSON, JSON_SCHEMA, "JSON Schema"), **problems(401)})
    def queryables(request: Request, user: CurrentUser) -> Response:
        url = f"{_base(request)}/collections/{c.id}/queryables"
        return Response(json.dumps(catalog.queryables_schema(c, url), ensure_ascii=False),
                        media_type=SCHEMA_JSON)

    @router.get(f"{path}/schema", response_class=JSONResponse, name=f"ogc_{c.id}_schema",
                summary=f"Feature schema of {c.id}",
                responses={**ok(SCHEMA_JSON, JSON_SCHEMA, "JSON Schema"), **problems(401)})
    def schema(request: Request, user: CurrentUser) -> Response:
        url = f"{_base(request)}/collections/{c.id}/schema"
        return Response(json.dumps(catalog.feature_schema(c, url), ensure_ascii=False),
                        media_type=SCHEMA_JSON)


for _c in PUBLISHED.values():
    _collection_routes(_c)


def mount_ogc(app: FastAPI) -> None:
    """Include the OGC API routes."""
    app.include_router(router)
