"""Administration pages for projects: ``/admin/projects`` (the list and a form for a new
one) and ``/admin/projects/{code}`` (its details and the deadlines the province set).

Thin: parse the form, call ``gis.projects.admin``, redirect. Each form carries the project's
version, so an edit made meanwhile by someone else is refused and the page shows the
current state. Administrators only, with the session's CSRF token (``web.admin_routes``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.deps import CSRF_COOKIE
from api.errors import status_for
from gis.access.accounts import set_actor
from gis.core.domain import InvestmentForm
from gis.core.errors import GpmbError, InvalidInput
from gis.core.lookups import project_by_code
from gis.models import Project, ProjectMilestone
from gis.projects.admin import (
    MILESTONE_KINDS_VI,
    MilestoneFields,
    ProjectFields,
    add_milestone,
    create_project,
    delete_milestone,
    update_milestone,
    update_project,
)
from web.admin_routes import admin_form, admin_refusal, refused
from web.case_forms import date_value, int_value, required_date, vnd_value
from web.i18n import error_text
from web.templating import templates

router = APIRouter(include_in_schema=False)
FORMS_VI = {InvestmentForm.PUBLIC_BUDGET: "Vốn ngân sách", InvestmentForm.PPP_BOT: "PPP (BOT)",
            InvestmentForm.NON_BUDGET: "Vốn ngoài ngân sách"}
SAVED_VI = {"created": "Đã tạo dự án.", "project": "Đã lưu thông tin dự án.",
            "milestone": "Đã lưu mốc tiến độ.", "deleted": "Đã xoá mốc tiến độ."}
Code = Annotated[str, Path(max_length=32)]


def _values(form: FormData) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _optional(values: dict[str, str], name: str) -> str | None:
    return values.get(name, "").strip() or None


def _project_fields(values: dict[str, str]) -> ProjectFields:
    try:
        form = InvestmentForm(values.get("investment_form", ""))
    except ValueError:
        raise InvalidInput("bad investment form", field="investment_form",
                           message_vi="Chọn hình thức đầu tư trong danh sách.") from None
    budget = vnd_value(values, "compensation_budget_vnd") \
        if values.get("compensation_budget_vnd", "").strip() else 0
    return ProjectFields(name=values.get("name", ""), investment_form=form,
                         owner=values.get("owner", ""),
                         contracting_authority=_optional(values, "contracting_authority"),
                         legal_basis=_optional(values, "legal_basis"),
                         compensation_budget_vnd=budget,
                         start_date=date_value(values, "start_date"))


def _share(values: dict[str, str]) -> Decimal | None:
    """The target typed in percent ("90", "90,5"), as a share 0–1; empty means all."""
    raw = values.get("target_percent", "").strip().removesuffix("%").strip()
    if not raw:
        return None
    try:
        return (Decimal(raw.replace(",", ".")) / 100).quantize(Decimal("0.0001"))
    except InvalidOperation:
        raise InvalidInput(f"bad percent {raw!r}", field="target_percent",
                           message_vi=f"Tỷ lệ '{raw}' không hợp lệ; nhập số phần trăm, "
                           "ví dụ 90 hoặc 92,5.") from None


def _milestone_fields(values: dict[str, str]) -> MilestoneFields:
    return MilestoneFields(kind=values.get("kind", ""), title=values.get("title", ""),
                           due_date=required_date(values, "due_date"),
                           target_share=_share(values), note=_optional(values, "note"))


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200
          ) -> HTMLResponse:
    saved = request.query_params.get("saved")
    base = {"csrf": request.cookies.get(CSRF_COOKIE, ""), "forms": FORMS_VI,
            "kinds": MILESTONE_KINDS_VI, "saved": SAVED_VI.get(saved or ""), "error": None,
            "posted": {}}
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status)


def _list_page(request: Request, status: int = 200, **extra: Any) -> HTMLResponse:
    with request.app.state.sessions() as session:
        projects = session.scalars(select(Project).order_by(Project.code)).all()
        counts = dict(session.execute(select(ProjectMilestone.project_id, func.count())
                                      .group_by(ProjectMilestone.project_id)).tuples().all())
    return _page(request, "admin_projects.html",
                 {"projects": projects, "counts": counts, **extra}, status)


def _project_page(request: Request, code: str, status: int = 200, **extra: Any
                  ) -> HTMLResponse:
    with request.app.state.sessions() as session:
        try:
            project = project_by_code(session, code, reason="unknown_project")
        except GpmbError as exc:
            return refused(request, status_for(exc), error_text(exc))
        milestones = list(project.milestones)
    return _page(request, "admin_project.html",
                 {"project": project, "milestones": milestones, **extra}, status)


@router.get("/admin/projects", response_class=HTMLResponse)
def projects_page(request: Request) -> HTMLResponse:
    """Every project; the form for a new one."""
    return admin_refusal(request) or _list_page(request)


@router.post("/admin/projects")
async def post_project(request: Request) -> Response:
    """Create a project, then open its page to add its deadlines."""
    form = await admin_form(request)
    if isinstance(form, HTMLResponse):
        return form
    values = _values(form)

    def run() -> Response:
        try:
            with request.app.state.sessions.begin() as session:
                set_actor(session, f"web:{request.state.user.username}")
                code = create_project(session, values.get("code", ""),
                                      _project_fields(values)).code
        except GpmbError as exc:
            return _list_page(request, status_for(exc), error=error_text(exc), posted=values)
        return RedirectResponse(f"/admin/projects/{code}?saved=created", status_code=303)

    return await run_in_threadpool(run)


@router.get("/admin/projects/{code}", response_class=HTMLResponse)
def project_page(request: Request, code: Code) -> HTMLResponse:
    """A project's details and milestones, each an editable form."""
    return admin_refusal(request) or _project_page(request, code)


