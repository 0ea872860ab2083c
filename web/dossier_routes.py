"""The printable dossier of one parcel's case (``/cases/{id}/dossier``) and its PDF
(``/cases/{id}/dossier.pdf``): the same content (``gis.cases.dossier``), the same access as
the case page — anyone signed in within the case's scope; outside it a 404 like an unknown id.
Both follow the reader's language. Included by ``web.routes.mount_web``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.errors import status_for
from gis.cases.dossier import Dossier, build_dossier
from gis.core.calendar import local_today
from gis.core.errors import NotFound
from gis.core.wording import VIETNAMESE, Wording
from gis.reports.dossier_pdf import build_dossier_pdf
from web.auth import page_scope
from web.error_pages import error_page
from web.i18n import error_text, report_wording
from web.templating import templates

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _dossier(request: Request, case_id: int, w: Wording = VIETNAMESE) -> Dossier:
    session: Session = request.app.state.sessions()
    with session:
        return build_dossier(session, case_id, local_today(), scope=page_scope(request), w=w)


def _not_found(request: Request, exc: NotFound) -> HTMLResponse:
    return error_page(request, status_for(exc), error_text(exc))


@router.get("/cases/{case_id}/dossier", response_class=HTMLResponse)
def dossier_page(request: Request, case_id: Id) -> HTMLResponse:
    """The dossier as a print-friendly page (A4, browser print), in the reader's language
    (the same words as the PDF)."""
    try:
        dossier = _dossier(request, case_id, report_wording(request))
    except NotFound as exc:
        return _not_found(request, exc)
    return templates.TemplateResponse(request, "dossier.html", {"x": dossier})


@router.get("/cases/{case_id}/dossier.pdf")
def dossier_pdf(request: Request, case_id: Id) -> Response:
    """The dossier as an A4 PDF download, in the reader's language."""
    words = report_wording(request)
    try:
        dossier = _dossier(request, case_id, words)
    except NotFound as exc:
        return _not_found(request, exc)
    name = f"ho-so-thua-dat-{dossier.project_code}-{dossier.case_id}.pdf"
    return Response(build_dossier_pdf(dossier, words), media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
