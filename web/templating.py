"""The Jinja2 environment of the pages, with the number filters Vietnamese readers expect
(``web.i18n`` replaces them with ones that follow the page's language)."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from gis.access.scope import OFFICE_ROLES
from gis.core.formats import fmt_dec, fmt_int

WEB_DIR = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=WEB_DIR / "templates")


def compact_vnd(value: int) -> tuple[float, str]:
    """A card's figure, to a tenth, and its unit: 1_234_500_000_000 -> (1234.5, "tỷ"),
    12_340_000 -> (12.3, "tr"), 950_000 -> (950000, ""); rounded half up in integers, and
    999_960_000 is "1,0 tỷ", not "1.000,0 tr"."""
    sign, amount = (-1 if value < 0 else 1), abs(int(value))
    tr = (amount * 10 + 500_000) // 10**6
    if tr >= 10_000:
        return sign * ((amount * 10 + 500_000_000) // 10**9) / 10, "tỷ"
    if amount >= 10**6:
        return sign * tr / 10, "tr"
    return float(value), ""


templates.env.filters["vnd"] = fmt_int
templates.env.filters["num"] = fmt_dec
templates.env.filters["compact_vnd"] = compact_vnd
templates.env.globals["office_roles"] = OFFICE_ROLES  # staff and admin (gis.access.scope)
