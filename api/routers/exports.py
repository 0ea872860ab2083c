"""Downloads of filtered parcels or clearance cases (GeoPackage, Shapefile zip, GeoJSON, KML,
Excel). The file is written to a temporary folder, served, then removed."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from api.deps import CurrentUser, Principal, SessionDep, SettingsDep
from api.errors import problems
from gis.core.calendar import local_today
from gis.core.settings import Settings
from gis.export import FORMATS, ExportFilters, ExportRequest, ExportResult, export
from gis.export.query import ExportKind, filters_from_query

router = APIRouter(prefix="/api/exports", tags=["exports"])

_FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The file, as an attachment",
          "content": {info.media_type: {"schema": (
              {"type": "object", "description": "GeoJSON FeatureCollection"}
              if info.media_type.endswith("json")
              else {"type": "string", "format": "binary"})} for info in FORMATS.values()}},
    **problems(401, 422),
}
FormatQ = Annotated[str, Query(alias="format", max_length=20,
                               description="gpkg | shp | geojson | kml | xlsx")]
CrsQ = Annotated[str, Query(max_length=20, description="EPSG:9215 (VN-2000, default) or "
                            "EPSG:4326 (WGS84); KML is always WGS84")]
ProjectQ = Annotated[str | None, Query(max_length=32, description="project code or id")]
CommuneQ = Annotated[list[str] | None, Query(max_length=20, description="commune code(s)")]
StepQ = Annotated[list[str] | None, Query(max_length=20, description="case step(s)")]
OverdueQ = Annotated[bool | None, Query(description="only (true) / no (false) overdue cases")]
LandUseQ = Annotated[list[str] | None, Query(max_length=20, description="land-use code(s)")]


def content_disposition(result: ExportResult) -> str:
    """``attachment`` with an ASCII ``filename`` and the Vietnamese ``filename*`` (RFC 6266)."""
    return (f'attachment; filename="{result.ascii_filename}"; '
            f"filename*=UTF-8''{quote(result.filename, safe='')}")


def _download(kind: ExportKind, settings: Settings, session: Session, user: Principal,
              fmt: str, crs: str, filters: ExportFilters) -> FileResponse:
    root = settings.data_dir / "exports"
    root.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="gpmb-export-", dir=root))
    try:
        request = ExportRequest(kind, fmt, crs, filters, user.sees_personal_data, user.scope)
        result = export(session, request, workdir, today=local_today())
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return FileResponse(result.path, media_type=result.media_type,
                        headers={"Content-Disposition": content_disposition(result),
                                 "X-Feature-Count": str(result.features)},
                        background=BackgroundTask(shutil.rmtree, workdir, ignore_errors=True))


@router.get("/parcels", response_class=FileResponse, responses=_FILE_RESPONSES,
            summary="Download filtered parcels as a file")
def export_parcels(user: CurrentUser, session: SessionDep, settings: SettingsDep,
                   fmt: FormatQ = "gpkg", crs: CrsQ = "EPSG:9215",
                   project: ProjectQ = None, commune: CommuneQ = None, step: StepQ = None,
                   overdue: OverdueQ = None, land_use: LandUseQ = None) -> FileResponse:
    """Parcels (boundaries, land use, legal area, land users), filtered; citizen ID and phone
    only for staff and admin. A GeoPackage/Shapefile/GeoJSON imports back unchanged."""
    return _download("parcels", settings, session, user, fmt, crs,
                     filters_from_query(project, commune, step, overdue, land_use))


@router.get("/cases", response_class=FileResponse, responses=_FILE_RESPONSES,
            summary="Download filtered clearance cases as a file")
def export_cases(user: CurrentUser, session: SessionDep, settings: SettingsDep,
                 fmt: FormatQ = "gpkg", crs: CrsQ = "EPSG:9215",
                 project: ProjectQ = None, commune: CommuneQ = None, step: StepQ = None,
                 overdue: OverdueQ = None, land_use: LandUseQ = None) -> FileResponse:
    """Clearance cases (recovered area, step, money in VND, next deadline), filtered;
    citizen ID and phone only for staff and admin."""
    return _download("cases", settings, session, user, fmt, crs,
                     filters_from_query(project, commune, step, overdue, land_use))
