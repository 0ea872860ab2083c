"""Vietnamese first, English as a switch.

Every visible string is written in Vietnamese in the templates and wrapped in ``_()``; the
Vietnamese text itself is the key. English translations live in ``web/locale/en/*.json``
(one file per area of the UI, merged), so a missing translation shows the Vietnamese text
rather than a key. ``?lang=en`` / ``?lang=vi`` on any page sets the ``gpmb_lang`` cookie;
without it the UI is Vietnamese, whatever the browser asks for.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from contextvars import ContextVar
from functools import cache
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from jinja2 import pass_context
from markupsafe import Markup
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gis.core.errors import GpmbError
from gis.core.formats import (
    DAY_PATTERN,
    DAY_PLACEHOLDER,
    fill,
    fmt_day,
    fmt_dec,
    fmt_int,
    fmt_time,
)
from gis.core.landuse import LAND_USE_TYPES
from gis.core.wording import VIETNAMESE, Wording
from gis.field import sync as field_sync
from gis.ingest import overlay
from gis.projects.admin import MILESTONE_KINDS_VI
from web.templating import WEB_DIR, templates

LANG_COOKIE = "gpmb_lang"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LOCALE_DIR = WEB_DIR / "locale"
# The language of the request being served, for templates rendered without the request in
# their context (macros imported without ``with context``).
_CURRENT: ContextVar[str] = ContextVar("gpmb_lang", default=DEFAULT_LANGUAGE)


MESSAGES_FILE = "messages.json"
"""The domain errors' messages: rendered by the server, so not sent to page scripts."""


@cache
def english() -> dict[str, str]:
    """All English translations, keyed by the Vietnamese text.

    The land-use names come from ``gis.core.landuse`` (which holds both languages); everything
    else from the catalogue files."""
    return _merged(with_messages=True)


@cache
def script_english() -> dict[str, str]:
    """The translations page scripts get: all but the domain errors' messages."""
    return _merged(with_messages=False)


def _merged(*, with_messages: bool) -> dict[str, str]:
    merged: dict[str, str] = {}
    sources = [("gis/core/landuse.py", {t.name_vi: t.name_en for t in LAND_USE_TYPES})]
    sources += [(path.name, json.loads(path.read_text(encoding="utf-8")))
                for path in sorted((LOCALE_DIR / "en").glob("*.json"))
                if with_messages or path.name != MESSAGES_FILE]
    for name, entries in sources:
        for vi, en in entries.items():
            if vi in merged and merged[vi] != en:
                raise ValueError(f"{name}: '{vi}' translated twice, differently")
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
    """The language of a request: ``?lang=``, then the cookie, then Vietnamese (without a
    request: that of the request being served)."""
    if request is None:
        return _CURRENT.get()
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
    return script_english() if request_language(context.get("request")) == "en" else {}


# Numbers follow the language: Vietnamese 1.234,5, English 1,234.5. Days are 05/03/2025 in
# both, the way the date fields are typed, and times are Vietnam time (``gis.core.formats``).


def format_vnd(value: int, lang: str) -> str:
    """Whole numbers (VND, counts): "1.234.567" in Vietnamese, "1,234,567" in English."""
    return fmt_int(value, lang)


def format_number(value: float, lang: str, digits: int = 2) -> str:
    """Decimals: "1.234,50" in Vietnamese, "1,234.50" in English."""
    return fmt_dec(value, digits, lang)


def format_date(value: dt.date | str | None, lang: str) -> str:
    """A day: "05/03/2025", in either language."""
    return fmt_day(value)


def message(template: str, params: dict[str, Any], lang: str) -> str:
    """A message stored as a Vietnamese template and its parameters (numbers kept as
    numbers), translated and with numbers written the way ``lang`` writes them."""
    if lang != "en":
        return fill(template, params, lang)
    return fill(english().get(template, template), params, lang, english())


def error_text(exc: GpmbError, lang: str | None = None) -> str:
    """A domain error's message in ``lang`` (by default: that of the request being
    served), its numbers written the way that language writes them."""
    return exc.text(lang or request_language(None), english())


@pass_context
def _template_vnd(context: Any, value: int) -> str:
    return format_vnd(value, request_language(context.get("request")))


@pass_context
def _template_number(context: Any, value: float, digits: int = 2) -> str:
    return format_number(value, request_language(context.get("request")), digits)


@pass_context
def _template_date(context: Any, value: dt.date | str | None) -> str:
    return format_date(value, request_language(context.get("request")))


