"""The staff import page: upload a parcel file, read the dry run (format, layer, CRS,
encoding, field mapping, validation report, what would change), confirm.

Thin: parse the form, check role and CSRF, call ``gis.ingest.uploads``, render. Server-side
forms (work without script); ``/static/import/import.js`` only adds a size check and a
busy state. Like the other forms (``web.page_posts``), a write needs the session's CSRF
token (the ``csrf_token`` field, from the ``gpmb_csrf`` cookie) and a same-origin
Origin/Referer; a refusal answers the API's status (``api.errors.status_for``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from api.deps import CSRF_COOKIE
from api.errors import status_for
from gis.access.scope import OFFICE_ROLES, OutOfScope, require_province
from gis.core.errors import GpmbError
from gis.ingest import uploads
from gis.ingest.fields import LABELS_VI
from gis.ingest.locks import run_unless_abandoned
from gis.ingest.report import SEVERITY_VI
from gis.models import User
from web.auth import page_scope
from web.i18n import error_text
from web.page_posts import PostRefused, checked_form
from web.templating import templates

router = APIRouter(include_in_schema=False)
MULTIPART_OVERHEAD = 64 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _user(request: Request) -> User:
    user: User = request.state.user
    return user


def _root(request: Request) -> Path:
    return uploads.uploads_root(request.app.state.settings.data_dir)


def _max_mb(request: Request) -> int:
    return int(request.app.state.settings.import_max_mb)


def _require_importer(request: Request) -> User:
    user = _user(request)
    if user.role not in OFFICE_ROLES:
        raise PostRefused(403, "Chỉ cán bộ nghiệp vụ (staff) hoặc quản trị mới được nhập dữ "
                        "liệu. Liên hệ quản trị nếu bạn cần quyền này.")
    try:
        require_province(page_scope(request), "Nhập dữ liệu địa chính")
    except OutOfScope as exc:
        raise PostRefused(status_for(exc), error_text(exc)) from exc
    return user


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200
            ) -> HTMLResponse:
    base = {"csrf": request.cookies.get(CSRF_COOKIE, ""), "max_mb": _max_mb(request),
            "severity_vi": {k.value: v for k, v in SEVERITY_VI.items()},
            "labels": LABELS_VI, "crs_choices": uploads.CRS_CHOICES}
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status)


def _upload_page(request: Request, *, error: str | None = None, status: int = 200
                 ) -> HTMLResponse:
    user = _user(request)
    allowed = user.role in OFFICE_ROLES
    recent = uploads.list_uploads(_root(request), user.id) if allowed else []
    return _render(request, "import_upload.html",
                   {"error": error, "allowed": allowed, "recent": recent}, status)


def _check_page(request: Request, upload: uploads.Upload, *, error: str | None = None,
                status: int = 200) -> HTMLResponse:
    return _render(request, "import_check.html", {"up": upload, "run": upload.dry_run,
                                                  "error": error}, status)


def _too_large_vi(request: Request) -> str:
    return (f"Tệp quá lớn: tối đa {_max_mb(request)} MB. Hãy tách thành nhiều tệp (ví dụ "
            "theo xã) rồi nhập lần lượt.")


def _error_page(request: Request, exc: PostRefused) -> HTMLResponse:
    """The refusal shown on the page it came from."""
    upload_id = request.path_params.get("upload_id")
    if upload_id:
        try:
            up = uploads.load_upload(_root(request), str(upload_id), _user(request).id)
        except GpmbError:
            up = None
        if up is not None:
            return _check_page(request, up, error=exc.message, status=exc.status)
    return _upload_page(request, error=exc.message, status=exc.status)


@router.get("/imports", response_class=HTMLResponse)
def import_home(request: Request) -> HTMLResponse:
    """The upload form and the person's recent uploads."""
    if _user(request).role not in OFFICE_ROLES:
        return _upload_page(request, error="Chỉ cán bộ nghiệp vụ (staff) hoặc quản trị mới "
                            "được nhập dữ liệu. Liên hệ quản trị nếu bạn cần quyền này.",
                            status=403)
    return _upload_page(request)


def _store_and_check(request: Request, user: User, file: UploadFile, survey: str | None
                     ) -> uploads.Upload:
    root = _root(request)
    up = uploads.store_upload(root, user.id, file.filename, file.file,
                              _max_mb(request) * 1024**2)
    with request.app.state.sessions() as session:
        return uploads.check_upload(session, root, up, uploads.ImportOptions(survey=survey),
                                    actor=f"web:{user.username}")


@router.post("/imports", response_class=HTMLResponse)
async def import_upload(request: Request) -> Response:
    """Store the file, dry-run it, show the result."""
    try:
        return await _import_upload(request)
    except PostRefused as exc:
        return _error_page(request, exc)


async def _import_upload(request: Request) -> Response:
    user = _require_importer(request)
    form = await checked_form(  # the size is refused before the body is read
        request, max_bytes=_max_mb(request) * 1024**2 + MULTIPART_OVERHEAD,
        too_large=_too_large_vi(request), max_files=1, max_fields=10)
    try:
        file, survey = form.get("file"), form.get("survey")
        if not isinstance(file, UploadFile) or not file.filename:
            raise PostRefused(422, "Chưa chọn tệp để tải lên.")
        name = survey.strip()[:200] or None if isinstance(survey, str) else None
        up = await run_in_threadpool(_store_and_check, request, user, file, name)
    except GpmbError as exc:
        raise PostRefused(status_for(exc), error_text(exc)) from exc
    finally:
        await form.close()  # the spooled temporary copy of the upload
    return RedirectResponse(f"/imports/{up.id}", status_code=303)


