"""Staff pages for clearance cases: the list (``/cases``, ``/projects/{code}/cases``) and the
case page (``/cases/{id}``) with its forms — the next step, a side event, a payment or its
reversal, a resettlement plot — each posting to a route below that calls the ``gis``
service function and redirects back (POST → redirect → GET) with a message.

Everyone signed in may read (land users' ID and phone numbers only for staff and admin);
only staff and admin may post, with the session's CSRF token and the case version the form
was drawn from. A refused change shows the page again with the workflow's message next to
the field it names and the values as typed; a concurrent change shows the case as it now
stands. Included by ``web.routes.mount_web``.
"""

from __future__ import annotations

import secrets
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import CSRF_COOKIE
from api.errors import status_for
from gis.access.scope import OFFICE_ROLES, require_case
from gis.cases.documents import list_documents
from gis.cases.queries import (
    SORTS,
    CaseFilter,
    case_detail,
    list_choices,
    overdue_among,
    search_cases,
    step_counts,
)
from gis.cases.resettlement import list_areas, list_plots
from gis.compensation.records import ensure_case_households
from gis.compensation.view import case_household_views
from gis.core.calendar import local_today
from gis.core.domain import (
    ITEM_LABELS_VI,
    PAYEE_LABELS_VI,
    STEP_LABELS_VI,
    STEP_ORDER,
    CaseStep,
    EventKind,
)
from gis.core.errors import Conflict, GpmbError, NotFound, PermissionDenied
from gis.core.lookups import project_by_code
from gis.maps.parcel_panel import PAYMENT_METHODS_VI, search_parcels
from gis.models import (
    Commune,
    LandUseType,
    Project,
    ResettlementPlot,
    User,
)
from gis.workflow.authority import LEVEL_LABELS_VI
from gis.workflow.complaints import OUTCOME_LABELS_VI
from gis.workflow.deadlines import DEADLINE_LABELS_VI
from gis.workflow.exceptions import EXCEPTION_LABELS_VI, PROJECT_KIND_LABELS_VI
from gis.workflow.paperwork import DOC_LABELS_VI
from gis.workflow.side_events import KIND_LABELS_VI, SIDE_DOCUMENTS
from gis.workflow.transitions import ACTION_LABELS_VI, MOVES, NEEDS_DOCUMENT
from web.auth import page_scope
from web.case_actions import (
    Action,
    allocate_plot_form,
    assign_owner_form,
    record_payment_form,
    record_side_event_form,
    record_step_form,
    release_plot_form,
    reverse_payment_form,
)
from web.case_forms import (
    DOCUMENT_ROWS,
    MAX_UPLOAD_BYTES,
    FormErrors,
    Posted,
    form_errors,
)
from web.error_pages import error_page
from web.i18n import error_text
from web.maps import STEP_COLOURS
from web.page_posts import apply_post
from web.templating import templates

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]

MULTIPART_OVERHEAD = 64 * 1024  # boundaries and the form's text fields around the file
PAGE_SIZES = (25, 50, 100)
SORT_LABELS_VI = {
    "id": "Mã hồ sơ",
    "parcel": "Xã, tờ, thửa",
    "step": "Bước GPMB",
    "outstanding": "Còn phải chi trả (nhiều trước)",
    "area": "Diện tích thu hồi (lớn trước)",
}
SIDE_KINDS = (EventKind.CONSULTATION, EventKind.NOTICE_RENEWED, EventKind.RECOVERY_EXCEPTION,
              EventKind.COMPLAINT_FILED, EventKind.COMPLAINT_RESOLVED,
              EventKind.COMPULSORY_INVENTORY, EventKind.ENFORCEMENT_DECIDED,
              EventKind.ENFORCEMENT_EXECUTED, EventKind.OWNER_COMPLIED, EventKind.NOTE)
SIDE_NEEDS_DOCUMENT = frozenset(SIDE_DOCUMENTS)
FORM_FIELDS = {
    "step": frozenset({"to_step", "occurred_on", "decision_no", "decision_date", "signer",
                       "note", "document", "documents", "issuer_level",
                       "issuer_unit"}),
    "side": frozenset({"kind", "occurred_on", "decision_no", "decision_date", "signer", "note",
                       "at", "document", "documents", "issuer_level", "issuer_unit",
                       "exception_kind", "project_kind", "consent_pct", "complainant",
                       "decision_received_on", "complaint_id", "outcome"}),
    "payment": frozenset({"payee_id", "amount_vnd", "paid_on", "method", "deposit_account",
                          "voucher_no", "note"}),
    "reversal": frozenset({"reason", "reversed_on"}),
    "allocation": frozenset({"plot_id", "allocated_on", "decision_no"}),
    "release": frozenset({"released_on"}),
    "owner": frozenset({"responsible_officer", "responsible_unit"}),
}
SAVED_VI = {
    "step": "Đã ghi nhận bước mới của hồ sơ.",
    "side": "Đã ghi nhận sự kiện vào lịch sử hồ sơ.",
    "payment": "Đã ghi khoản chi trả vào sổ.",
    "reversal": "Đã đảo bút toán chi trả.",
    "allocation": "Đã giao lô tái định cư cho hồ sơ.",
    "release": "Đã thu hồi lô tái định cư.",
    "owner": "Đã lưu người phụ trách hồ sơ.",
}
RESENT_VI = ("Biểu mẫu này đã được gửi trước đó. Trang đã hiện trạng thái mới nhất của hồ sơ; "
             "hãy kiểm tra rồi gửi lại nếu vẫn cần.")
