"""Map routes: the project map page, parcel vector tiles and the map's small JSON feeds.

Thin: parse, call ``gis``, shape the response. Included by ``web.routes.mount_web``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from api.deps import look_up
from gis.access.logins import BEARER, SESSION, SESSION_COOKIE
from gis.access.session_cache import CachedSession, cache_of, listening
from gis.core.calendar import LOCAL_TZ
from gis.core.landuse import land_use_type
from gis.core.lookups import project_by_code
from gis.db.engine import driver_conninfo, server_limits
from gis.export.query import ExportFilters, filters_from_query
from gis.maps import filters as map_filters
from gis.maps import layers as mapdata
from gis.maps import parcel_panel as parcel_info
from gis.maps import tiles
from web.auth import LoginRequired, page_scope
from web.i18n import request_language, translator
from web.maps import STEP_COLOURS, project_map_parts
from web.templating import templates

MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
TILE_URL = "/tiles/parcels/{z}/{x}/{y}.pbf"

router = APIRouter(include_in_schema=False)


def today() -> dt.date:
    """Today in Lạng Sơn (deadlines and the overdue flag are counted in local days)."""
    return dt.datetime.now(LOCAL_TZ).date()


def _land_use_name(code: str, label: str) -> str:
    """The Vietnamese name of a land-use code (the page translates it)."""
    try:
        return land_use_type(code).name_vi
    except KeyError:
        return label.removeprefix(f"{code} — ")


def _sessions(request: Request) -> Session:
    session: Session = request.app.state.sessions()
    return session


@router.get("/projects/{code}/map", response_class=HTMLResponse)
def project_map(request: Request, code: str) -> HTMLResponse:
    """The project map: parcels by step, legend, filters, search and the parcel panel."""
    _ = translator(request)
    scope = page_scope(request)
    with _sessions(request) as session:
        project = project_by_code(session, code, scope=scope)
        figures = mapdata.step_figures(session, project.id, scope)
        codes = mapdata.used_codes(session, project.id)
        choices = mapdata.filter_choices(session, project.id, codes)
        choices["land_uses"] = [(c, _land_use_name(c, label)) for c, label in choices["land_uses"]]
        parts = project_map_parts(
            bounds=mapdata.project_bounds(session, project.id),
            tile_url=f"{TILE_URL}?project={project.code}",
            layers=mapdata.alignment_layers(session, project.id),
            communes=mapdata.commune_layer(session, project.id, codes[0]),
            config={"project": project.code,
                    "searchUrl": f"/projects/{project.code}/map/search",
                    "parcelUrl": f"/projects/{project.code}/map/parcels/",
                    "summaryUrl": f"/projects/{project.code}/map/summary",
                    "steps": {f.step.value: _(f.label) for f in figures}},
            lang=request_language(request),
        )
        initial = map_filters.map_summary(session, project.code, ExportFilters(), today(),
                                          scope)
        total_cases = sum(f.cases for f in figures)
        total_area = sum(f.area_m2 for f in figures)
        context: dict[str, Any] = {
            "project": project, "figures": figures, "colours": STEP_COLOURS,
            "choices": choices, "map": parts, "total_cases": total_cases,
            "total_area_m2": total_area, "summary": initial,
        }
        return templates.TemplateResponse(request, "project_map.html", context)


# ---- vector tiles ------------------------------------------------------------------------
# A map view asks for dozens of tiles at once, so the tile endpoint is lean: it checks the
# session cookie against a short-lived in-process cache (``gis.access.session_cache``, dropped at
# once on sign-out or a disabled account), serves cached tiles on the event
# loop and renders a missing tile in the threadpool with one prepared statement, no ORM.
# ``TileFastPath`` answers the ordinary request (known session, known project, valid tile)
# before the router and the other middleware; anything else reaches ``parcel_tile``, which
# validates, answers errors and fills the caches the fast path reads.

tile_router = APIRouter(include_in_schema=False)


@dataclass
class TileAccess:
    """Per app: project codes -> ids (the sessions are in ``gis.access.session_cache``)."""

    projects: dict[str, int] = field(default_factory=dict)


def _access(state: Any) -> TileAccess:
    access: TileAccess | None = getattr(state, "tile_access", None)
    if access is None:
        access = state.tile_access = TileAccess()
    return access


_TILE_PATH = re.compile(r"/tiles/parcels/(\d{1,2})/(\d{1,7})/(\d{1,7})\.pbf")


def tile_credential(cookie: str, authorization: str) -> tuple[str, str] | None:
    """(kind, token) of a tile request: an API bearer token (GIS clients — GDAL, QGIS —
    send ``Authorization: Bearer …``), else the browser's session cookie."""
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return BEARER, value.strip()
    token = cookie_parser(cookie).get(SESSION_COOKIE)
    return (SESSION, token) if token else None