def _edit(request: Request, code: str, values: dict[str, str], saved: str,
          change: Any) -> Response:
    """Run ``change(session, version)`` in one transaction; redirect, or the page again with
    the reason (a stale version shows the current state, the typed values dropped)."""
    try:
        version = int_value(values, "version", "Thiếu phiên bản của dự án; tải lại trang.")
        with request.app.state.sessions.begin() as session:
            set_actor(session, f"web:{request.state.user.username}")
            change(session, version)
    except GpmbError as exc:
        stale = exc.extra.get("reason") == "stale_version"
        return _project_page(request, code, status_for(exc), error=error_text(exc),
                             posted={} if stale else values,
                             failed=values.get("milestone_id", "project"))
    return RedirectResponse(f"/admin/projects/{code}?saved={saved}", status_code=303)


async def _posted(request: Request) -> dict[str, str] | HTMLResponse:
    form = await admin_form(request)
    return form if isinstance(form, HTMLResponse) else _values(form)


@router.post("/admin/projects/{code}")
async def post_project_edit(request: Request, code: Code) -> Response:
    """Save the project's details."""
    values = await _posted(request)
    if isinstance(values, HTMLResponse):
        return values

    def change(session: Session, version: int) -> None:
        update_project(session, code, _project_fields(values), version=version)

    return await run_in_threadpool(_edit, request, code, values, "project", change)


@router.post("/admin/projects/{code}/milestones")
async def post_milestone(request: Request, code: Code) -> Response:
    """Add a milestone, or change one (``milestone_id``), or delete it (``delete``)."""
    values = await _posted(request)
    if isinstance(values, HTMLResponse):
        return values
    raw_id = values.get("milestone_id", "").strip()

    def change(session: Session, version: int) -> None:
        if not raw_id:
            add_milestone(session, code, _milestone_fields(values), version=version)
            return
        milestone_id = int_value(values, "milestone_id", "Mốc tiến độ không hợp lệ.")
        if values.get("delete") == "1":
            delete_milestone(session, code, milestone_id, version=version)
        else:
            update_milestone(session, code, milestone_id, _milestone_fields(values),
                             version=version)

    saved = "deleted" if values.get("delete") == "1" else "milestone"
    return await run_in_threadpool(_edit, request, code, values, saved, change)
