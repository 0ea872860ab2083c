"""How people read and type dates, times and numbers: one place for both languages.

Days are always dd/mm/yyyy (Vietnamese and English alike, whatever the browser's
language); times are Vietnam time (Asia/Ho_Chi_Minh, UTC+7) wherever they are shown;
numbers follow the language: "1.500,5" in Vietnamese, "1,500.5" in English. The API keeps
ISO dates and UTC-offset timestamps; these functions are for people only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from zoneinfo import ZoneInfo

from gis.core.errors import InvalidInput

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
"""Vietnam time, in which every time is shown and every typed time is read."""

DAY_PLACEHOLDER = "dd/mm/yyyy"
DAY_PATTERN = r"\s*(\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2})\s*"
"""The HTML ``pattern`` of a day input (dd/mm/yyyy, or ISO yyyy-mm-dd)."""
BAD_DAY_VI = "Ngày không hợp lệ, nhập theo dạng dd/mm/yyyy"
BAD_DAY_TYPED_VI = "Ngày không hợp lệ, nhập theo dạng dd/mm/yyyy (đã nhập: '{typed}')."

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
                       message_vi=BAD_DAY_TYPED_VI, params={"typed": text}, reason="bad_date",
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


class Term(str):
    """Vocabulary given as a message parameter (a step's name, a kind of document): shown
    translated when the message is (a plain ``str`` parameter — a name, a number someone
    typed — stays as it is)."""

    __slots__ = ()


class OneOf(tuple[object, ...]):
    """Several parameter values shown as alternatives: "A hoặc B" / "A or B"."""

    __slots__ = ()


class Phrase:
    """A part of a message that is itself a template with parameters ("từ {day} (chính
    quyền hai cấp)"), translated and filled like the message around it."""

    __slots__ = ("params", "template")

    def __init__(self, template: str, **params: object) -> None:
        self.template, self.params = template, params

    def __str__(self) -> str:
        return fill(self.template, self.params)


_OR = Term(" hoặc ")


def _term(value: str, terms: Mapping[str, str]) -> str:
    """A word in ``terms``; one found only with a capital (a label in a list, a title) is
    given in lower case, as inside a sentence."""
    if value in terms:
        return terms[value]
    titled = terms.get(value[:1].upper() + value[1:])
    return titled[:1].lower() + titled[1:] if titled else value


class _Shown:
    """A message parameter that formats itself in a language: ``{area:.1f}`` gives
    "1.500,5" in Vietnamese and "1,500.5" in English; trailing zero decimals are dropped
    ("1.500", "53,3"); whole numbers are grouped; a day is dd/mm/yyyy; a ``Term`` is
    looked up in ``terms`` (the English catalogue, in English)."""

    def __init__(self, value: object, lang: str,
                 terms: Mapping[str, str] | None = None) -> None:
        self.value, self.lang, self.terms = value, lang, terms

    def __format__(self, spec: str) -> str:
        value = self.value
        if isinstance(value, Term):  # "{label:cap}": with a capital, starting a sentence
            text = _term(value, self.terms) if self.terms else str(value)
            return text[:1].upper() + text[1:] if spec == "cap" else format(text, spec)
        if isinstance(value, Phrase):
            template = self.terms.get(value.template, value.template) if self.terms else (
                value.template)
            return format(fill(template, value.params, self.lang, self.terms), spec)
        if isinstance(value, OneOf):
            joiner = str(_Shown(_OR, self.lang, self.terms))
            return joiner.join(format(_Shown(v, self.lang, self.terms), spec) for v in value)
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            return fmt_day(value) if isinstance(value, dt.date) else format(value, spec)
        text = format(value, "," + spec) if spec.endswith("f") else f"{value:,}"
        if "." in text and spec.endswith("f"):
            text = text.rstrip("0").rstrip(".")
        return text if self.lang == "en" else (
            text.replace(",", "\x00").replace(".", ",").replace("\x00", "."))

    def __str__(self) -> str:
        return format(self, "")


def fill(template: str, params: Mapping[str, object], lang: str = "vi",
         terms: Mapping[str, str] | None = None) -> str:
    """``template`` with its ``{name}`` / ``{name:.1f}`` placeholders filled from
    ``params``, numbers written the way ``lang`` writes them (``Term`` values translated
    through ``terms``)."""
    return template.format(**{k: _Shown(v, lang, terms) for k, v in params.items()})
