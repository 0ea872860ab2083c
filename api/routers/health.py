"""``GET /health``: is the service up, and is its database what it should be."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from api.deps import SettingsDep
from api.errors import PROBLEM_JSON
from gis.core.errors import DatabaseBusy
from gis.db.engine import make_engine
from gis.db.status import current_revision, database_report

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
async def health(request: Request, settings: SettingsDep) -> Any:
    """Report PostgreSQL and PostGIS versions, the schema revision and the demo project.

    Answers within about a second whatever the load: it runs on a thread and a connection
    of its own (not the request pool's, which may be exhausted), and gives up with a 503
    when the database does not answer in time."""
    probe = _probe(request.app.state)
    try:
        with anyio.fail_after(HEALTH_TIMEOUT_S):
            report = await anyio.to_thread.run_sync(probe.report, limiter=probe.limiter,
                                                    abandon_on_cancel=True)
    except TimeoutError:
        raise DatabaseBusy("health check timed out", reason="health_timeout") from None
    ok = report["schema_revision"] == report["schema_head"] and report["postgis"] != "missing"
    body = Health(
        status="ok" if ok else "degraded",
        database=DatabaseHealth(embedded=settings.uses_embedded_db, **{
            k: report[k] for k in ("postgresql", "postgis", "schema_revision", "schema_head",
                                   "parcels", "parcels_exact")}),
        demo_project=report["demo_project"],
    )
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


HEALTH_TIMEOUT_S = 1.0


REPORT_KEPT_S = 15.0
"""The full report (versions, demo project, parcel count) is read again at most this
often; every check still makes one round trip, so a database that went away is seen."""


@dataclass
class _Probe:
    engine: Engine
    limiter: anyio.CapacityLimiter
    kept: dict[str, Any] | None = None
    kept_at: float = 0.0

    def report(self) -> dict[str, Any]:
        """The database report: one short query when the kept one is recent and the
        schema revision unchanged, the whole report otherwise."""
        recent = self.kept is not None and time.monotonic() - self.kept_at < REPORT_KEPT_S
        if recent and self.kept and current_revision(self.engine) == self.kept["schema_revision"]:
            return self.kept
        self.kept, self.kept_at = database_report(self.engine), time.monotonic()
        return self.kept


def _probe(state: Any) -> _Probe:
    """The health check's own engine (one connection, short limits) and thread slots,
    made on first use and bound to the app's engine."""
    probe: _Probe | None = getattr(state, "health_probe", None)
    if probe is None or probe.engine.url != state.engine.url:
        small = state.settings.model_copy(update={
            "db_pool_size": 1, "db_pool_timeout_s": HEALTH_TIMEOUT_S,
            "db_statement_timeout_s": 2, "db_connect_timeout_s": 2})
        engine = make_engine(state.engine.url.render_as_string(hide_password=False), small,
                             serving=True, port_of=getattr(state, "db_port_of", None))
        probe = _Probe(engine, anyio.CapacityLimiter(2))
        state.health_probe = probe
    return probe


def close_probe(state: Any) -> None:
    """Dispose the health check's engine (app shutdown)."""
    probe: _Probe | None = getattr(state, "health_probe", None)
    if probe is not None:
        probe.engine.dispose()
        state.health_probe = None
