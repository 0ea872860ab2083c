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


templates.env.filters["vnd"] = vnd
templates.env.filters["num"] = number
