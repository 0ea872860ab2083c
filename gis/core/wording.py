"""The language a report is written in, handed in by whoever asks for the report.

Reports are written in Vietnamese; the Vietnamese text is also the key of its English
translation, which lives with the pages (``web/locale``), not here: the web side gives a
``Wording`` with its ``tr`` (and how it names communes and milestones in that language),
and the report writers pass every piece of their own text through it. The default is
Vietnamese as written, so the CLI and any caller that asks for no language get today's
reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gis.core.formats import fill, fmt_dec, fmt_int


def _same(text: str) -> str:
    return text


def _title(milestone: Any) -> str:
    return str(milestone.title)


@dataclass(frozen=True)
class Wording:
    """How a report speaks: ``lang`` ("vi" or "en") for its numbers, ``tr`` for its own
    Vietnamese text, ``place`` for a commune's name and ``milestone`` for a milestone's."""

    lang: str = "vi"
    tr: Callable[[str], str] = field(default=_same)
    place: Callable[[str], str] = field(default=_same)
    milestone: Callable[[Any], str] = field(default=_title)

    def __call__(self, text: str, **values: object) -> str:
        """``text`` translated, its ``{name}`` placeholders filled (numbers the way the
        language writes them, so give already formatted text where the format matters)."""
        out = self.tr(text)
        return fill(out, values, self.lang) if values else out

    def whole(self, value: int | float | Decimal) -> str:
        """A whole number: 1.234 / 1,234."""
        return fmt_int(value, self.lang)

    def dec(self, value: float | Decimal, digits: int = 2) -> str:
        """A decimal: 1.234,50 / 1,234.50."""
        return fmt_dec(value, digits, self.lang)

    def billion(self, vnd: int) -> str:
        """VND in billions (tỷ đồng) with two decimals: 1.217,58 / 1,217.58."""
        return fmt_dec(vnd / 1e9, 2, self.lang)


VIETNAMESE = Wording()
"""Reports as written."""

