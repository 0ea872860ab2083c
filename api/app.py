"""The app factory: ``create_app(settings)``; the lifespan owns the engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.to_thread
from fastapi import FastAPI
from sqlalchemy import Engine

from api.edge import Admission, RefuseNulText, SecurityHeaders
from api.errors import document_problems, register_error_handlers
from api.routers import (
    auth,
    case_writes,
    cases,
    committee,
    disbursement,
    documents,
    exports,
    health,
    households,
    imports,
    login_page,
    ogc,
    parcels,
    projects,
    resettlement,
    tilesets,
    users,
)
from gis.access.logins import LoginPolicy
from gis.core.settings import Settings, get_settings
from gis.db.engine import (
    Database,
    forbid_event_loop_checkout,
    serving_loop,
    session_factory,
)


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    engine: Engine | None = None,
) -> FastAPI:
    """Build the application.

    Tests hand in their own ``engine``; ``gpmb serve`` hands in the ``Database`` it opened
    (so the embedded cluster it started is stopped when the server stops); otherwise the
    lifespan opens the database described by ``settings``.
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = None
        if engine is not None:
            app.state.engine = engine
        else:
            db = database or Database(settings)
            app.state.engine = db.engine or db.open(serving=True)
            app.state.db_port_of = db.port_of
        forbid_event_loop_checkout(app.state.engine, strict=settings.environment == "test")
        # A few more threads than admitted requests (dependencies and handlers of one
        # request may each take a thread); each runnable thread costs the event loop GIL
        # time, and on a small machine more of them add no throughput.
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = settings.web_workers + 4
        app.state.sessions = session_factory(app.state.engine)
        try:
            with serving_loop():
                yield
        finally:
            health.close_probe(app.state)
            if db is not None:
                db.close()

    app = FastAPI(
        title="GPMB — Giải phóng mặt bằng Lạng Sơn",
        version="0.1.0",
        description="Theo dõi giải phóng mặt bằng theo từng thửa đất (PostGIS).",
        lifespan=lifespan,
        docs_url=None,  # served below from the app's own copy of Swagger UI (no CDN)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.login_policy = LoginPolicy()
    register_error_handlers(app)
    app.add_middleware(documents.UploadSizeGuard)
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(login_page.router)
    app.include_router(projects.router)
    app.include_router(parcels.router)
    # /api/cases/bulk-steps before /api/cases/{case_id}
    app.include_router(case_writes.router)
    app.include_router(cases.router)
    app.include_router(households.router)
    app.include_router(documents.router)
    app.include_router(resettlement.router)
    app.include_router(exports.router)
    app.include_router(users.router)
    app.include_router(imports.router)
    app.include_router(disbursement.router)
    app.include_router(committee.router)
    ogc.mount_ogc(app)
    app.include_router(tilesets.router)
    _document_problems(app)
    _local_docs(app)

    from web.routes import mount_web  # imported late: web uses api.deps and api.errors

    mount_web(app)
    app.add_middleware(RefuseNulText)
    app.add_middleware(Admission, workers=settings.web_workers,
                       wait_s=settings.queue_wait_s)
    app.add_middleware(SecurityHeaders)  # outermost: every answer carries the headers
    return app


def _local_docs(app: FastAPI) -> None:
    """``/docs``: Swagger UI from ``/static/vendor`` (installed from npm), so the API's
    documentation page works with no internet like every other page."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse

    from web.assets import SWAGGER_CSS, SWAGGER_JS

    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json",
                                   title=f"{app.title} — API", swagger_js_url=SWAGGER_JS,
                                   swagger_css_url=SWAGGER_CSS,
                                   swagger_favicon_url="/static/favicon.svg")

    app.add_api_route("/docs", docs, include_in_schema=False, response_class=HTMLResponse)


def _document_problems(app: FastAPI) -> None:
    """Generate the OpenAPI document once, with every error as application/problem+json."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(plain())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
