"""How people read and type dates, times and numbers: one place for both languages.

Days are always dd/mm/yyyy (Vietnamese and English alike, whatever the browser's
language); times are Vietnam time (Asia/Ho_Chi_Minh, UTC+7) wherever they are shown;
numbers follow the language: "1.500,5" in Vietnamese, "1,500.5" in English. The API keeps
ISO dates and UTC-offset timestamps; these functions are for people only.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

from gis.core.errors import InvalidInput

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
"""Vietnam time, in which every time is shown and every typed time is read."""

DAY_PLACEHOLDER = "dd/mm/yyyy"
DAY_PATTERN = r"\s*(\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2})\s*"
"""The HTML ``pattern`` of a day input (dd/mm/yyyy, or ISO yyyy-mm-dd)."""
BAD_DAY_VI = "Ngày không hợp lệ, nhập theo dạng dd/mm/yyyy"

_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_day(raw: str, field: str = "date") -> dt.date:
    """A day typed by a person: dd/mm/yyyy (also d/m/yyyy, dd.mm.yyyy) or ISO yyyy-mm-dd.

    Raises ``InvalidInput`` (reason ``bad_date``, naming ``field``) otherwise, or when the
    day does not exist (31/02/2025)."""
    text = raw.strip()
    found = _DMY.match(text)
    iso = None if found else _ISO.match(text)
    try:
        if found:
            return dt.date(int(found[3]), int(found[2]), int(found[1]))
        if iso:
            return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
    except ValueError:
        pass
    raise InvalidInput(f"{field}: {raw!r} is not a day (dd/mm/yyyy)",
                       message_vi=f"{BAD_DAY_VI} (đã nhập: '{text}').", reason="bad_date",
                       field=field)


def fmt_day(value: dt.date | dt.datetime | str | None) -> str:
    """05/03/2025 (an ISO string is read first; a datetime is taken in Vietnam time)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = (dt.datetime.fromisoformat(value) if len(value) > 10
                 else dt.date.fromisoformat(value))
    if isinstance(value, dt.datetime):
        value = local_time(value).date()
    return value.strftime("%d/%m/%Y")


def local_time(at: dt.datetime) -> dt.datetime:
    """``at`` in Vietnam time; a naive datetime is taken to be Vietnam time already."""
    return at.replace(tzinfo=LOCAL_TZ) if at.tzinfo is None else at.astimezone(LOCAL_TZ)


def fmt_time(value: dt.datetime | str | None) -> str:
    """A moment as "05/03/2025 14:30", in Vietnam time (an ISO string is read first; one
    without an offset is taken to be UTC, as stored by the upload manifests)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
    return local_time(value).strftime("%d/%m/%Y %H:%M")


def fmt_int(value: int | float | Decimal, lang: str = "vi") -> str:
    """Whole numbers: "1.234.567" in Vietnamese, "1,234,567" in English."""
    text = f"{round(value):,}"
    return text if lang == "en" else text.replace(",", ".")


def fmt_dec(value: float | Decimal, digits: int = 2, lang: str = "vi") -> str:
    """Decimals: "1.234,50" in Vietnamese, "1,234.50" in English."""
    text = f"{float(value):,.{digits}f}"
    if lang == "en":
        return text
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


class _Shown:
    """A message parameter that formats itself in a language: ``{area:.1f}`` gives
    "1.500,5" in Vietnamese and "1,500.5" in English; trailing zero decimals are dropped
    ("1.500", "53,3"); whole numbers are grouped."""

    def __init__(self, value: object, lang: str) -> None:
        self.value, self.lang = value, lang

    def __format__(self, spec: str) -> str:
        value = self.value
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            return fmt_day(value) if isinstance(value, dt.date) else format(value, spec)
        text = format(value, "," + spec) if spec.endswith("f") else f"{value:,}"
        if "." in text and spec.endswith("f"):
            text = text.rstrip("0").rstrip(".")
        return text if self.lang == "en" else (
            text.replace(",", "\x00").replace(".", ",").replace("\x00", "."))

    def __str__(self) -> str:
        return format(self, "")


def fill(template: str, params: dict[str, object], lang: str = "vi") -> str:
    """``template`` with its ``{name}`` / ``{name:.1f}`` placeholders filled from
    ``params``, numbers written the way ``lang`` writes them."""
    return template.format(**{k: _Shown(v, lang) for k, v in params.items()})
