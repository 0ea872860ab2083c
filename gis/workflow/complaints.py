"""The complaint register's rules, pure: which act a complaint answers, its time limit
counted from the day the complainant received the decision, and the late flag.

A complaint never blocks the procedure and is never refused for being late: the register
records every complaint received, the late ones flagged with how many days late, as the
inspection counts them (Luật Khiếu nại 2011, Art. 9 and 33).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from gis.core.domain import CaseStep, EventKind
from gis.core.formats import Term
from gis.core.text import fmt_date
from gis.workflow.facts import ACTION_LABELS_VI, NEEDS_DOCUMENT, CaseFacts, refuse
from gis.workflow.rules import RuleBook, RuleKey

K = EventKind


class ComplaintOutcome(StrEnum):
    """How a complaint ended (kết quả giải quyết)."""

    UPHELD = "upheld"  # khiếu nại đúng
    PARTLY_UPHELD = "partly_upheld"  # đúng một phần
    REJECTED = "rejected"  # khiếu nại sai
    WITHDRAWN = "withdrawn"  # rút đơn
    NOT_ACCEPTED = "not_accepted"  # không thụ lý (e.g. out of time)


OUTCOME_LABELS_VI = {
    ComplaintOutcome.UPHELD: "Khiếu nại đúng",
    ComplaintOutcome.PARTLY_UPHELD: "Khiếu nại đúng một phần",
    ComplaintOutcome.REJECTED: "Khiếu nại sai",
    ComplaintOutcome.WITHDRAWN: "Rút đơn khiếu nại",
    ComplaintOutcome.NOT_ACCEPTED: "Không thụ lý",
}

_SIDE_DECISIONS = {K.COMPULSORY_INVENTORY: "quyết định kiểm đếm bắt buộc",
                   K.ENFORCEMENT_DECIDED: "quyết định cưỡng chế",
                   K.NOTICE_RENEWED: "thông báo thu hồi đất (thông báo lại)"}


@dataclass(frozen=True)
class ComplaintEntry:
    """What the register records for a complaint received."""

    round: int
    against: str
    decision_received_on: dt.date
    due_on: dt.date
    late_days: int
    rule_version: str


def assess_complaint(facts: CaseFacts, filed_on: dt.date, *, received_decision_on: dt.date
                     | None, against: str | None, remote_area: bool,
                     rules: RuleBook) -> ComplaintEntry:
    """The register entry of a complaint received on ``filed_on``: first complaint within
    90 days of receiving the latest decision before it, second within 30 (45 in remote
    areas) of the first resolution; late ones are flagged, not refused."""
    if facts.step == CaseStep.NOT_STARTED:
        raise refuse("nothing to complain about yet", "Hồ sơ chưa có văn bản nào để khiếu nại.",
                     "wrong_step", current_step=facts.step.value)
    decisions = [(r.legal_date, ACTION_LABELS_VI[r.action]) for r in facts.history
                 if r.action in NEEDS_DOCUMENT]
    decisions += [(r.legal_date, _SIDE_DECISIONS[r.kind]) for r in facts.side
                  if r.kind in _SIDE_DECISIONS]
    decisions = sorted(d for d in decisions if d[0] <= filed_on)
    resolutions = sorted(r.legal_date for r in facts.side
                         if r.kind == K.COMPLAINT_RESOLVED and r.legal_date <= filed_on)
    if resolutions and (not decisions or resolutions[-1] >= decisions[-1][0]):
        start, label, rnd = resolutions[-1], "quyết định giải quyết khiếu nại lần đầu", 2
        key = RuleKey.COMPLAINT_SECOND_REMOTE if remote_area else RuleKey.COMPLAINT_SECOND
    elif decisions:
        (start, label), rnd, key = decisions[-1], 1, RuleKey.COMPLAINT_FIRST
    else:
        raise refuse("no decision before the complaint", "Không có văn bản nào của hồ sơ trước "
                     "ngày nhận đơn khiếu nại ({day}).", "before_previous_step",
                     {"day": filed_on}, field="occurred_on")
    received = received_decision_on or start
    if not start <= received <= filed_on:
        raise refuse(f"decision received {received} outside {start}..{filed_on}",
                     "Ngày nhận được {label} ({received}) phải từ ngày ban hành "
                     "({start}) đến ngày nhận đơn ({filed}).", "bad_received_date",
                     {"label": Term(label), "received": received, "start": start,
                      "filed": filed_on}, field="decision_received_on")
    rule_set = rules.for_date(filed_on)
    due = rule_set.limit(key).due(received)
    return ComplaintEntry(rnd, against or f"{label} ngày {fmt_date(start)}", received, due,
                          max(0, (filed_on - due).days), rule_set.version)


def complaint_to_resolve(facts: CaseFacts, complaint_id: int | None,
                         resolved_on: dt.date) -> int | None:
    """The register entry a resolution answers (the oldest open one unless named); None
    for a complaint recorded before the register existed."""
    open_ = facts.open_complaints()
    if not open_:
        if facts.complaint_open and complaint_id is None:
            return None
        raise refuse("no open complaint", "Hồ sơ không có khiếu nại đang chờ giải quyết.",
                     "no_open_complaint")
    chosen = open_[0] if complaint_id is None else next(
        (c for c in open_ if c.id == complaint_id), None)
    if chosen is None:
        raise refuse(f"complaint {complaint_id} not open", "Khiếu nại số {complaint} không "
                     "thuộc hồ sơ này hoặc đã có kết quả.", "no_open_complaint",
                     {"complaint": str(complaint_id)}, field="complaint_id")
    if resolved_on < chosen.received_on:
        raise refuse("resolution before the complaint", "Ngày giải quyết "
                     "({day}) không được trước ngày nhận đơn khiếu nại ({received}).",
                     "before_previous_step", {"day": resolved_on, "received": chosen.received_on},
                     field="occurred_on", previous_date=chosen.received_on.isoformat())
    return chosen.id
