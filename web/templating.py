"""The Jinja2 environment of the pages, with the number filters Vietnamese readers expect."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

WEB_DIR = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=WEB_DIR / "templates")


def vnd(value: int) -> str:
    """1234567 -> "1.234.567" (dots group thousands)."""
    return f"{value:,}".replace(",", ".")


def number(value: float, digits: int = 2) -> str:
    """1234.5 -> "1.234,50" (comma decimals)."""
    text = f"{value:,.{digits}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


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


templates.env.filters["vnd"] = vnd
templates.env.filters["compact_vnd"] = compact_vnd
templates.env.filters["num"] = number
