"""Leaders' dashboards: the province (``/dashboard``) and one project
(``/projects/{code}/dashboard``), as of today or any past day (``?as_of=YYYY-MM-DD``), and
the project's reports as files: the Excel progress report for a period and the one-page
PDF summary, built by ``gis.reports`` for the chosen day.

Thin: parse, call ``gis.progress`` / ``gis.reports``, render. The charts are inline SVG
drawn server-side from ``gis.reports.chart`` (no chart library, nothing from a CDN).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from io import BytesIO
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from gis.capital.figures import (
    STANDING_VS_NATIONAL_VI,
    STANDING_VS_TARGET_VI,
    disbursement_figures,
)
from gis.core.calendar import LOCAL_TZ
from gis.core.domain import STEP_LABELS_VI, CaseStep
from gis.progress import project_progress, province_progress
from gis.progress.overview import project_for_report
from gis.reports import build_pdf, parse_period, write_excel
from gis.reports.chart import disbursement_chart, s_curve_chart
from gis.workflow.deadlines import DEADLINE_LABELS_VI
from web.auth import page_scope
from web.case_forms import AsOf
from web.i18n import milestone_name, report_wording, request_language
from web.templating import templates

router = APIRouter(include_in_schema=False)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _today() -> dt.date:
    return dt.datetime.now(LOCAL_TZ).date()


def _sessions(request: Request) -> Session:
    session: Session = request.app.state.sessions()
    return session


def _common(as_of: dt.date) -> dict[str, Any]:
    return {"as_of": as_of, "steps": list(CaseStep), "step_labels": STEP_LABELS_VI,
            "deadline_labels": DEADLINE_LABELS_VI, "target_labels": STANDING_VS_TARGET_VI,
            "national_labels": STANDING_VS_NATIONAL_VI}


def _attachment(data: bytes, media_type: str, filename: str) -> Response:
    """A file download (project codes are ASCII letters, digits, '-' and '_')."""
    return Response(data, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})


@router.get("/dashboard", response_class=HTMLResponse)
def province_dashboard(request: Request, as_of: AsOf) -> HTMLResponse:
    """Every project and commune of the province, as of a day."""
    day = as_of or _today()
    with _sessions(request) as session:
        progress = province_progress(session, day, page_scope(request))
        disbursed = {p.id: disbursement_figures(session, p.id, day)
                     for p, _ in progress.projects}
        context = {**_common(day), "progress": progress, "total": progress.figures.total,
                   "disbursed": disbursed}
        return templates.TemplateResponse(request, "dashboard.html", context)


@router.get("/projects/{code}/dashboard", response_class=HTMLResponse)
def project_dashboard(request: Request, code: str, as_of: AsOf) -> HTMLResponse:
    """One project's figures, S-curve, milestones, communes ranked by what is left, and the
    year's capital disbursement against the investor's target and the national average."""
    day = as_of or _today()
    with _sessions(request) as session:
        project_for_report(session, code, page_scope(request))
        p = project_progress(session, code, day)
        lang = request_language(request)
        named = [replace(m, title=milestone_name(m, lang)) for m in p.milestones]
        chart = s_curve_chart(p.curve, float(p.figures.area_m2), p.figures.households, named)
        d = disbursement_figures(session, p.project.id, day)
        context = {**_common(day), "p": p, "f": p.figures, "chart": chart,
                   "project": p.project, "d": d, "dchart": disbursement_chart(d)}
        return templates.TemplateResponse(request, "dashboard_project.html", context)


@router.get("/projects/{code}/reports/progress.xlsx")
def excel_report(request: Request, code: str, as_of: AsOf,
                 period: Annotated[str, Query(description="week | month | quarter")] = "month",
                 ) -> Response:
    """The periodic progress report (báo cáo tiến độ GPMB) of the period ending ``as_of``,
    in the reader's language."""
    day, kind = as_of or _today(), parse_period(period)
    out = BytesIO()
    with _sessions(request) as session:
        project = project_for_report(session, code, page_scope(request)).code
        write_excel(session, code, day, out, kind, report_wording(request))
    return _attachment(out.getvalue(), XLSX,
                       f"bao-cao-tien-do-gpmb-{project}-{kind.value}-{day.isoformat()}.xlsx")


@router.get("/projects/{code}/reports/summary.pdf")
def pdf_summary(request: Request, code: str, as_of: AsOf) -> Response:
    """The one-page PDF summary for meetings, as of ``as_of``, in the reader's language."""
    day = as_of or _today()
    with _sessions(request) as session:
        project_for_report(session, code, page_scope(request))
        data, progress = build_pdf(session, code, day, report_wording(request))
    return _attachment(data, "application/pdf",
                       f"tom-tat-gpmb-{progress.project.code}-{day.isoformat()}.pdf")
