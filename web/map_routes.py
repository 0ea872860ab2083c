"""Map routes: the project map page, parcel vector tiles and the map's small JSON feeds.

Thin: parse, call ``gis``, shape the response. Included by ``web.routes.mount_web``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis import mapdata, parcel_info, tiles
from gis.errors import NotFound
from gis.models import Project
from gis.workflow.calendar import LOCAL_TZ
from web.maps import STEP_COLOURS, build_project_map, render_parts
from web.templating import templates

MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
TILE_URL = "/tiles/parcels/{z}/{x}/{y}.pbf"

router = APIRouter(include_in_schema=False)


def today() -> dt.date:
    """Today in Lạng Sơn (deadlines and the overdue flag are counted in local days)."""
    return dt.datetime.now(LOCAL_TZ).date()


def _sessions(request: Request) -> Session:
    session: Session = request.app.state.sessions()
    return session


@router.get("/projects/{code}/map", response_class=HTMLResponse)
def project_map(request: Request, code: str) -> HTMLResponse:
    """The project map: parcels by step, legend, filters, search and the parcel panel."""
    with _sessions(request) as session:
        project = mapdata.project_by_code(session, code)
        figures = mapdata.step_figures(session, project.id)
        choices = mapdata.filter_choices(session, project.id)
        fmap = build_project_map(
            bounds=mapdata.project_bounds(session, project.id),
            tile_url=f"{TILE_URL}?project={project.code}",
            layers=mapdata.alignment_layers(session, project.id),
            communes=mapdata.commune_layer(session, project.id),
            config={"project": project.code,
                    "searchUrl": f"/projects/{project.code}/map/search",
                    "parcelUrl": f"/projects/{project.code}/map/parcels/",
                    "steps": {f.step.value: f.label for f in figures}},
        )
        parts = render_parts(fmap)
        total_cases = sum(f.cases for f in figures)
        total_area = sum(f.area_m2 for f in figures)
        context: dict[str, Any] = {
            "project": project, "figures": figures, "colours": STEP_COLOURS,
            "choices": choices, "map": parts, "total_cases": total_cases,
            "total_area_m2": total_area,
        }
        return templates.TemplateResponse(request, "project_map.html", context)


@router.get(TILE_URL)
def parcel_tile(
    request: Request,
    z: Annotated[int, Path(ge=0, le=tiles.MAX_ZOOM)],
    x: Annotated[int, Path(ge=0)],
    y: Annotated[int, Path(ge=0)],
    project: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """A Mapbox vector tile of parcels (z ≥ 13) or of per-commune figures (z < 13)."""
    with _sessions(request) as session:
        project_id = None
        if project:
            project_id = session.scalar(select(Project.id).where(Project.code == project))
            if project_id is None:
                raise NotFound(f"no project {project!r}",
                               message_vi=f"Không có dự án mã {project}.")
        tile = tiles.get_tile(session, z, x, y, project_id=project_id, today=today())
    headers = {"ETag": tile.etag, "Cache-Control": "no-cache",
               "Access-Control-Allow-Origin": "*"}
    if tile.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(tile.data, media_type=MVT_MEDIA_TYPE, headers=headers)


@router.get("/projects/{code}/map/search")
def search(request: Request, code: str,
           q: Annotated[str, Query(max_length=100)] = "") -> JSONResponse:
    """Parcels of the project by "sheet/parcel" or a land user's name (no ID numbers)."""
    with _sessions(request) as session:
        project = mapdata.project_by_code(session, code)
        hits = parcel_info.search_parcels(session, project.id, q)
    return JSONResponse({"query": q, "results": hits})


@router.get("/projects/{code}/map/parcels/{parcel_id}")
def parcel(request: Request, code: str, parcel_id: int) -> JSONResponse:
    """The side panel's data for one parcel: details, history, payments, next deadline."""
    with _sessions(request) as session:
        project = mapdata.project_by_code(session, code)
        details = parcel_info.parcel_details(session, project.id, parcel_id, today())
    return JSONResponse(details, headers={"Cache-Control": "no-store"})
