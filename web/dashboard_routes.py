"""Leaders' dashboards: the province (``/dashboard``) and one project
(``/projects/{code}/dashboard``), as of today or any past day (``?as_of=YYYY-MM-DD``).

Thin: parse, call ``gis.progress``, render. The S-curve is inline SVG drawn server-side
from ``gis.reports.chart`` (no chart library, nothing from a CDN).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from gis.domain import STEP_LABELS_VI, CaseStep
from gis.progress import project_progress, province_progress
from gis.reports.chart import s_curve_chart
from gis.workflow.calendar import LOCAL_TZ
from gis.workflow.deadlines import DEADLINE_LABELS_VI
from web.templating import templates

router = APIRouter(include_in_schema=False)

AsOf = Annotated[dt.date | None, Query(description="Ngày tính số liệu (YYYY-MM-DD)")]


def _today() -> dt.date:
    return dt.datetime.now(LOCAL_TZ).date()


def _sessions(request: Request) -> Session:
    session: Session = request.app.state.sessions()
    return session


def _common(as_of: dt.date) -> dict[str, Any]:
    return {"as_of": as_of, "steps": list(CaseStep), "step_labels": STEP_LABELS_VI,
            "deadline_labels": DEADLINE_LABELS_VI}


@router.get("/dashboard", response_class=HTMLResponse)
def province_dashboard(request: Request, as_of: AsOf = None) -> HTMLResponse:
    """Every project and commune of the province, as of a day."""
    day = as_of or _today()
    with _sessions(request) as session:
        progress = province_progress(session, day)
        context = {**_common(day), "progress": progress, "total": progress.figures.total}
        return templates.TemplateResponse(request, "dashboard.html", context)


@router.get("/projects/{code}/dashboard", response_class=HTMLResponse)
def project_dashboard(request: Request, code: str, as_of: AsOf = None) -> HTMLResponse:
    """One project's figures, S-curve, milestones and communes ranked by what is left."""
    day = as_of or _today()
    with _sessions(request) as session:
        p = project_progress(session, code, day)
        chart = s_curve_chart(p.curve, float(p.figures.area_m2), p.figures.households,
                              p.milestones)
        context = {**_common(day), "p": p, "f": p.figures, "chart": chart,
                   "project": p.project}
        return templates.TemplateResponse(request, "dashboard_project.html", context)