def _cache_token(credential: tuple[str, str]) -> str:
    """The session cache's key text: the kind with the token (a session token is not a
    bearer token)."""
    return f"{credential[0]}:{credential[1]}"


def _check_tile_session(request: Request, credential: tuple[str, str]) -> CachedSession:
    cache = cache_of(request.app.state)
    generation = cache.generation
    kind, token = credential
    with _sessions(request) as session:
        presented = look_up(session, token, kind)
    if presented is None:
        raise LoginRequired
    cache.put(_cache_token(credential), presented.user.id, presented.scope, generation)
    return CachedSession(presented.user.id, presented.scope, time.monotonic())


def _tile_project_id(request: Request, code: str) -> int:
    with _sessions(request) as session:
        project_id = project_by_code(session, code).id
    _access(request.app.state).projects[code] = project_id
    return project_id


def _tile_renderer(state: Any) -> tiles.TileRenderer:
    renderer: tiles.TileRenderer | None = getattr(state, "tile_renderer", None)
    if renderer is None or renderer.engine is not state.engine:
        tiles.CACHE.max_tiles = state.settings.tile_cache_tiles
        renderer = tiles.TileRenderer(state.engine, connections=state.settings.db_pool_size,
                                      port_of=getattr(state, "db_port_of", None),
                                      options=server_limits(state.settings))
        state.tile_renderer = renderer
    return renderer


def _tile_headers(tile: tiles.Tile) -> dict[str, str]:
    return {"ETag": tile.etag, "Cache-Control": "no-cache"}


@tile_router.get(TILE_URL)
async def parcel_tile(
    request: Request,
    z: Annotated[int, Path(ge=0, le=tiles.MAX_ZOOM)],
    x: Annotated[int, Path(ge=0)],
    y: Annotated[int, Path(ge=0)],
    project: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """A Mapbox vector tile of parcels (z ≥ 13) or of per-commune figures (z < 13)."""
    credential = tile_credential(request.headers.get("cookie", ""),
                                 request.headers.get("authorization", ""))
    if credential is None:
        raise LoginRequired
    access = _access(request.app.state)
    checked = cache_of(request.app.state).get(_cache_token(credential))
    if checked is None:
        checked = await run_in_threadpool(_check_tile_session, request, credential)
    tiles.check_tile(z, x, y)
    project_id = None
    if project:
        project_id = access.projects.get(project)
        if project_id is None:
            project_id = await run_in_threadpool(_tile_project_id, request, project)
    tile = await _tile_renderer(request.app.state).atile(
        z, x, y, project_id=project_id, today=today(), scope=checked.scope)
    if tile.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=_tile_headers(tile))
    return Response(tile.data, media_type=MVT_MEDIA_TYPE, headers=_tile_headers(tile))