UploadId = Annotated[str, "32 hex digits"]


def _load(request: Request, upload_id: str) -> uploads.Upload:
    user = _require_importer(request)
    try:
        return uploads.load_upload(_root(request), upload_id, user.id)
    except GpmbError as exc:
        raise PostRefused(status_for(exc), error_text(exc)) from exc


@router.get("/imports/{upload_id}", response_class=HTMLResponse)
def import_page(request: Request, upload_id: UploadId) -> HTMLResponse:
    """The dry run of an upload (or what its confirmed import did)."""
    try:
        return _check_page(request, _load(request, upload_id))
    except PostRefused as exc:
        return _error_page(request, exc)


def _options(form: FormData, previous: uploads.ImportOptions) -> uploads.ImportOptions:
    def text(name: str) -> str | None:
        value = form.get(name)
        return value.strip()[:200] or None if isinstance(value, str) else None

    mapping = dict(previous.mapping)
    for key, value in form.multi_items():
        if key.startswith("map:") and isinstance(value, str):
            column = key[4:]
            mapping = {t: c for t, c in mapping.items() if c != column}
            if value in LABELS_VI:
                mapping[value] = column
    commune = text("commune")
    return uploads.ImportOptions(survey=text("survey"), crs=text("crs") or previous.crs,
                                 layer=text("layer") or previous.layer,
                                 commune=commune if commune and commune.isdigit()
                                 and len(commune) == 5 else None,
                                 mapping=mapping, land_use=(text("land_use") or "")[:16] or None,
                                 area_from_geometry=form.get("area_from_geometry") == "1")


@router.post("/imports/{upload_id}/check", response_class=HTMLResponse)
async def import_recheck(request: Request, upload_id: UploadId) -> Response:
    """Check again with the chosen CRS, layer and column mapping."""
    try:
        return await _recheck(request, upload_id)
    except PostRefused as exc:
        return _error_page(request, exc)


Step = Callable[[uploads.Upload, FormData, User], Awaitable[object]]


async def _upload_post(request: Request, upload_id: str, max_fields: int, step: Step
                       ) -> Response:
    """A post on one upload: the upload, the checked form, ``step``, back to the upload's
    page; a domain error refused with the API's status."""
    up = _load(request, upload_id)
    form = await checked_form(request, max_files=0, max_fields=max_fields)
    try:
        await step(up, form, _user(request))
    except GpmbError as exc:
        raise PostRefused(status_for(exc), error_text(exc)) from exc
    return RedirectResponse(f"/imports/{upload_id}", status_code=303)


async def _recheck(request: Request, upload_id: str) -> Response:
    async def step(up: uploads.Upload, form: FormData, user: User) -> None:
        options = _options(form, up.options)

        def run() -> uploads.Upload:
            with request.app.state.sessions() as session:
                return uploads.check_upload(session, _root(request), up, options,
                                            actor=f"web:{user.username}")

        await run_in_threadpool(run)

    return await _upload_post(request, upload_id, 200, step)


@router.post("/imports/{upload_id}/confirm", response_class=HTMLResponse)
async def import_confirm(request: Request, upload_id: UploadId) -> Response:
    """Import as the dry run showed; refused when it is stale."""
    try:
        return await _confirm(request, upload_id)
    except PostRefused as exc:
        return _error_page(request, exc)


async def _confirm(request: Request, upload_id: str) -> Response:
    async def step(up: uploads.Upload, form: FormData, user: User) -> None:
        check_id = form.get("check_id")
        confirm_paid = form.get("confirm_paid") == "1"
        root = _root(request)
        await run_unless_abandoned(  # a closed tab cancels the import in the database
            lambda canceller: uploads.confirm_upload(
                request.app.state.sessions, root, up, str(check_id or ""),
                confirm_paid=confirm_paid, actor=f"web:{user.username}", canceller=canceller),
            request.is_disconnected)

    return await _upload_post(request, upload_id, 10, step)


@router.get("/imports/{upload_id}/report.{kind}")
def import_report(request: Request, upload_id: UploadId, kind: str) -> Response:
    """The last dry run's report: ``xlsx`` (Excel) or ``geojson`` (problem features)."""
    try:
        return _report(request, upload_id, kind)
    except PostRefused as exc:
        return _error_page(request, exc)


def _report(request: Request, upload_id: str, kind: str) -> FileResponse:
    if kind not in ("xlsx", "geojson"):
        raise PostRefused(404, "Không tìm thấy báo cáo.")
    up = _load(request, upload_id)
    try:
        path = uploads.report_path(_root(request), up, kind)
    except GpmbError as exc:
        raise PostRefused(status_for(exc), error_text(exc)) from exc
    stem = up.filename.rsplit(".", 1)[0]
    return FileResponse(path, media_type=XLSX if kind == "xlsx" else "application/geo+json",
                        filename=f"kiem-tra-{stem}.{kind}", content_disposition_type="attachment")
