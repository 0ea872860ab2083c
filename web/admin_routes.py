"""Administration pages: accounts (``/admin/users``) — add, disable or enable, reset the
password, change the role, assign projects and communes.

Thin: the rules are ``gis.access.accounts``'s, the same functions ``gpmb user …`` calls. Only
administrators may open these pages; every post needs the session's CSRF token. A refusal
shows the page again with the message; a success redirects (POST → redirect → GET), except
a password reset, whose new password is shown once on the answer itself.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.deps import CSRF_COOKIE
from api.errors import status_for
from gis.access.accounts import (
    create_user,
    generate_password,
    reset_password,
    scope_of,
    set_active,
    set_actor,
    set_role,
    set_scope,
)
from gis.core.collation import vi_name_key
from gis.core.domain import Role
from gis.core.errors import GpmbError, InvalidInput
from gis.models import Commune, Project, User
from web.error_pages import error_page
from web.i18n import error_text
from web.page_posts import PostRefused, checked_form
from web.templating import templates

router = APIRouter(include_in_schema=False)
ROLE_LABELS_VI = {Role.ADMIN: "Quản trị", Role.STAFF: "Cán bộ nghiệp vụ",
                  Role.LEADER: "Lãnh đạo (chỉ xem)", Role.FIELD: "Tổ hiện trường"}
SAVED_VI = {
    "added": "Đã tạo tài khoản.",
    "disabled": "Đã khoá tài khoản.",
    "enabled": "Đã mở khoá tài khoản.",
    "role": "Đã đổi vai trò.",
    "scope": "Đã cập nhật phân công dự án/xã.",
}
ADMINS = frozenset({Role.ADMIN})
ADMIN_ONLY_VI = "Chỉ quản trị viên mới được quản lý tài khoản và dự án."
Username = Annotated[str, Path(max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$")]


def _user(request: Request) -> User:
    user: User = request.state.user
    return user


def refused(request: Request, status: int, message: str) -> HTMLResponse:
    """The refusal page (shared with the case pages)."""
    return error_page(request, status, message)


def admin_refusal(request: Request) -> HTMLResponse | None:
    """The 403 page for anyone but an administrator, else None."""
    if _user(request).role not in ADMINS:
        return refused(request, 403, ADMIN_ONLY_VI)
    return None


async def admin_form(request: Request) -> FormData | HTMLResponse:
    """The posted form of an administrator, once the role and CSRF checks passed."""
    try:
        return await checked_form(request, roles=ADMINS, role_refusal=ADMIN_ONLY_VI,
                                  max_files=0, max_fields=400)
    except PostRefused as no:
        return refused(request, no.status, no.message)


def _codes(form: FormData, name: str) -> list[str]:
    """Codes from a multiple choice and/or a typed list ("01234, 01235")."""
    out: list[str] = []
    for value in form.getlist(name):
        if isinstance(value, str):
            out += [c.strip() for c in value.replace(";", ",").split(",") if c.strip()]
    return list(dict.fromkeys(out))


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _role(form: FormData) -> Role:
    value = _text(form, "role")
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput(f"bad role {value!r}", message_vi="Chọn vai trò trong danh sách.",
                           field="role") from None


def _users_context(session: Session) -> dict[str, Any]:
    users = session.scalars(select(User).order_by(User.role, User.username)).all()
    return {
        "users": [(u, scope_of(session, u.id)) for u in users],
        "projects": session.execute(select(Project.code, Project.name)
                                    .order_by(Project.code)).all(),
        "communes": sorted(session.execute(select(Commune.code, Commune.name)).all(),
                           key=lambda r: vi_name_key(r[1])),
        "roles": ROLE_LABELS_VI,
    }


def _users_page(request: Request, *, status: int = 200, **extra: Any) -> HTMLResponse:
    with request.app.state.sessions() as session:
        context = _users_context(session)
    saved = request.query_params.get("saved")
    context.update({"csrf": request.cookies.get(CSRF_COOKIE, ""),
                    "saved": SAVED_VI.get(saved or ""), "error": None, "new_password": None,
                    "posted": {}, **extra})
    return templates.TemplateResponse(request, "admin_users.html", context, status_code=status)


@router.get("/admin", response_class=HTMLResponse)
def admin_home(request: Request) -> Response:
    """Administration starts at the accounts."""
    return admin_refusal(request) or RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request) -> HTMLResponse:
    """Every account with its role, state and assignment; the form to add one."""
    return admin_refusal(request) or _users_page(request)


def _change(request: Request, change: Any, saved: str, posted: dict[str, str]) -> Response:
    """Run ``change(session)`` in one transaction; the page again with the reason if refused."""
    actor = f"web:{_user(request).username}"
    try:
        with request.app.state.sessions.begin() as session:
            set_actor(session, actor)
            shown = change(session)
    except GpmbError as exc:
        return _users_page(request, status=status_for(exc), error=error_text(exc),
                           posted=posted)
    if shown is not None:  # a password to show once
        return _users_page(request, new_password=shown)
    return RedirectResponse(f"/admin/users?{urlencode({'saved': saved})}", status_code=303)


@router.post("/admin/users")
async def add_user(request: Request) -> Response:
    """Create an account (a password is generated when none is typed, shown once)."""
    form = await admin_form(request)
    if isinstance(form, HTMLResponse):
        return form
    typed = _text(form, "password")
    password = typed or generate_password()
    posted = {k: _text(form, k) for k in ("username", "full_name", "role")}

    def change(session: Session) -> tuple[str, str] | None:
        user = create_user(session, _text(form, "username"), _role(form), password,
                           full_name=_text(form, "full_name"),
                           projects=_codes(form, "projects"), communes=_codes(form, "communes"))
        return None if typed else (user.username, password)

    return await run_in_threadpool(_change, request, change, "added", posted)


def _post(saved: str, action: Any) -> Any:
    async def handler(request: Request, username: Username) -> Response:
        form = await admin_form(request)
        if isinstance(form, HTMLResponse):
            return form
        return await run_in_threadpool(_change, request, lambda s: action(s, username, form),
                                       saved, {})
    return handler


def _disable(session: Session, username: str, _form: FormData) -> None:
    set_active(session, username, active=False)


def _enable(session: Session, username: str, _form: FormData) -> None:
    set_active(session, username, active=True)


def _reset(session: Session, username: str, _form: FormData) -> tuple[str, str]:
    password = generate_password()
    reset_password(session, username, password)
    return username, password


def _set_role(session: Session, username: str, form: FormData) -> None:
    set_role(session, username, _role(form))


def _set_scope(session: Session, username: str, form: FormData) -> None:
    set_scope(session, username, projects=_codes(form, "projects"),
              communes=_codes(form, "communes"))


router.add_api_route("/admin/users/{username}/disable", _post("disabled", _disable),
                     methods=["POST"])
router.add_api_route("/admin/users/{username}/enable", _post("enabled", _enable),
                     methods=["POST"])
router.add_api_route("/admin/users/{username}/password", _post("", _reset), methods=["POST"])
router.add_api_route("/admin/users/{username}/role", _post("role", _set_role),
                     methods=["POST"])
router.add_api_route("/admin/users/{username}/scope", _post("scope", _set_scope),
                     methods=["POST"])
