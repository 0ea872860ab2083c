"""Vietnamese first, English as a switch.

Every visible string is written in Vietnamese in the templates and wrapped in ``_()``; the
Vietnamese text itself is the key. English translations live in ``web/locale/en/*.json``
(one file per area of the UI, merged), so a missing translation shows the Vietnamese text
rather than a key. ``?lang=en`` / ``?lang=vi`` on any page sets the ``gpmb_lang`` cookie;
without it the UI is Vietnamese, whatever the browser asks for.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from fastapi import FastAPI, Request
from jinja2 import pass_context
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from web.templating import WEB_DIR, templates

LANG_COOKIE = "gpmb_lang"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LOCALE_DIR = WEB_DIR / "locale"


@cache
def english() -> dict[str, str]:
    """All English translations, keyed by the Vietnamese text."""
    merged: dict[str, str] = {}
    for path in sorted((LOCALE_DIR / "en").glob("*.json")):
        entries = json.loads(path.read_text(encoding="utf-8"))
        for vi, en in entries.items():
            if vi in merged and merged[vi] != en:
                raise ValueError(f"{path.name}: '{vi}' translated twice, differently")
            merged[vi] = en
    return merged


def translate(text: str, lang: str, **values: Any) -> str:
    """``text`` in ``lang``, with ``{name}`` placeholders filled from ``values``."""
    out = english().get(text, text) if lang == "en" else text
    return out.format(**values) if values else out


def _chosen(request: Request) -> str | None:
    asked = request.query_params.get("lang")
    return asked if asked in LANGUAGES else None


def request_language(request: Request | None) -> str:
    """The language of a request: ``?lang=``, then the cookie, then Vietnamese."""
    if request is None:
        return DEFAULT_LANGUAGE
    cached = getattr(request.state, "lang", None)
    if cached in LANGUAGES:
        return str(cached)
    lang = _chosen(request) or request.cookies.get(LANG_COOKIE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def translator(request: Request | None) -> Any:
    """A ``_(text, **values)`` bound to the request's language (for Python-side strings)."""
    lang = request_language(request)
    return lambda text, **values: translate(text, lang, **values)


@pass_context
def _template_translate(context: Any, text: str, **values: Any) -> str:
    return translate(text, request_language(context.get("request")), **values)


@pass_context
def _template_language(context: Any) -> str:
    return request_language(context.get("request"))


@pass_context
def _js_catalogue(context: Any) -> dict[str, str]:
    """What page scripts need to translate their own strings (empty in Vietnamese)."""
    return english() if request_language(context.get("request")) == "en" else {}


templates.env.globals["_"] = _template_translate
templates.env.globals["current_language"] = _template_language
templates.env.globals["js_catalogue"] = _js_catalogue


class LanguageSwitch(BaseHTTPMiddleware):
    """Remember ``?lang=`` in a cookie so the choice follows the user from page to page."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        chosen = _chosen(request)
        if chosen:
            request.state.lang = chosen
        response = await call_next(request)
        if chosen and request.cookies.get(LANG_COOKIE) != chosen:
            response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 24 * 3600,
                                httponly=False, samesite="lax")
        return response


def install_language_switch(app: FastAPI) -> None:
    """Add the middleware that keeps the chosen language."""
    app.add_middleware(LanguageSwitch)