class TileFastPath:
    """Pure ASGI middleware: the ordinary tile request, answered before routing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve ``GET /tiles/parcels/{z}/{x}/{y}.pbf`` or hand the request on."""
        tile = None
        if scope["type"] == "http" and scope["method"] == "GET":
            match = _TILE_PATH.fullmatch(scope["path"])
            if match is not None:
                try:
                    tile, headers = await self._tile(scope, match)
                except Exception:  # the route below answers it, errors mapped as usual
                    tile = None
        if tile is None:
            await self.app(scope, receive, send)
            return
        etag = tile.etag.encode()
        fields = [(b"etag", etag), (b"cache-control", b"no-cache")]
        if etag in headers.get(b"if-none-match", b""):
            await send({"type": "http.response.start", "status": 304, "headers": fields})
            await send({"type": "http.response.body", "body": b""})
            return
        fields += [(b"content-type", MVT_MEDIA_TYPE.encode()),
                   (b"content-length", str(len(tile.data)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": fields})
        await send({"type": "http.response.body", "body": tile.data})

    @staticmethod
    async def _tile(scope: Scope, match: re.Match[str]
                    ) -> tuple[tiles.Tile | None, dict[bytes, bytes]]:
        headers = dict(scope["headers"])
        credential = tile_credential(headers.get(b"cookie", b"").decode("latin-1"),
                                     headers.get(b"authorization", b"").decode("latin-1"))
        access = _access(scope["app"].state)
        checked = (cache_of(scope["app"].state).get(_cache_token(credential))
                   if credential else None)
        if checked is None:
            return None, headers
        query = parse_qs(scope["query_string"].decode("latin-1"))
        if set(query) - {"project"} or len(query.get("project", ())) > 1:
            return None, headers
        project_id = None
        if "project" in query:
            project_id = access.projects.get(query["project"][0])
            if project_id is None:
                return None, headers
        z, x, y = (int(v) for v in match.groups())
        if z > tiles.MAX_ZOOM or x >= 2**z or y >= 2**z:
            return None, headers
        renderer = _tile_renderer(scope["app"].state)
        tile = await renderer.atile(z, x, y, project_id=project_id, today=today(),
                                    scope=checked.scope)
        return tile, headers


def mount_tiles(app: FastAPI) -> None:
    """The tile endpoint (it checks the session itself), its fast path, the listener that
    drops cached sessions when the database announces a sign-out or a disabled account,
    and the closing of the renderer's connections when the app stops."""
    app.include_router(tile_router)
    app.add_middleware(TileFastPath)
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app_: Any) -> AsyncIterator[Any]:
        async with inner(app_) as state:

            def conninfo() -> str:
                return driver_conninfo(app_.state.engine, getattr(app_.state, "db_port_of", None))

            try:
                async with listening(conninfo, cache_of(app_.state)):
                    yield state
            finally:
                renderer = getattr(app_.state, "tile_renderer", None)
                app_.state.tile_renderer = None  # a restarted app makes a new one
                if renderer is not None:
                    await renderer.aclose()

    app.router.lifespan_context = lifespan


@router.get("/projects/{code}/map/search")
def search(request: Request, code: str,
           q: Annotated[str, Query(max_length=100)] = "") -> JSONResponse:
    """Parcels of the project by "sheet/parcel" or a land user's name (no ID numbers),
    and in ``outside`` the matching parcels of its communes outside its footprint."""
    scope = page_scope(request)
    with _sessions(request) as session:
        project = project_by_code(session, code, scope=scope)
        hits = parcel_info.search_parcels(session, project.id, q, scope=scope)
        outside = parcel_info.search_outside(
            session, project.id, q, scope=scope,
            communes=map_filters.project_communes(session, project.id))
    return JSONResponse({"query": q, "results": hits, "outside": outside})


def summary_json(summary: map_filters.MapSummary) -> dict[str, Any]:
    """The filter summary as the map's script reads it."""
    box = summary.bounds
    return {
        "matching": summary.matching, "total": summary.total,
        "bounds": None if box is None else [
            list(box[:2]), list(box[2:])],
        "steps": {s.value: {"cases": n, "area_m2": round(a, 1)}
                  for s, (n, a) in summary.steps.items()},
        "outside": summary.outside, "not_overlaid": summary.not_overlaid,
    }


@router.get("/projects/{code}/map/summary")
def summary(request: Request, code: str,
            commune: Annotated[list[str] | None, Query(max_length=20)] = None,
            step: Annotated[list[str] | None, Query(max_length=20)] = None,
            overdue: Annotated[bool | None, Query()] = None,
            land_use: Annotated[list[str] | None, Query(max_length=20)] = None,
            ) -> JSONResponse:
    """How many of the project's cases match the map's filters (the export's parameters,
    parsed by the export's parser), their extent, the legend's figures per step and the
    parcels of the filtered communes outside the project's footprint."""
    scope = page_scope(request)
    filters = filters_from_query(None, commune, step, overdue, land_use)
    with _sessions(request) as session:
        project = project_by_code(session, code, scope=scope)
        found = map_filters.map_summary(session, project.code, filters, today(), scope)
    return JSONResponse(summary_json(found), headers={"Cache-Control": "no-store"})


@router.get("/projects/{code}/map/parcels/{parcel_id}")
def parcel(request: Request, code: str, parcel_id: int) -> JSONResponse:
    """The side panel's data for one parcel: details, history, payments, next deadline."""
    scope = page_scope(request)
    with _sessions(request) as session:
        project = project_by_code(session, code, scope=scope)
        details = parcel_info.parcel_details(session, project.id, parcel_id, today(),
                                             scope=scope)
    return JSONResponse(details, headers={"Cache-Control": "no-store"})
