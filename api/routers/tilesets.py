"""The parcel vector tile set described for GIS clients: TileJSON (also GDAL's
``metadata.json``) and a Mapbox GL style, next to the tiles at
``/tiles/parcels/{z}/{x}/{y}.pbf``.

QGIS: Layer ▸ Add Layer ▸ Vector Tile ▸ New Generic Connection, Style URL
``…/tiles/parcels/style.json``, with an "API Header" authentication of
``Authorization: Bearer <token>``. GDAL: ``MVT:/vsicurl/…/tiles/parcels/16``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api.deps import CurrentUser, EngineDep, Principal, SessionDep
from api.errors import problems
from gis.core.lookups import project_by_code
from gis.maps import layers as mapdata
from gis.maps import tilejson
from gis.ogc import catalog
from gis.ogc.collections import PARCELS
from web.maps import STEP_COLOURS

router = APIRouter(prefix="/tiles/parcels", tags=["tiles"])
ProjectCode = Annotated[str | None, Query(max_length=32, pattern=r"^[A-Z0-9][A-Z0-9_-]*$",
                                          description="only this project's parcels")]
_TILEJSON = {"type": "object", "required": ["tilejson", "tiles", "vector_layers"],
             "properties": {"tilejson": {"type": "string"},
                            "tiles": {"type": "array", "items": {"type": "string"}},
                            "vector_layers": {"type": "array", "items": {"type": "object"}},
                            "bounds": {"type": "array", "items": {"type": "number"}}}}
_STYLE = {"type": "object", "required": ["version", "sources", "layers"],
          "properties": {"version": {"type": "integer"}, "sources": {"type": "object"},
                         "layers": {"type": "array", "items": {"type": "object"}}}}


def _ok(schema: dict[str, Any], description: str) -> dict[int | str, Any]:
    return {200: {"description": description,
                  "content": {"application/json": {"schema": schema}}}, **problems(401, 404)}


def _suffix(project: str | None) -> str:
    return f"?project={project}" if project else ""


def _document(request: Request, engine: Any, session: Any, user: Principal,
              project: str | None) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/") + "/tiles/parcels"
    if project:
        found = project_by_code(session, project, scope=user.scope)
        south, west, north, east = mapdata.project_bounds(session, found.id)
        bounds: tuple[float, float, float, float] | None = (west, south, east, north)
        name, about = f"GPMB {found.code}", found.name
    else:
        box = catalog.spatial_extent(engine, PARCELS)
        bounds = (box[0], box[1], box[2], box[3]) if box else None
        name, about = "GPMB", "Thửa đất toàn tỉnh Lạng Sơn"
    return tilejson.tilejson(base + "/{z}/{x}/{y}.pbf" + _suffix(project), bounds,
                             name=name, description=about)


@router.get("/metadata.json", summary="TileJSON of the parcel tiles",
            responses=_ok(_TILEJSON, "TileJSON 3.0 (and tippecanoe metadata.json)"))
def metadata(request: Request, user: CurrentUser, engine: EngineDep, session: SessionDep,
             project: ProjectCode = None) -> JSONResponse:
    """Layers, fields, zooms, bounds and tile URL of the parcel vector tiles."""
    return JSONResponse(_document(request, engine, session, user, project))


@router.get("/tilejson.json", summary="TileJSON of the parcel tiles (same as metadata.json)",
            responses=_ok(_TILEJSON, "TileJSON 3.0"))
def tilejson_document(request: Request, user: CurrentUser, engine: EngineDep,
                      session: SessionDep, project: ProjectCode = None) -> JSONResponse:
    """The TileJSON under its usual name."""
    return JSONResponse(_document(request, engine, session, user, project))


@router.get("/style.json", summary="Mapbox GL style of the parcel tiles",
            responses=_ok(_STYLE, "Style v8: parcels by clearance step"))
def style(request: Request, user: CurrentUser, session: SessionDep,
          project: ProjectCode = None) -> JSONResponse:
    """Parcels coloured by clearance step, overdue outlined red; communes as circles."""
    if project:
        project_by_code(session, project, scope=user.scope)  # 404: unknown or unseen
    url = str(request.base_url).rstrip("/") + "/tiles/parcels/tilejson.json" + _suffix(project)
    colours = {s.value: c for s, c in STEP_COLOURS.items()}
    return JSONResponse(tilejson.style(url, colours, name=f"GPMB {project or ''}".strip()))
