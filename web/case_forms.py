"""What the case page's forms need besides the workflow: reading the posted values and
turning a domain error into a message next to the field it names.

The checks before a post is read (role, size, the CSRF token of the ``gpmb_csrf`` cookie
echoed in the form's ``csrf_token`` field) are ``web.page_posts``'s, on the API's CSRF
check (``api.deps``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Query, Request
from starlette.datastructures import UploadFile

from gis.core.calendar import LOCAL_TZ
from gis.core.errors import GpmbError, InvalidInput
from gis.core.formats import parse_day
from gis.workflow.paperwork import DocKind, DocumentRef
from web.i18n import error_text

DOCUMENT_ROWS = 3
"""Supporting-document rows on a step or side-event form (doc_kind_N, doc_no_N…)."""

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
_GROUPED = re.compile(r"^\d{1,3}(?:[. ]\d{3})+$")


@dataclass
class Posted:
    """A submitted form: its text values (kept to be shown again) and an uploaded file."""

    values: dict[str, str]
    filename: str | None = None
    data: bytes | None = None
    too_large: bool = False


@dataclass
class FormErrors:
    """Why a form was refused: messages by field, and one for the form as a whole."""

    form: str
    fields: dict[str, str] = field(default_factory=dict)
    message: str | None = None
    status: int = 422
    stale: tuple[object, object] | None = None
    """(current, expected) version when the case changed while the form was filled in."""


async def read_form(request: Request, file_field: str = "document") -> Posted:
    """The posted values (text fields stripped of nothing: shown back as typed)."""
    form = await request.form()
    values: dict[str, str] = {}
    posted = Posted(values)
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key == file_field and value.filename:
                data = await value.read(MAX_UPLOAD_BYTES + 1)
                if data:
                    posted.filename, posted.data = value.filename, data
                    posted.too_large = len(data) > MAX_UPLOAD_BYTES
        else:
            values[key] = value
    return posted


def _bad(name: str, message: str, **params: object) -> InvalidInput:
    return InvalidInput(f"{name}: {message}", message_vi=message, params=params,
                        reason="bad_form_value", field=name)


def text_value(values: dict[str, str], name: str) -> str | None:
    """A text field, None when left empty."""
    value = values.get(name, "").strip()
    return value or None


def date_value(values: dict[str, str], name: str, *, required: bool = False
               ) -> dt.date | None:
    """A date typed as dd/mm/yyyy (or ISO yyyy-mm-dd), read by ``gis.core.formats.parse_day``."""
    raw = values.get(name, "").strip()
    if not raw:
        if required:
            raise _bad(name, "Cần nhập ngày.")
        return None
    return parse_day(raw, name)


def _as_of(as_of: Annotated[str | None, Query(
        max_length=40, description="Ngày tính số liệu (dd/mm/yyyy hoặc YYYY-MM-DD)")] = None
            ) -> dt.date | None:
    return parse_day(as_of, "as_of") if as_of and as_of.strip() else None


AsOf = Annotated[dt.date | None, Depends(_as_of)]
"""The day a page's figures are computed for (``?as_of=``, typed dd/mm/yyyy or ISO);
None: today."""


def required_date(values: dict[str, str], name: str) -> dt.date:
    """A date that must be given."""
    day = date_value(values, name, required=True)
    assert day is not None
    return day


def datetime_value(values: dict[str, str], name: str) -> dt.datetime | None:
    """A local date and time (``datetime-local``), in Vietnam time."""
    raw = values.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.datetime.fromisoformat(raw).replace(tzinfo=LOCAL_TZ)
    except ValueError:
        raise _bad(name, "Thời điểm '{raw}' không hợp lệ.", raw=raw) from None


def vnd_value(values: dict[str, str], name: str) -> int:
    """A whole number of đồng: "15000000", "15.000.000" or "15 000 000"."""
    raw = values.get(name, "").strip().removesuffix("đ").strip()
    if not raw:
        raise _bad(name, "Cần nhập số tiền.")
    if raw.isdigit():
        return int(raw)
    if _GROUPED.match(raw):
        return int(raw.replace(".", "").replace(" ", ""))
    raise _bad(name, "Số tiền '{raw}' không hợp lệ: nhập số nguyên đồng, ví dụ 15.000.000.",
               raw=raw)


def int_value(values: dict[str, str], name: str, message: str) -> int:
    """A positive whole number (an id or a version)."""
    raw = values.get(name, "").strip()
    if not raw.isdigit() or not 0 < int(raw) < 2**63:
        raise _bad(name, message)
    return int(raw)


def documents_value(values: dict[str, str]) -> list[DocumentRef]:
    """The supporting documents typed in the form's rows (empty rows are skipped)."""
    out: list[DocumentRef] = []
    for n in range(1, DOCUMENT_ROWS + 1):
        kind, number = text_value(values, f"doc_kind_{n}"), text_value(values, f"doc_no_{n}")
        day = date_value(values, f"doc_date_{n}")
        if kind is None and number is None and day is None:
            continue
        if kind is None or number is None or day is None or kind not in set(DocKind):
            raise _bad("documents", "Văn bản kèm theo dòng {n}: cần chọn loại văn bản và nhập "
                       "số, ngày.", n=str(n))
        out.append(DocumentRef(DocKind(kind), number, day,
                               text_value(values, f"doc_signed_{n}")))
    return out


def form_errors(form: str, exc: GpmbError, known: frozenset[str]) -> FormErrors:
    """A domain error as the page shows it: next to its field when the form has that field,
    else above the form."""
    name = exc.extra.get("field")
    out = FormErrors(form)
    if isinstance(name, str) and name in known:
        out.fields[name] = error_text(exc)
    else:
        out.message = error_text(exc)
    return out
