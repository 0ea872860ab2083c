"""The HTTP edge, as pure ASGI middleware: what every response carries (security headers,
cookie flags, caching of personal data) and what no request may carry (U+0000 in text).

Pure ASGI rather than ``BaseHTTPMiddleware``: no extra task per request and bodies are
streamed through untouched, which matters for uploads and the tile fast path.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterable
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import PROBLEM_JSON
from gis.core.errors import InvalidText
from gis.db.translate import NUL_MESSAGE_VI

# Optional online basemaps the map offers (off by default; web/maps.py).
_BASEMAP_HOSTS = "https://tile.openstreetmap.org https://server.arcgisonline.com"
CSP = "; ".join([
    "default-src 'self'",
    # Folium writes its map set-up as inline script, and Leaflet styles inline.
    "script-src 'self' 'unsafe-inline'",
    "style-src 'self' 'unsafe-inline'",
    f"img-src 'self' data: blob: {_BASEMAP_HOSTS}",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
])

_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(self), geolocation=(self), microphone=()"),
]


def _private(path: str, content_type: bytes) -> bool:
    """Answers that may hold personal data and must not be kept by any cache: the API's
    and the pages' (HTML is built per user), unless the route chose its own caching."""
    return path.startswith("/api/") or content_type.startswith(b"text/html")


class SecurityHeaders:
    """Add the security headers to every response; ``no-store`` on private answers that
    set no ``Cache-Control`` of their own; ``Secure`` on cookies when served over HTTPS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap ``send`` to amend the response start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        https = scope.get("scheme") == "https"
        csp = CSP.encode()

        async def amend(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in _COMMON if k not in names]
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", csp))
                content_type = next((v for k, v in headers if k.lower() == b"content-type"),
                                    b"")
                if b"cache-control" not in names and _private(path, content_type):
                    headers.append((b"cache-control", b"no-store"))
                if https:
                    headers = list(_secure_cookies(headers))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, amend)


def _secure_cookies(headers: Iterable[tuple[bytes, bytes]]) -> Iterable[tuple[bytes, bytes]]:
    for key, value in headers:
        if key.lower() == b"set-cookie" and b"secure" not in value.lower():
            value += b"; Secure"
        yield key, value


BUSY_VI = "Hệ thống đang bận, vui lòng thử lại sau ít giây."
_UNMETERED = ("/health", "/static/", "/tiles/", "/favicon")


class Admission:
    """Work on at most ``workers`` requests at once; a request that waits longer than
    ``wait_s`` for its turn is answered 503 + ``Retry-After`` at once (``server_busy``).

    Under overload this keeps answers fast (worked on, or refused cheaply) instead of
    letting a queue grow until clients time out and the server works for nobody. /health,
    static files and tiles (async, with their own connection limit) are not metered."""

    def __init__(self, app: ASGIApp, *, workers: int, wait_s: float) -> None:
        self.app = app
        self.workers = workers
        self.wait_s = wait_s
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Take a slot (bounded wait), pass the request on, give the slot back."""
        if scope["type"] != "http" or scope["path"].startswith(_UNMETERED):
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers)
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout=self.wait_s)
        except TimeoutError:
            await _answer(scope, send, 503, "server_busy", BUSY_VI, extra={"reason": "queue"},
                          headers=[(b"retry-after", b"1")])
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._slots.release()


_TEXT_BODIES = (b"application/json", b"application/x-www-form-urlencoded",
                b"application/merge-patch+json", b"text/plain")
_JSON_NUL = re.compile(rb"\\u0000", re.IGNORECASE)
MAX_SCANNED_BODY = 4 * 1024 * 1024
"""Text bodies up to this size are checked; larger ones are not text forms GPMB reads."""


def _has_nul(raw: bytes, *, form: bool = False, json_text: bool = False) -> bool:
    if b"\x00" in raw:
        return True
    if form and b"%00" in raw:
        return True
    return bool(json_text and _JSON_NUL.search(raw))


class RefuseNulText:
    """Refuse, with one clear 422, any request whose path, query or text body carries the
    NUL character (U+0000), which PostgreSQL cannot store in text. Multipart forms are left
    to the database boundary (``gis.db.translate``), which refuses them the same way: file
    parts legitimately hold NUL bytes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request head, then (for text bodies) the buffered body."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or _has_nul(
                unquote_to_bytes(scope.get("raw_path") or b""), form=False) or _has_nul(
                scope.get("query_string", b""), form=True):
            await _refuse(scope, send, "query")
            return
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        length = headers.get(b"content-length", b"")
        if scope["method"] in {"GET", "HEAD", "OPTIONS"} or content_type not in _TEXT_BODIES \
                or (length.isdigit() and int(length) > MAX_SCANNED_BODY):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if not message.get("more_body", False) or size > MAX_SCANNED_BODY:
                break
        body = b"".join(chunks)
        if _has_nul(body, form=content_type == b"application/x-www-form-urlencoded",
                    json_text=content_type.endswith(b"json")):
            await _refuse(scope, send, "body")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body,
                        "more_body": size > MAX_SCANNED_BODY}
            return await receive()

        await self.app(scope, replay, send)


async def _refuse(scope: Scope, send: Send, where: str) -> None:
    await _answer(scope, send, 422, InvalidText.code, NUL_MESSAGE_VI,
                  extra={"reason": "nul_character", "field": where})


async def _answer(scope: Scope, send: Send, status: int, code: str, message: str, *,
                  extra: dict[str, str], headers: list[tuple[bytes, bytes]] | None = None
                  ) -> None:
    """A problem answered by the edge itself: HTML for pages, problem+json otherwise."""
    accept = dict(scope["headers"]).get(b"accept", b"")
    if b"text/html" in accept:
        body = ("<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><title>GPMB</title>"
                f"<h1>{message}</h1><p><a href=\"javascript:history.back()\">Quay lại</a></p>"
                "</html>").encode()
        content_type = b"text/html; charset=utf-8"
    else:
        body = json.dumps({"type": f"urn:gpmb:problem:{code}", "title": message,
                           "status": status, "detail": message, "code": code,
                           "extra": extra}, ensure_ascii=False).encode()
        content_type = PROBLEM_JSON.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type),
                            (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})
