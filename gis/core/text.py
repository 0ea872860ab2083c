"""How the workflow writes dates, money and document numbers in Vietnamese messages."""

from __future__ import annotations

import re

from gis.core.errors import InvalidInput, InvalidTransition
from gis.core.formats import Term, fmt_day, fmt_int

# "123/QĐ-UBND", "12/TB-UBND", "45/2025/QĐ-UBND", "07/BB-KĐ": a number, an optional year,
# then the document symbol (letters incl. Đ, digits, joined by '-' or '.').
DECISION_NO = re.compile(r"^[0-9]{1,6}(?:/[0-9]{4})?/[A-ZĐ0-9]+(?:[-.][A-ZĐ0-9]+)*$")

MAX_TEXT = 2000
"""Longest free text (note, reason) accepted, so a pasted document does not end up here."""


fmt_date = fmt_day
"""05/03/2025."""


def fmt_vnd(amount: int) -> str:
    """1.200.000.000 đ (dots group thousands in Vietnamese)."""
    return f"{fmt_int(amount)} đ"


def clean_text(value: str | None, *, field: str, label_vi: str) -> str | None:
    """Strip a free-text value; empty becomes None; overly long text is refused."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text", message_vi="{label:cap} phải là văn bản.",
                           params={"label": Term(label_vi)},
                           reason="not_text", field=field)
    value = " ".join(value.split())
    if len(value) > MAX_TEXT:
        raise InvalidInput(
            f"{field} longer than {MAX_TEXT} characters",
            message_vi="{label:cap} dài quá {most} ký tự.",
            params={"label": Term(label_vi), "most": MAX_TEXT},
            reason="too_long", field=field)
    return value or None


def clean_decision_no(value: str | None) -> str | None:
    """Normalise and check a document number such as ``123/QĐ-UBND``."""
    text = clean_text(value, field="decision_no", label_vi="Số văn bản")
    if text is None:
        return None
    text = text.replace(" ", "").upper()
    if not DECISION_NO.match(text):
        raise InvalidTransition(
            f"decision number {value!r} is not like 123/QĐ-UBND",
            message_vi="Số văn bản '{value}' không đúng dạng 'số/ký hiệu', "
            "ví dụ 123/QĐ-UBND hoặc 45/2025/QĐ-UBND.", params={"value": str(value)},
            reason="bad_decision_no", field="decision_no")
    return text


SHEET_PARCEL = re.compile(
    r"^\s*(?:t[ờo]\s*)?(\d{1,6})\s*(?:[/\-,.:;]|\s)\s*(?:th[ửu]a\s*)?(\d{1,7})\s*$",
    re.IGNORECASE)


def parse_sheet_parcel(query: str) -> tuple[int, int] | None:
    """(sheet no., parcel no.) when ``query`` names a parcel by its numbers, as people write
    them: "12/345", "12 345", "12-345", "tờ 12 thửa 345", "to 12 thua 345"; else None."""
    found = SHEET_PARCEL.match(query)
    return (int(found[1]), int(found[2])) if found else None
