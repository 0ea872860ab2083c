"""Page routes, mounted by the app factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from gis.domain import InvestmentForm
from gis.projects import project_summaries

WEB_DIR = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=WEB_DIR / "templates")

INVESTMENT_FORM_VI = {
    InvestmentForm.PUBLIC_BUDGET: "Vốn ngân sách",
    InvestmentForm.PPP_BOT: "PPP (BOT)",
    InvestmentForm.NON_BUDGET: "Vốn ngoài ngân sách",
}

router = APIRouter(include_in_schema=False)


def _vnd(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _number(value: float, digits: int = 2) -> str:
    text = f"{value:,.{digits}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


templates.env.filters["vnd"] = _vnd
templates.env.filters["num"] = _number


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
    """Add the pages and the static assets (all served locally: no CDN)."""
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    app.include_router(router)
