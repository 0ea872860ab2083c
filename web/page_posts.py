"""Reading a page's form post, the same way on every page (cases, household records, the
committee, administration, imports, field conflicts): who may post, the size limit (before
any of the body is read), the form, then the CSRF check — the API's own (``api.deps``), on
the session ``web.auth.require_page_user`` looked up for the request, so it makes no
database call of its own. A refusal is a ``PostRefused`` (status and Vietnamese message),
shown by the page that was posted to (``refusal_page``: the site's error page).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.deps import csrf_refusal
from api.errors import TOO_LARGE_VI, PayloadTooLarge, status_for
from gis.core.domain import Role
from web.auth import page_session
from web.case_forms import Posted, int_value, read_form
from web.error_pages import error_page
from web.i18n import error_text

READ_ONLY_VI = ("Tài khoản của bạn chỉ được xem hồ sơ; chỉ cán bộ nghiệp vụ mới được ghi nhận "
                "thay đổi.")
"""The refusal of a post by a role that may only read."""


class PostRefused(Exception):
    """A page post refused before its change was tried: the HTTP status and the message."""

    def __init__(self, status: int, message: str) -> None:
        self.status, self.message = status, message
        super().__init__(message)


def refusal_page(request: Request, refused: PostRefused) -> HTMLResponse:
    """The site's error page for a refused post."""
    return error_page(request, refused.status, refused.message)


def check_page_csrf(request: Request, sent: str | None) -> None:
    """Refuse (403, the API's Vietnamese message) a post whose ``Origin``/``Referer`` names
    another host or whose ``sent`` token is not the session's CSRF token."""
    refusal = csrf_refusal(request, page_session(request), sent)
    if refusal is not None:
        raise PostRefused(status_for(refusal), error_text(refusal))


def _admit(request: Request, roles: frozenset[Role] | None, role_refusal: str,
           max_bytes: int | None, too_large: str) -> None:
    user = request.state.user
    if roles is not None and user.role not in roles:
        raise PostRefused(403, role_refusal)
    length = request.headers.get("content-length", "")
    if max_bytes is not None and length.isdigit() and int(length) > max_bytes:
        raise PostRefused(status_for(PayloadTooLarge()), too_large)


async def checked_post(request: Request, *, roles: frozenset[Role] | None = None,
                       role_refusal: str = READ_ONLY_VI, max_bytes: int | None = None,
                       too_large: str = TOO_LARGE_VI) -> Posted:
    """The posted form as typed (``web.case_forms.Posted``), once the role (when ``roles``
    is given), the declared size (when ``max_bytes`` is) and the CSRF token passed."""
    _admit(request, roles, role_refusal, max_bytes, too_large)
    posted = await read_form(request)
    check_page_csrf(request, posted.values.get("csrf_token"))
    return posted


async def apply_post(request: Request, apply: Callable[[Posted], Response], *,
                     roles: frozenset[Role] | None = None, max_bytes: int | None = None,
                     refuse: Callable[[Request, PostRefused], Response] = refusal_page
                     ) -> Response:
    """``checked_post``, then ``apply(posted)`` (the change and the page it answers) in the
    thread pool, off the event loop; a refused post is answered by ``refuse`` (the site's
    error page)."""
    try:
        posted = await checked_post(request, roles=roles, max_bytes=max_bytes)
    except PostRefused as refused:
        return refuse(request, refused)
    response: Response = await run_in_threadpool(apply, posted)
    return response


async def checked_form(request: Request, *, roles: frozenset[Role] | None = None,
                       role_refusal: str = READ_ONLY_VI, max_bytes: int | None = None,
                       too_large: str = TOO_LARGE_VI, max_files: int = 1000,
                       max_fields: int = 1000) -> FormData:
    """The posted form itself (repeated fields, files), with the checks of
    ``checked_post``; the form is closed (its spooled files removed) when refused."""
    _admit(request, roles, role_refusal, max_bytes, too_large)
    form = await request.form(max_files=max_files, max_fields=max_fields)
    sent = form.get("csrf_token")
    try:
        check_page_csrf(request, sent if isinstance(sent, str) else None)
    except PostRefused:
        await form.close()
        raise
    return form


def posted_version(posted: Posted) -> int:
    """The version of the record the form was drawn from (a concurrent change is then a
    refusal, never an overwrite)."""
    return int_value(posted.values, "version", "Thiếu phiên bản hồ sơ; hãy tải lại trang.")
