"""The conditions of single moves: each step's documents, the inventory after the notice,
approval after the posting period and the consultation, the recovery decision after the
notice period (or with recorded consent), while the notice is in force, and only once
resettlement is arranged (or a recorded exception applies).

Which rule version applies: the one in force on the date of the act being checked (the
approval's, the decision's…), so a case straddling 2026-01-01 gets the limits of the law
in force when the act is done — see docs/procedure.md.
"""

from __future__ import annotations

import datetime as dt

from gis.core.domain import EventKind
from gis.workflow.facts import (
    CaseFacts,
    ExceptionKind,
    StepAction,
    needed_record,
    refuse,
)
from gis.workflow.paperwork import ONLINE_POSTING_FROM, DocKind, Requirement
from gis.workflow.rules import RuleBook, RuleKey, RuleSet

D = DocKind

STEP_DOCUMENTS: dict[StepAction, Requirement] = {
    StepAction.NOTICE: Requirement(D.NOTICE, (D.NOTICE_DELIVERY,)),
    StepAction.INVENTORY: Requirement(D.INVENTORY_MINUTES),
    StepAction.POSTING: Requirement(D.POSTING_START,
                                    extra_from=((D.EPORTAL_POSTING, ONLINE_POSTING_FROM),)),
    StepAction.APPROVAL: Requirement(D.APPROVAL_DECISION),
    StepAction.DECISION: Requirement(D.RECOVERY_DECISION),
    StepAction.PAYMENT: Requirement(D.PAYMENT_RECEIPT, signed=frozenset({D.PAYMENT_RECEIPT})),
    StepAction.HANDOVER: Requirement(D.HANDOVER_MINUTES),
}
"""The required documents of each step: the main one (number and date in the event) and
the supporting ones."""


def check_inventory(facts: CaseFacts, minutes_on: dt.date) -> None:
    """Inventory minutes dated before the recovery notice are refused (the inspection found
    41 of them)."""
    noticed = facts.notice_on()
    if noticed is not None and minutes_on < noticed:
        raise refuse(f"inventory minutes {minutes_on} before the notice {noticed}",
                     "Biên bản kiểm đếm ngày {day} lập trước thông báo thu "
                     "hồi đất ngày {noticed}: phải thông báo trước, kiểm đếm sau "
                     "(Luật Đất đai 2024, Điều 85, 87).", "inventory_before_notice",
                     {"day": minutes_on, "noticed": noticed}, field="decision_date",
                     notice_date=noticed.isoformat())


def check_approval(facts: CaseFacts, approved_on: dt.date, rules: RuleBook) -> RuleSet:
    """The plan is approved after its posting period and after the consultation."""
    posting = needed_record(facts, StepAction.POSTING)
    rule_set = rules.for_date(approved_on)
    limit = rule_set.limit(RuleKey.PLAN_POSTING)
    short = (limit.due(posting.occurred_on) - approved_on).days
    if short > 0:
        raise refuse(
            f"plan posted {posting.occurred_on}, approval {approved_on}: {short} days short",
            "Phương án phải được niêm yết ít nhất {limit} trước khi phê duyệt — niêm "
            "yết ngày {posted}, còn thiếu {short} ngày ({reference}).",
            "posting_period_too_short", {"limit": limit.phrase, "posted": posting.occurred_on,
                                         "short": short, "reference": limit.legal_reference},
            field="decision_date",
            missing_days=short, rule_version=rule_set.version)
    consultation = facts.last_side(EventKind.CONSULTATION)
    if consultation is None or consultation.legal_date < posting.occurred_on:
        raise refuse("no consultation after the posting", "Chưa thể phê duyệt phương án: chưa "
                     "ghi nhận họp lấy ý kiến / đối thoại sau khi hết thời gian niêm yết "
                     "(Luật Đất đai 2024, Điều 87).", "consultation_missing",
                     field="decision_date")
    if approved_on < consultation.legal_date:
        raise refuse(f"approval {approved_on} before consultation {consultation.legal_date}",
                     "Ngày phê duyệt ({day}) không được trước ngày họp lấy "
                     "ý kiến ({consulted}).", "before_consultation",
                     {"day": approved_on, "consulted": consultation.legal_date},
                     field="decision_date",
                     previous_date=consultation.legal_date.isoformat())
    return rule_set


def check_decision(facts: CaseFacts, decided_on: dt.date, rules: RuleBook) -> RuleSet:
    """Notice period (waived by recorded consent), notice validity, resettlement."""
    notice = needed_record(facts, StepAction.NOTICE)
    rule_set = rules.for_date(decided_on)
    first_on = notice.legal_date
    minimum = rule_set.limit(RuleKey.NOTICE_MIN, facts.land_group)
    short = (minimum.due(first_on) - decided_on).days
    if short > 0 and facts.exception(ExceptionKind.EARLY_CONSENT, decided_on) is None:
        raise refuse(
            f"decision {decided_on} only {(decided_on - first_on).days} days after notice",
            "Quyết định thu hồi phải sau thông báo ít nhất {limit} — thông báo ngày "
            "{noticed}, còn thiếu {short} ngày ({reference}). Nếu "
            "người sử dụng đất đồng ý thu hồi trước thời hạn, hãy ghi nhận văn bản đồng ý "
            "(Điều 85 khoản 2).", "notice_period_too_short",
            {"limit": minimum.phrase, "noticed": first_on, "short": short,
             "reference": minimum.legal_reference}, field="decision_date",
            missing_days=short, rule_version=rule_set.version)
    noticed_on = facts.notice_on() or first_on
    validity = rule_set.limit(RuleKey.NOTICE_VALIDITY)
    expired_on = validity.due(noticed_on)
    if decided_on > expired_on:
        raise refuse(
            f"notice of {noticed_on} lapsed on {expired_on}",
            "Thông báo thu hồi đất ngày {noticed} đã hết hiệu lực "
            "{limit} từ ngày {expired}; hãy ghi nhận thông báo thu "
            "hồi mới (thông báo lại) trước khi quyết định thu hồi ({reference}).",
            "notice_expired", {"noticed": noticed_on, "limit": validity.phrase,
                               "expired": expired_on, "reference": validity.legal_reference},
            field="decision_date", expired_on=expired_on.isoformat(),
            rule_version=rule_set.version)
    ready = facts.resettlement_ready_on
    if facts.resettlement_needed and (ready is None or ready > decided_on) and (
            facts.exception(ExceptionKind.BEFORE_RESETTLEMENT, decided_on) is None):
        raise refuse(
            "resettlement not arranged", "Chưa thể quyết định thu hồi đất: hộ thuộc diện tái "
            "định cư nhưng chưa được bố trí tái định cư (giao lô) trước ngày quyết định "
            "({day}), và không có trường hợp ngoại lệ được ghi nhận "
            "(Luật Đất đai 2024, Điều 91; Nghị quyết 254/2025/QH15, Điều 3 khoản 3).",
            "resettlement_not_arranged", {"day": decided_on}, field="decision_date")
    return rule_set


def notice_lapsed_on(facts: CaseFacts, day: dt.date, rules: RuleBook) -> dt.date | None:
    """The day the notice in force lapsed, if it had lapsed by ``day``."""
    noticed = facts.notice_on()
    if noticed is None:
        return None
    expired = rules.for_date(day).limit(RuleKey.NOTICE_VALIDITY).due(noticed)
    return expired if day > expired else None
