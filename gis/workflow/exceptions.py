"""Recorded grounds for an early recovery decision, as pure checks.

* Land Law 2024, Art. 85(2): the land users agree to the recovery before the notice period
  ends — the decision need not wait for it (proof: their written consent).
* Resolution 254/2025/QH15, Art. 3.3 (from 2026-01-01): (a) recovery once the plan is
  posted but before it is approved, for national important projects, urgent public
  investment projects, and other projects where more than 75 % of the land users agree;
  (b) recovery before resettlement is arranged, for urgent public investment projects,
  projects resettling on site, and projects resettling along the main construction route.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from gis.core.domain import CaseStep
from gis.core.errors import InvalidInput
from gis.core.formats import Phrase, Term
from gis.workflow.facts import CaseFacts, ExceptionKind, StepAction, refuse

RES254_FROM = dt.date(2026, 1, 1)
E = TypeVar("E", bound=StrEnum)
CONSENT_THRESHOLD = Decimal(75)
"""Resolution 254 Art. 3.3(a): more than 75 % of the land users."""


class ProjectKind(StrEnum):
    """What kind of project the recovery serves, for Resolution 254 Art. 3.3."""

    NATIONAL_IMPORTANT = "national_important"  # dự án quan trọng quốc gia
    URGENT_PUBLIC_INVESTMENT = "urgent_public_investment"  # đầu tư công khẩn cấp
    ONSITE_RESETTLEMENT = "onsite_resettlement"  # tái định cư tại chỗ
    MAIN_ROUTE_RESETTLEMENT = "main_route_resettlement"  # tái định cư theo tuyến chính
    OTHER = "other"


PROJECT_KIND_LABELS_VI = {
    ProjectKind.NATIONAL_IMPORTANT: "Dự án quan trọng quốc gia",
    ProjectKind.URGENT_PUBLIC_INVESTMENT: "Dự án đầu tư công khẩn cấp",
    ProjectKind.ONSITE_RESETTLEMENT: "Dự án bố trí tái định cư tại chỗ",
    ProjectKind.MAIN_ROUTE_RESETTLEMENT: "Dự án tái định cư theo tuyến công trình chính",
    ProjectKind.OTHER: "Dự án khác",
}

EXCEPTION_LABELS_VI = {
    ExceptionKind.EARLY_CONSENT: "Người sử dụng đất đồng ý thu hồi trước thời hạn thông báo "
    "(Luật Đất đai 2024, Điều 85 khoản 2)",
    ExceptionKind.BEFORE_PLAN_APPROVAL: "Thu hồi đất khi phương án đã niêm yết nhưng chưa phê "
    "duyệt (Nghị quyết 254/2025/QH15, Điều 3 khoản 3 điểm a)",
    ExceptionKind.BEFORE_RESETTLEMENT: "Thu hồi đất trước khi hoàn thành bố trí tái định cư "
    "(Nghị quyết 254/2025/QH15, Điều 3 khoản 3 điểm b)",
}

_BEFORE_APPROVAL_KINDS = frozenset({ProjectKind.NATIONAL_IMPORTANT,
                                    ProjectKind.URGENT_PUBLIC_INVESTMENT})
_BEFORE_RESETTLEMENT_KINDS = frozenset({ProjectKind.URGENT_PUBLIC_INVESTMENT,
                                        ProjectKind.ONSITE_RESETTLEMENT,
                                        ProjectKind.MAIN_ROUTE_RESETTLEMENT})


def _choice(cls: type[E], value: str | None, field: str, what_vi: str) -> E:
    try:
        return cls(str(value))
    except ValueError:
        allowed = ", ".join(k.value for k in cls)
        raise InvalidInput(f"{field} {value!r}", message_vi="Cần chọn {what}: {allowed}.",
                           params={"what": Term(what_vi), "allowed": allowed},
                           reason="unknown_value", field=field) from None


def _pct(value: Decimal | float | str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        pct = Decimal(str(value))
    except InvalidOperation:
        pct = Decimal(-1)
    if not Decimal(0) <= pct <= Decimal(100):
        raise InvalidInput(f"consent_pct {value!r}", message_vi="Tỷ lệ đồng ý phải từ 0 đến "
                           "100 (%).", reason="bad_percentage", field="consent_pct")
    return pct


def check_exception(facts: CaseFacts, kind_value: str | None, project_value: str | None,
                    consent: Decimal | float | str | None, day: dt.date) -> ExceptionKind:
    """Refuse an exception whose conditions are not met on ``day``; returns its kind."""
    kind = _choice(ExceptionKind, kind_value, "exception_kind", "loại trường hợp")
    if facts.step == CaseStep.NOT_STARTED or facts.record(StepAction.DECISION) is not None:
        raise refuse("exception only between the notice and the decision", "Chỉ ghi nhận "
                     "trường hợp ngoại lệ khi đã thông báo thu hồi và chưa có quyết định thu "
                     "hồi đất.", "wrong_step", current_step=facts.step.value)
    if kind == ExceptionKind.EARLY_CONSENT:
        return kind
    if day < RES254_FROM:
        raise refuse(f"{kind} before {RES254_FROM}", "Trường hợp này theo Nghị quyết "
                     "254/2025/QH15 chỉ áp dụng từ {since} (ngày văn bản: {day}).",
                     "exception_not_in_force", {"since": RES254_FROM, "day": day},
                     field="decision_date")
    project = _choice(ProjectKind, project_value, "project_kind",
                      "loại dự án theo Nghị quyết 254/2025/QH15")
    pct = _pct(consent)
    if kind == ExceptionKind.BEFORE_PLAN_APPROVAL:
        if facts.step != CaseStep.PLAN_POSTED:
            raise refuse("plan must be posted, not yet approved", "Trường hợp thu hồi trước "
                         "khi phê duyệt phương án chỉ áp dụng khi phương án đã niêm yết công "
                         "khai và chưa phê duyệt.", "wrong_step", current_step=facts.step.value)
        if project not in _BEFORE_APPROVAL_KINDS and (pct is None or pct <= CONSENT_THRESHOLD):
            shown = Term("chưa nhập") if pct is None else Phrase("{pct} %", pct=pct)
            raise refuse(f"consent {pct} not above 75 %", "Dự án không thuộc diện quan trọng "
                         "quốc gia hoặc đầu tư công khẩn cấp: cần trên 75 % người sử dụng đất "
                         "đồng ý (tỷ lệ: {shown}; Nghị quyết 254/2025/QH15, Điều 3 khoản 3).",
                         "consent_too_low", {"shown": shown}, field="consent_pct")
    elif kind == ExceptionKind.BEFORE_RESETTLEMENT:
        if not facts.resettlement_needed:
            raise refuse("no resettlement needed", "Hồ sơ này không thuộc diện bố trí tái định "
                         "cư.", "no_resettlement_needed")
        if project not in _BEFORE_RESETTLEMENT_KINDS:
            raise refuse(f"{project} may not recover before resettlement", "Chỉ dự án đầu tư "
                         "công khẩn cấp, dự án tái định cư tại chỗ hoặc tái định cư theo tuyến "
                         "công trình chính được thu hồi đất trước khi bố trí tái định cư "
                         "(Nghị quyết 254/2025/QH15, Điều 3 khoản 3).",
                         "exception_project_kind", field="project_kind")
    return kind