ANCHORS = {"step": "history", "side": "history", "payment": "money", "reversal": "money",
           "allocation": "resettlement", "release": "resettlement", "owner": "owner"}


def _sessions(request: Request) -> Session:
    session: Session = request.app.state.sessions()
    return session


def _user(request: Request) -> User:
    user: User = request.state.user
    return user


# ---- the list ----------------------------------------------------------------------------

def _list_filter(request: Request, session: Session, project: Project | None
                 ) -> tuple[CaseFilter, dict[str, Any]]:
    """The filter asked for in the query string; unknown values are ignored."""
    params = request.query_params
    if project is None and params.get("project"):
        try:
            project = project_by_code(session, params["project"])
        except NotFound:
            project = None
    commune = params.get("commune", "")
    steps = tuple(CaseStep(s) for s in params.getlist("step") if s in CaseStep.__members__.values())
    overdue = {"1": True, "0": False}.get(params.get("overdue", ""))
    land_use = params.get("land_use", "").upper()
    q = params.get("q", "").strip()[:100]
    f = CaseFilter(project.id if project else None,
                   commune if commune.isdigit() and len(commune) == 5 else None,
                   steps, overdue, q or None, land_use if land_use.isalpha() else None,
                   scope=page_scope(request))
    sort = params.get("sort", "id")
    per = int(params["per"]) if params.get("per", "").isdigit() else 50
    page = int(params["page"]) if params.get("page", "").isdigit() else 1
    shown = {"project": project, "commune": f.commune_code or "", "steps": set(steps),
             "overdue": params.get("overdue", ""), "land_use": f.land_use or "", "q": q,
             "sort": sort if sort in SORTS else "id", "per": per if per in PAGE_SIZES else 50,
             "page": max(1, min(page, 100_000))}
    return f, shown


def _export_fields(shown: dict[str, Any]) -> list[tuple[str, str]]:
    """The list's filters in force as query fields of ``/api/exports/…`` (the name search
    has no export counterpart)."""
    fields: list[tuple[str, str]] = []
    if shown["project"] is not None:
        fields.append(("project", shown["project"].code))
    if shown["commune"]:
        fields.append(("commune", shown["commune"]))
    fields += [("step", s.value) for s in CaseStep if s in shown["steps"]]
    if shown["overdue"] in ("1", "0"):
        fields.append(("overdue", "true" if shown["overdue"] == "1" else "false"))
    if shown["land_use"]:
        fields.append(("land_use", shown["land_use"]))
    return fields


def _page_url(request: Request, page: int) -> str:
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in {"page", "lang"}]
    return f"{request.url.path}?{urlencode([*items, ('page', str(page))])}"


