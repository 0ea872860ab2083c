"""Small checks shared by the committee's writers; each refusal names its field and reason
(``refuse`` and the date check are the disbursement rules', reused)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.capital.disbursement import check_past, refuse
from gis.core.errors import Conflict
from gis.core.formats import Phrase, Term
from gis.core.text import DECISION_NO, clean_text
from gis.models import CommitteeMember, CommitteeUnit

E = TypeVar("E", bound=StrEnum)


def choice(cls: type[E], value: object, field: str, label_vi: str) -> E:
    """``value`` as a member of ``cls``, or a refusal listing the choices."""
    try:
        return cls(str(value))
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise refuse(f"{field} {value!r} not one of {allowed}", "{label:cap} '{value}' không "
                     "hợp lệ; chọn một trong: {allowed}.", "bad_choice",
                     {"label": Term(label_vi), "value": str(value), "allowed": allowed},
                     field=field) from None


def document_no(value: str | None, field: str, label_vi: str, *, required: bool) -> str | None:
    """A document number such as ``15/QĐ-UBND`` or ``120/TB-UBND``."""
    raw = clean_text(value, field=field, label_vi=label_vi)
    if raw is None:
        if required:
            raise refuse(f"{field} required", "Cần ghi {label}, ví dụ 15/QĐ-UBND.",
                         "required", {"label": Term(label_vi.lower())}, field=field)
        return None
    normal = raw.replace(" ", "").upper()
    if not DECISION_NO.match(normal):
        raise refuse(f"bad document number {value!r}", "{label:cap} '{value}' không đúng dạng "
                     "'số/ký hiệu', ví dụ 15/QĐ-UBND hoặc 120/TB-UBND.", "bad_document_no",
                     {"label": Term(label_vi), "value": str(value)}, field=field)
    return normal


def not_future(day: dt.date, today: dt.date, field: str, label_vi: str) -> dt.date:
    """Refuse a date after today (the disbursement rule, reused)."""
    return check_past(day, today, field, label_vi)


def required_text(value: str | None, field: str, label_vi: str) -> str:
    """Non-empty free text."""
    cleaned = clean_text(value, field=field, label_vi=label_vi)
    if cleaned is None:
        raise refuse(f"{field} required", "Cần nhập {label}.", "required",
                     {"label": Term(label_vi.lower())}, field=field)
    return cleaned


def year_of(value: object) -> int:
    """A plan year 2000–2100."""
    if isinstance(value, bool) or not isinstance(value, int) or not 2000 <= value <= 2100:
        raise refuse(f"year {value!r} out of range", "Năm '{year}' không hợp lệ (từ 2000 đến "
                     "2100).", "year_out_of_range", {"year": str(value)}, field="year")
    return value


def unit_exists(session: Session, unit_id: int | None, field: str = "unit_id") -> None:
    """Refuse an unknown unit."""
    if unit_id is not None and session.get(CommitteeUnit, unit_id) is None:
        raise refuse(f"unit {unit_id} not found", "Không có đơn vị số {unit}.",
                     "unknown_unit", {"unit": str(unit_id)}, field=field)


def member_exists(session: Session, member_id: int | None, field: str = "member_id") -> None:
    """Refuse an unknown member."""
    if member_id is not None and session.get(CommitteeMember, member_id) is None:
        raise refuse(f"member {member_id} not found", "Không có thành viên Ban Chỉ đạo số "
                     "{member}.", "unknown_member", {"member": str(member_id)}, field=field)


def communes_exist(session: Session, codes: list[str]) -> list[str]:
    """Commune codes, each known, without repeats, in order."""
    wanted = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    known = set(session.execute(text("SELECT code FROM communes WHERE code = ANY(:c)"),
                                {"c": wanted}).scalars())
    missing = [c for c in wanted if c not in known]
    if missing:
        raise refuse(f"unknown communes {missing}", "Không có xã/phường mã {codes}.",
                     "unknown_commune", {"codes": ", ".join(missing)}, field="communes")
    return wanted


def stale(kind_vi: str | Phrase, current: int, expected: int) -> Conflict:
    """Someone recorded a newer revision than the one the user started from."""
    return Conflict(f"stale revision {expected}, current {current}", message_vi="{what} vừa "
                    "được người khác cập nhật (lần {current}, bạn đang sửa từ lần {expected}); "
                    "vui lòng tải lại.",
                    params={"what": kind_vi if isinstance(kind_vi, Phrase) else Term(kind_vi),
                            "current": str(current), "expected": str(expected)},
                    reason="stale_version", current_version=current,
                    expected_version=expected)
