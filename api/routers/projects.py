"""Projects (with milestones and alignments) and alignment geometries as GeoJSON."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic.dataclasses import dataclass

from api.contract import IsoDate
from api.deps import CurrentUser, SessionDep
from api.errors import problems
from api.http import GEO_JSON, GeoJSONResponse, Id, geojson
from api.schemas import Feature, FeatureCollection, ProjectDetail
from gis.maps.geodata import alignment_features, get_project
from gis.projects.listing import ProjectSummary, project_summaries

router = APIRouter(prefix="/api", tags=["projects"])
Part = Annotated[Literal["centreline", "footprint"], Query(
    description="centreline (the footprint where there is none) or the recovery footprint")]


# The list's fields are the domain's own (``ProjectSummary``); this adds the API's name and
# description, and validation of what is returned.
@dataclass(frozen=True)
class ProjectOut(ProjectSummary):
    """A project with its headline clearance figures (areas in m², money in VND)."""


AsOf = Annotated[IsoDate | None, Query(
    description="figures as they stood at the end of this day (default: now)")]


@router.get("/projects", response_model=list[ProjectOut], responses=problems(401, 422),
            summary="List projects with their figures")
def list_projects(user: CurrentUser, session: SessionDep,
                  as_of: AsOf = None) -> list[ProjectOut]:
    """Every project the user may see with case counts, recovered and handed-over area,
    approved and paid VND (of the cases in the user's scope); ``as_of`` reads past
    figures (from the append-only history)."""
    return [ProjectOut(**asdict(s)) for s in project_summaries(session, user.scope, as_of)]


@router.get("/projects/{project_id}", response_model=ProjectDetail,
            responses=problems(401, 404, 422), summary="A project with milestones and alignments")
def project_detail(project_id: Id, user: CurrentUser, session: SessionDep) -> ProjectDetail:
    """The project, the targets the province set, and its alignments (no geometry)."""
    return ProjectDetail.model_validate(get_project(session, project_id, scope=user.scope))


@router.get("/projects/{project_id}/alignments", response_model=FeatureCollection,
            response_class=GeoJSONResponse, responses=problems(401, 404, 422),
            summary="A project's alignments as GeoJSON (WGS84)")
def project_alignments(project_id: Id, user: CurrentUser, session: SessionDep,
                       part: Part = "centreline") -> GeoJSONResponse:
    """Each alignment as a feature, coordinates in EPSG:4326."""
    features = alignment_features(session, project_id=project_id, part=part,
                                  scope=user.scope)
    return geojson({"type": "FeatureCollection", "features": features})


@router.get("/alignments/{alignment_id}", response_model=Feature,
            response_class=GeoJSONResponse, responses=problems(401, 404, 422),
            summary="One alignment as a GeoJSON feature (WGS84)")
def alignment(alignment_id: Id, user: CurrentUser, session: SessionDep,
              part: Part = "centreline") -> GeoJSONResponse:
    """The alignment's centreline or footprint, coordinates in EPSG:4326."""
    return geojson(alignment_features(session, alignment_id=alignment_id, part=part,
                                      scope=user.scope)[0])


__all__ = ["GEO_JSON", "ProjectOut", "router"]
