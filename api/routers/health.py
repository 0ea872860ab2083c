"""``GET /health``: is the service up, and is its database what it should be."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.deps import EngineDep, SettingsDep
from api.errors import PROBLEM_JSON
from gis.status import database_report

router = APIRouter(tags=["health"])


class DemoProject(BaseModel):
    """The demo project, if loaded."""

    code: str
    name: str
    cases: int


class DatabaseHealth(BaseModel):
    """Database part of the health report."""

    embedded: bool
    postgresql: str
    postgis: str
    schema_revision: str | None
    schema_head: str | None
    parcels: int | None
    parcels_exact: bool = Field(True, description="False: ``parcels`` is the planner's "
                                "estimate (databases over 200,000 parcels), not a count")


class Health(BaseModel):
    """Health report."""

    status: str
    database: DatabaseHealth
    demo_project: DemoProject | None


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"description": "Database unavailable or not migrated",
                     "content": {PROBLEM_JSON: {}}}},
    summary="Service and database health",
)
def health(engine: EngineDep, settings: SettingsDep) -> Any:
    """Report PostgreSQL and PostGIS versions, the schema revision and the demo project."""
    report = database_report(engine)
    ok = report["schema_revision"] == report["schema_head"] and report["postgis"] != "missing"
    body = Health(
        status="ok" if ok else "degraded",
        database=DatabaseHealth(embedded=settings.uses_embedded_db, **{
            k: report[k] for k in ("postgresql", "postgis", "schema_revision", "schema_head",
                                   "parcels", "parcels_exact")}),
        demo_project=report["demo_project"],
    )
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)
