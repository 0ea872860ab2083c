"""The Jinja2 environment of the pages, with the number filters Vietnamese readers expect
(``web.i18n`` replaces them with ones that follow the page's language)."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from gis.formats import fmt_dec, fmt_int

WEB_DIR = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=WEB_DIR / "templates")
templates.env.filters["vnd"] = fmt_int
templates.env.filters["num"] = fmt_dec
