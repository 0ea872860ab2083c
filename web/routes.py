"""Page routes, mounted by the app factory."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session

from gis.core.domain import InvestmentForm
from gis.maps.tiles import install_invalidation_hooks
from gis.projects.listing import project_summaries
from web import (
    admin_project_routes,
    admin_routes,
    case_routes,
    committee_forms,
    committee_routes,
    dashboard_routes,
    dossier_routes,
    field_routes,
    field_sync_routes,
    household_routes,
    import_routes,
    map_routes,
)
from web.auth import install_login_redirect, page_scope, require_page_user
from web.i18n import install_language_switch
from web.templating import WEB_DIR, templates

INVESTMENT_FORM_VI = {
    InvestmentForm.PUBLIC_BUDGET: "Vốn ngân sách",
    InvestmentForm.PPP_BOT: "PPP (BOT)",
    InvestmentForm.NON_BUDGET: "Vốn ngoài ngân sách",
}

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def overview(request: Request) -> HTMLResponse:
    """Leaders' overview: every project with its clearance figures."""
    session: Session
    with request.app.state.sessions() as session:
        projects = project_summaries(session, page_scope(request))
    return templates.TemplateResponse(
        request, "overview.html", {"projects": projects, "forms": INVESTMENT_FORM_VI}
    )


def favicon() -> FileResponse:
    """Browsers ask for /favicon.ico whatever the page says: the same icon, no 404."""
    return FileResponse(WEB_DIR / "static" / "favicon.svg", media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})


def mount_web(app: FastAPI) -> None:
    """Add the pages, the map tiles and the static assets (all served locally: no CDN)."""
    install_invalidation_hooks()
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    app.add_api_route("/favicon.ico", favicon, include_in_schema=False)
    install_login_redirect(app)
    install_language_switch(app)
    signed_in = [Depends(require_page_user)]
    app.include_router(router, dependencies=signed_in)
    app.include_router(map_routes.router, dependencies=signed_in)
    map_routes.mount_tiles(app)  # checks the session itself; fast path before routing
    app.include_router(dashboard_routes.router, dependencies=signed_in)
    app.include_router(import_routes.router, dependencies=signed_in)
    app.include_router(field_routes.router, dependencies=signed_in)
    app.include_router(field_sync_routes.router, dependencies=signed_in)
    app.include_router(case_routes.router, dependencies=signed_in)
    app.include_router(admin_routes.router, dependencies=signed_in)
    app.include_router(admin_project_routes.router, dependencies=signed_in)
    app.include_router(committee_routes.router, dependencies=signed_in)
    app.include_router(committee_forms.router, dependencies=signed_in)
    app.include_router(household_routes.router, dependencies=signed_in)
    app.include_router(dossier_routes.router, dependencies=signed_in)
