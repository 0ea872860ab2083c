"""Page routes, mounted by the app factory."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session

from gis.domain import InvestmentForm
from gis.projects import project_summaries
from gis.tiles import install_invalidation_hooks
from web import map_routes
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
        projects = project_summaries(session)
    return templates.TemplateResponse(
        request, "overview.html", {"projects": projects, "forms": INVESTMENT_FORM_VI}
    )


def mount_web(app: FastAPI) -> None:
    """Add the pages, the map tiles and the static assets (all served locally: no CDN)."""
    install_invalidation_hooks()
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    app.include_router(router)
    app.include_router(map_routes.router)