def _list_page(request: Request, code: str | None) -> HTMLResponse:
    today = local_today()
    with _sessions(request) as session:
        try:
            fixed = (project_by_code(session, code, scope=page_scope(request))
                     if code else None)
        except NotFound as exc:
            return error_page(request, status_for(exc), error_text(exc))
        f, shown = _list_filter(request, session, fixed)
        per, page_no = shown["per"], shown["page"]
        page = search_cases(session, f, limit=per, offset=(page_no - 1) * per, today=today,
                            sort=shown["sort"])
        if not page.items and page.total:  # past the last page: show the last one
            page_no = -(-page.total // per)
            page = search_cases(session, f, limit=per, offset=(page_no - 1) * per,
                                today=today, sort=shown["sort"])
        counts = step_counts(session, f, today)
        choices = list_choices(session, f.project_id, f.scope)
        late = overdue_among(session, [c.id for c in page.items], today)
        communes = dict(choices["communes"])
        pages = max(1, -(-page.total // per))
        context = {
            "fixed_project": fixed, "shown": shown, "page": page, "counts": counts,
            "counted": sum(counts.values()), "choices": choices, "communes": communes,
            "late": late, "steps": list(CaseStep), "step_labels": STEP_LABELS_VI,
            "colours": STEP_COLOURS, "sorts": SORT_LABELS_VI, "page_sizes": PAGE_SIZES,
            "page_no": page_no, "pages": pages, "first": (page_no - 1) * per + 1,
            "last": (page_no - 1) * per + len(page.items),
            "prev_url": _page_url(request, page_no - 1) if page_no > 1 else None,
            "next_url": _page_url(request, page_no + 1) if page_no < pages else None,
            "can_edit": _user(request).role in OFFICE_ROLES,
            "export_fields": _export_fields(shown),
        }
        return templates.TemplateResponse(request, "cases_list.html", context)


@router.get("/cases", response_class=HTMLResponse)
def case_list(request: Request) -> HTMLResponse:
    """Every case, filtered (project, commune, step, overdue, land use, search), sorted, paged."""
    return _list_page(request, None)


@router.get("/projects/{code}/cases", response_class=HTMLResponse)
def project_case_list(request: Request, code: str) -> HTMLResponse:
    """The cases of one project."""
    return _list_page(request, code)


# ---- the case page -----------------------------------------------------------------------

def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.full_name, User.username)
                           .where(User.id.in_(wanted)))
    return {uid: full or username for uid, full, username in rows}


def _plots_free_for(session: Session, project_id: int) -> list[tuple[str, list[Any]]]:
    out = []
    for area in list_areas(session):
        if area.free_plots and area.project_id in (None, project_id):
            free = [p for p in list_plots(session, area.id) if p.allocated_case_id is None]
            out.append((f"{area.code} — {area.name}", free))
    return out


def _new_key() -> str:
    """A fresh idempotency key for a form: submitting it twice records once."""
    return secrets.token_urlsafe(16)


def _case_context(request: Request, session: Session, case_id: int, *,
                  errors: FormErrors | None = None, posted: Posted | None = None,
                  keep_version: bool = False) -> dict[str, Any]:
    """Everything the case page shows, for the signed-in user."""
    today = local_today()
    scope = page_scope(request)
    d = case_detail(session, case_id, today, scope=scope)
    c, p = d.case, d.parcel
    user = _user(request)
    can_edit = user.role in OFFICE_ROLES
    docs: dict[int, list[Any]] = {}
    for doc in list_documents(session, case_id, scope=scope):
        docs.setdefault(doc.event_id, []).append(doc)
    reversed_by = {x.reverses_payment_id: x.id for x in d.payments if x.reverses_payment_id}
    names = _names(session, {e.recorded_by for e in d.events}
                   | {x.recorded_by for x in d.payments}
                   | {a.recorded_by for a in d.allocations})
    plots = {a.plot_id: session.get(ResettlementPlot, a.plot_id) for a in d.allocations}
    active = [a for a in d.allocations if a.released_on is None]
    land_use = session.get(LandUseType, p.land_use_code)
    commune = session.get(Commune, p.commune_code)
    hit = next((h for h in search_parcels(session, c.project_id, f"{p.sheet_no}/{p.parcel_no}",
                                          scope=scope)
                if h["parcel_id"] == p.id), None)
    map_url = f"/projects/{d.project_code}/map" + (
        f"#map=18/{hit['lat']:.6f}/{hit['lon']:.6f}&p={p.id}" if hit else "")
    households = case_household_views(session, case_id, today)
    kept = posted.values if posted is not None and errors is not None else {}
    version = kept.get("version") if keep_version and kept.get("version") else str(c.version)
    return {
        "d": d, "c": c, "p": p, "today": today, "can_edit": can_edit,
        "sees_personal": can_edit, "docs": docs, "reversed_by": reversed_by, "names": names,
        "plots": plots, "active_allocation": active[0] if active else None,
        "free_plots": _plots_free_for(session, c.project_id)
        if can_edit and c.resettlement_needed and not active else [],
        "land_use_name": land_use.name_vi if land_use else "",
        "commune_name": commune.name if commune else p.commune_code,
        "map_url": map_url, "step_labels": STEP_LABELS_VI, "colours": STEP_COLOURS,
        "deadline_labels": DEADLINE_LABELS_VI, "kind_labels": KIND_LABELS_VI,
        "next_steps": [(to, STEP_LABELS_VI[to], ACTION_LABELS_VI[action],
                        action in NEEDS_DOCUMENT) for to, action in MOVES[c.step].items()],
        "side_kinds": [(k, KIND_LABELS_VI[k], k in SIDE_NEEDS_DOCUMENT) for k in SIDE_KINDS],
        "methods": PAYMENT_METHODS_VI, "households": households,
        "item_labels": ITEM_LABELS_VI, "payee_labels": PAYEE_LABELS_VI,
        "payee_names": {p.payee.id: p.payee.full_name for h in households for p in h.payees},
        "doc_kinds": DOC_LABELS_VI, "issuer_levels": LEVEL_LABELS_VI,
        "outcomes": OUTCOME_LABELS_VI, "exception_kinds": EXCEPTION_LABELS_VI,
        "project_kinds": PROJECT_KIND_LABELS_VI, "doc_row_count": DOCUMENT_ROWS,
        "can_pay": STEP_ORDER[c.step] >= STEP_ORDER[CaseStep.PLAN_APPROVED],
        "csrf_token": request.cookies.get(CSRF_COOKIE, ""), "version": version,
        "errors": errors, "kept": kept,
        "idem": kept.get("idem") or _new_key(), "new_key": _new_key,
    }


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: Id, saved: str | None = None) -> HTMLResponse:
    """One case: parcel, land users, step and deadline, history, ledger, resettlement, and
    (for staff) the forms."""
    with _sessions(request) as session:
        try:
            if _user(request).role in OFFICE_ROLES:  # open the land users' household records
                require_case(session, page_scope(request), case_id)
                ensure_case_households(session, case_id)
                session.commit()
            context = _case_context(request, session, case_id)
        except NotFound as exc:
            return error_page(request, status_for(exc), error_text(exc))
    context["flash"] = SAVED_VI.get(saved or "")
    return templates.TemplateResponse(request, "case_page.html", context)