def switch_url(request: Request, lang: str) -> str:
    """This page's path and query with only ``lang`` replaced (the hash is added in the
    browser, which alone knows it)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return request.url.path + "?" + urlencode([*query, ("lang", lang)])


@pass_context
def _template_problem(context: Any, found: dict[str, Any]) -> str:
    """An import problem's message (``Problem.as_dict``) in the page's language."""
    template = found.get("template") or found.get("message_vi", "")
    return message(template, found.get("params") or {}, request_language(context.get("request")))


_GENERATED_NOTES = ((field_sync.NOTE_HEADS_VI, field_sync.NOTE_PHRASES_VI),
                    (overlay.NOTE_HEADS_VI, overlay.NOTE_PHRASES_VI))
_VI_DECIMAL = re.compile(r"\b\d{1,3}(?:\.\d{3})*,\d+\b")


def note_text(note: str | None, lang: str) -> str:
    """A history note as shown. The notes the application writes itself (field actions,
    a new overlay) are in Vietnamese in the record; in English their vocabulary and numbers
    are translated, while what a person typed after them stays as typed."""
    if not note or lang != "en":
        return note or ""
    for heads, phrases in _GENERATED_NOTES:
        if note.startswith(heads):
            head, dot, typed = note.partition(". ")
            for phrase in sorted(phrases, key=len, reverse=True):
                head = head.replace(phrase, translate(phrase, lang))
            head = _VI_DECIMAL.sub(
                lambda m: m[0].replace(".", "\x00").replace(",", ".").replace("\x00", ","),
                head)
            return head + dot + typed
    return note


@pass_context
def _template_note(context: Any, note: str | None) -> str:
    return note_text(note, request_language(context.get("request")))


_PLACE_KINDS_EN = {"xã": "commune", "phường": "ward"}


def place_name(name: str, lang: str) -> str:
    """A commune as shown: "xã Đồng Đăng" in Vietnamese, "Đồng Đăng commune" in English
    (the name is data and stays; the kind of unit is vocabulary)."""
    kind, _, rest = name.partition(" ")
    if lang == "en" and kind in _PLACE_KINDS_EN and rest:
        return f"{rest} {_PLACE_KINDS_EN[kind]}"
    return name


@pass_context
def _template_place(context: Any, name: str) -> str:
    return place_name(name, request_language(context.get("request")))


def milestone_name(milestone: Any, lang: str) -> str:
    """A milestone as named: its title in Vietnamese (data typed by the province); in
    English its kind (vocabulary) and target, unless it is of no set kind."""
    kind = getattr(milestone, "kind", "other")
    if lang != "en" or kind not in MILESTONE_KINDS_VI or kind == "other":
        return str(milestone.title)
    name = translate(MILESTONE_KINDS_VI[kind], lang)
    if kind == "handover_share" and getattr(milestone, "target_share", None):
        name += f": {fmt_dec(float(milestone.target_share) * 100, 0, lang)} %"
    return name


def report_wording(request: Request | None) -> Wording:
    """How a downloaded report (Excel, PDF) speaks to this request (``wording``)."""
    return wording(request_language(request))


def wording(lang: str) -> Wording:
    """How a report speaks in ``lang``: Vietnamese as written, or English words, numbers,
    communes and milestones as the pages show them."""
    if lang != "en":
        return VIETNAMESE
    return Wording(lang, tr=lambda text: translate(text, lang),
                   place=lambda name: place_name(name, lang),
                   milestone=lambda m: milestone_name(m, lang))


@pass_context
def _template_milestone(context: Any, milestone: Any) -> str:
    return milestone_name(milestone, request_language(context.get("request")))


@pass_context
def _template_switch_url(context: Any, lang: str) -> str:
    request = context.get("request")
    return switch_url(request, lang) if request is not None else f"?lang={lang}"


templates.env.globals["_"] = _template_translate
templates.env.globals["lang_url"] = _template_switch_url
templates.env.filters["vnd"] = _template_vnd
templates.env.filters["num"] = _template_number
templates.env.filters["day"] = _template_date
templates.env.filters["time"] = fmt_time
templates.env.globals["dmy"] = fmt_day
templates.env.globals["problem_text"] = _template_problem
templates.env.globals["milestone_name"] = _template_milestone
templates.env.filters["place"] = _template_place
templates.env.filters["note"] = _template_note
# A day field: text typed dd/mm/yyyy, whatever the browser's language (a native date input
# follows the browser's locale: mm/dd/yyyy in an English Chromium).
templates.env.globals["day_attrs"] = Markup(
    f'type="text" inputmode="numeric" pattern="{DAY_PATTERN}" placeholder="{DAY_PLACEHOLDER}"'
    f' title="{DAY_PLACEHOLDER}" autocomplete="off" maxlength="10" data-day')
templates.env.globals["current_language"] = _template_language
templates.env.globals["js_catalogue"] = _js_catalogue


class LanguageSwitch:
    """Remember ``?lang=`` in a cookie so the choice follows the user from page to page.

    A pure ASGI middleware (not ``BaseHTTPMiddleware``, which hides the client's
    disconnect from the routes: a long import confirm could not be cancelled)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Set the request's language for the call; add the cookie to the response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        chosen = _chosen(request)
        if chosen:
            request.state.lang = chosen
        remember = bool(chosen) and request.cookies.get(LANG_COOKIE) != chosen

        async def send_with_cookie(message: Message) -> None:
            if remember and message["type"] == "http.response.start":
                cookie = Response()
                cookie.set_cookie(LANG_COOKIE, str(chosen), max_age=365 * 24 * 3600,
                                  httponly=False, samesite="lax")
                MutableHeaders(scope=message).append("set-cookie",
                                                     cookie.headers["set-cookie"])
            await send(message)

        token = _CURRENT.set(request_language(request))
        try:
            await self.app(scope, receive, send_with_cookie)
        finally:
            _CURRENT.reset(token)


def install_language_switch(app: FastAPI) -> None:
    """Add the middleware that keeps the chosen language."""
    app.add_middleware(LanguageSwitch)