# ---- posting the forms ------------------------------------------------------------------

def _apply(request: Request, case_id: int, form: str, action: Action,
           posted: Posted) -> Response:
    """Run ``action`` in one transaction; redirect on success, else show the page again."""
    user = _user(request)
    kind = form.split("-", 1)[0]
    with _sessions(request) as session:
        try:
            action(session, request, case_id, user, posted)
            session.commit()
        except GpmbError as exc:
            session.rollback()
            if isinstance(exc, PermissionDenied) or (
                    isinstance(exc, NotFound) and exc.extra.get("reason") == "case_not_found"):
                return error_page(request, status_for(exc), error_text(exc))
            errors = form_errors(form, exc, FORM_FIELDS[kind])
            errors.status = status_for(exc)  # the API's status for the same refusal
            reason = exc.extra.get("reason")
            stale = isinstance(exc, Conflict) and reason in {"stale_version",
                                                             "idempotency_key_reused"}
            if reason == "idempotency_key_reused":  # an old copy of a form sent already
                posted.values.pop("idem", None)
                errors.message = RESENT_VI
            elif stale:
                errors.message = None
                errors.stale = (exc.extra.get("current_version"),
                                exc.extra.get("expected_version"))
            context = _case_context(request, session, case_id, errors=errors, posted=posted,
                                    keep_version=not stale)
            return templates.TemplateResponse(request, "case_page.html", context,
                                              status_code=errors.status)
    return RedirectResponse(f"/cases/{case_id}?saved={kind}#{ANCHORS[kind]}", status_code=303)


async def _post(request: Request, case_id: int, form: str, action: Action) -> Response:
    """Who may post, the size, the CSRF check, then the change itself (off the event
    loop)."""
    return await apply_post(request, partial(_apply, request, case_id, form, action),
                            roles=OFFICE_ROLES, max_bytes=MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD)


@router.post("/cases/{case_id}/step")
async def post_step(request: Request, case_id: Id) -> Response:
    """Record the next step (with its decision and, optionally, the scanned document)."""
    return await _post(request, case_id, "step", record_step_form)


@router.post("/cases/{case_id}/side-events")
async def post_side_event(request: Request, case_id: Id) -> Response:
    """Record a complaint, compulsory inventory, enforcement stage or note."""
    return await _post(request, case_id, "side", record_side_event_form)


@router.post("/cases/{case_id}/payments")
async def post_payment(request: Request, case_id: Id) -> Response:
    """Add a payment to the ledger (whole VND, never above what is outstanding)."""
    return await _post(request, case_id, "payment", record_payment_form)


@router.post("/cases/{case_id}/payments/{payment_id}/reversal")
async def post_reversal(request: Request, case_id: Id, payment_id: Id) -> Response:
    """Cancel a payment with a reversing entry."""
    return await _post(request, case_id, f"reversal-{payment_id}",
                       reverse_payment_form(payment_id))


@router.post("/cases/{case_id}/allocation")
async def post_allocation(request: Request, case_id: Id) -> Response:
    """Give the case a free resettlement plot."""
    return await _post(request, case_id, "allocation", allocate_plot_form)


@router.post("/cases/{case_id}/allocations/{allocation_id}/release")
async def post_release(request: Request, case_id: Id, allocation_id: Id) -> Response:
    """Take the plot back (the allocation stays in the history)."""
    return await _post(request, case_id, f"release-{allocation_id}",
                       release_plot_form(allocation_id))



@router.post("/cases/{case_id}/owner")
async def post_owner(request: Request, case_id: Id) -> Response:
    """Name the officer and unit responsible for the case."""
    return await _post(request, case_id, "owner", assign_owner_form)
