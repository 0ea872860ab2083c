"""Versioned legal time limits of the clearance procedure.

The law changes the limits (Resolution 254/2025 shortened the notice and posting periods
from 2026-01-01), so they live in the ``rule_sets`` / ``time_limits`` tables seeded by
migration 0002, and each decision records the rule version it was checked against. A
period is governed by the rule version in force on the day the period starts (the notice
date for the notice period, the posting date for the posting period, the approval date for
the decision and payment deadlines): a later change of the law does not move a period that
is already running.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.core.errors import ConfigurationError, InvalidTransition
from gis.core.formats import Phrase, Term
from gis.core.landuse import LandGroup
from gis.models.rules import RuleSet as RuleSetRow
from gis.models.rules import TimeLimit as TimeLimitRow


class RuleKey(StrEnum):
    """The time limits the workflow knows (``time_limits.rule_key``)."""

    NOTICE_MIN = "notice_min"  # notice → recovery decision, at least
    NOTICE_VALIDITY = "notice_validity"  # a notice lapses after this
    PLAN_POSTING = "plan_posting"  # draft plan posted at least this long before approval
    PLAN_APPRAISAL = "plan_appraisal"  # appraisal and approval after the posting ends
    DECISION_AFTER_APPROVAL = "decision_after_approval"  # recovery decision, at most
    PAYMENT_AFTER_APPROVAL = "payment_after_approval"  # payment, at most
    COMPLAINT_FIRST = "complaint_first"  # first complaint, from the decision
    COMPLAINT_SECOND = "complaint_second"  # second complaint, from the first resolution
    COMPLAINT_SECOND_REMOTE = "complaint_second_remote"  # the same in remote areas
    CONSULTATION_WITHIN = "consultation_within"  # dialogue after the posting ends, at most
    INVENTORY_PERSUASION = "inventory_persuasion"  # persuasion before compulsory inventory
    HANDOVER_AFTER_COMPLIANCE = "handover_after_compliance"  # owner complied → handover


class Unit(StrEnum):
    """Unit of a time limit."""

    DAY = "day"
    MONTH = "month"


UNIT_LABELS_VI = {Unit.DAY: "ngày", Unit.MONTH: "tháng"}

CATEGORY_LABELS_VI = {
    LandGroup.AGRICULTURAL: "đất nông nghiệp",
    LandGroup.NON_AGRICULTURAL: "đất phi nông nghiệp",
}


def land_category(group: LandGroup) -> LandGroup:
    """The category a time limit is chosen by: agricultural or non-agricultural.

    The law names only these two (Land Law 2024, Art. 85). Unused land has no household
    living or farming on it, so it takes the agricultural periods.
    """
    return LandGroup.NON_AGRICULTURAL if group == LandGroup.NON_AGRICULTURAL else (
        LandGroup.AGRICULTURAL)


def add_months(start: dt.date, months: int) -> dt.date:
    """``start`` plus whole months, clamped to the month's end (as PostgreSQL does)."""
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class TimeLimit:
    """One limit: ``amount`` days or months, for a land category or (None) for all."""

    key: RuleKey
    category: LandGroup | None
    amount: int
    unit: Unit
    legal_reference: str

    def due(self, start: dt.date) -> dt.date:
        """The day the period that starts on ``start`` ends."""
        if self.unit == Unit.MONTH:
            return add_months(start, self.amount)
        return start + dt.timedelta(days=self.amount)

    @property
    def text_vi(self) -> str:
        """'90 ngày (đất nông nghiệp)' / '12 tháng'."""
        base = f"{self.amount} {UNIT_LABELS_VI[self.unit]}"
        return f"{base} ({CATEGORY_LABELS_VI[self.category]})" if self.category else base

    @property
    def phrase(self) -> Phrase:
        """``text_vi`` as a part of a message, to be shown in the reader's language."""
        if self.category is None:
            return (Phrase("{amount} tháng", amount=self.amount) if self.unit == Unit.MONTH
                    else Phrase("{amount} ngày", amount=self.amount))
        land = Term(CATEGORY_LABELS_VI[self.category])
        return (Phrase("{amount} tháng ({land})", amount=self.amount, land=land)
                if self.unit == Unit.MONTH
                else Phrase("{amount} ngày ({land})", amount=self.amount, land=land))


@dataclass(frozen=True)
class RuleSet:
    """A version of the rules, in force from ``effective_from`` until the next one."""

    version: str
    effective_from: dt.date
    title_vi: str
    limits: tuple[TimeLimit, ...]

    def __post_init__(self) -> None:
        # A canonical order, so a copy read from the database compares equal.
        object.__setattr__(self, "limits", tuple(sorted(
            self.limits, key=lambda t: (t.key, t.category or ""))))

    def find(self, key: RuleKey) -> TimeLimit | None:
        """The general limit for ``key``, or None when this version has none (a rule that
        did not exist before a law introduced it)."""
        return next((t for t in self.limits if t.key == key and t.category is None), None)

    def limit(self, key: RuleKey, group: LandGroup | None = None) -> TimeLimit:
        """The limit for ``key`` and the land category of ``group`` (or the general one)."""
        category = None if group is None else land_category(group)
        general = None
        for item in self.limits:
            if item.key == key and item.category == category:
                return item
            if item.key == key and item.category is None:
                general = item
        if general is None:
            raise ConfigurationError(
                f"rule set {self.version} has no limit {key} for {category}",
                message_vi="Bộ quy định thời hạn {version} thiếu thời hạn '{key}'.",
                params={"version": self.version, "key": str(key)},
                reason="time_limit_missing", rule_version=self.version, rule_key=str(key))
        return general


@dataclass(frozen=True)
class RuleBook:
    """All rule versions, oldest first."""

    sets: tuple[RuleSet, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "sets", tuple(sorted(self.sets, key=lambda s: s.effective_from)))

    def for_date(self, day: dt.date) -> RuleSet:
        """The version in force on ``day`` (see :func:`rule_set_for`)."""
        return rule_set_for(self, day)


def rule_set_for(book: RuleBook, day: dt.date) -> RuleSet:
    """The rule version in force on ``day``; refuses days before the first version."""
    chosen = None
    for rule_set in book.sets:
        if rule_set.effective_from <= day:
            chosen = rule_set
    if chosen is None:
        first = book.sets[0].effective_from if book.sets else None
        raise InvalidTransition(
            f"no time-limit rules in force on {day}",
            message_vi="Không có quy định thời hạn áp dụng cho ngày {day} (quy định sớm nhất "
            "có hiệu lực từ {first})." if first else "Không có quy định thời hạn áp dụng cho "
            "ngày {day}.", params={"day": day, "first": first},
            reason="no_rule_version", day=day.isoformat())
    return chosen


def load_rule_book(session: Session) -> RuleBook:
    """Read every rule version and its limits from the database (the authoritative copy)."""
    rows = session.execute(
        select(RuleSetRow, TimeLimitRow).join(
            TimeLimitRow, TimeLimitRow.rule_version == RuleSetRow.version)
    ).all()
    return book_from_rows((rs, tl) for rs, tl in rows)


def book_from_rows(rows: Iterable[tuple[RuleSetRow, TimeLimitRow]]) -> RuleBook:
    """Assemble a ``RuleBook`` from (rule set, limit) row pairs."""
    heads: dict[str, RuleSetRow] = {}
    limits: dict[str, list[TimeLimit]] = {}
    for rule_set, limit in rows:
        heads[rule_set.version] = rule_set
        limits.setdefault(rule_set.version, []).append(TimeLimit(
            RuleKey(limit.rule_key), limit.land_category, limit.amount, Unit(limit.unit),
            limit.legal_reference))
    return RuleBook(tuple(
        RuleSet(v, h.effective_from, h.title_vi, tuple(limits[v]))
        for v, h in heads.items()))


_A, _N = LandGroup.AGRICULTURAL, LandGroup.NON_AGRICULTURAL
_LL = "Luật Đất đai 2024"
_COMMON = (
    TimeLimit(RuleKey.NOTICE_VALIDITY, None, 12, Unit.MONTH, f"{_LL}, Điều 85"),
    TimeLimit(RuleKey.PLAN_APPRAISAL, None, 30, Unit.DAY,
              f"{_LL}, Điều 87; Nghị định 88/2024/NĐ-CP"),
    TimeLimit(RuleKey.DECISION_AFTER_APPROVAL, None, 10, Unit.DAY, f"{_LL}, Điều 87"),
    TimeLimit(RuleKey.PAYMENT_AFTER_APPROVAL, None, 30, Unit.DAY, f"{_LL}, Điều 94"),
    TimeLimit(RuleKey.COMPLAINT_FIRST, None, 90, Unit.DAY, "Luật Khiếu nại 2011, Điều 9"),
    TimeLimit(RuleKey.COMPLAINT_SECOND, None, 30, Unit.DAY, "Luật Khiếu nại 2011, Điều 33"),
    TimeLimit(RuleKey.COMPLAINT_SECOND_REMOTE, None, 45, Unit.DAY,
              "Luật Khiếu nại 2011, Điều 33 (vùng sâu, vùng xa, đi lại khó khăn)"),
)
_NQ254 = "Nghị quyết 254/2025/QH15"
_LATER = (  # added by revision 0009 to both versions
    TimeLimit(RuleKey.INVENTORY_PERSUASION, None, 10, Unit.DAY,
              f"{_LL}, Điều 88 (vận động, thuyết phục 10 ngày trước kiểm đếm bắt buộc)"),
    TimeLimit(RuleKey.HANDOVER_AFTER_COMPLIANCE, None, 30, Unit.DAY,
              f"{_LL}, Điều 89 (chấp hành sau quyết định cưỡng chế: bàn giao trong 30 ngày)"),
)

STATUTORY_RULE_BOOK = RuleBook((
    RuleSet("LD2024", dt.date(2024, 1, 1),
            "Luật Đất đai 2024; Nghị định 88/2024/NĐ-CP, 102/2024/NĐ-CP", (
                TimeLimit(RuleKey.NOTICE_MIN, _A, 90, Unit.DAY, f"{_LL}, Điều 85"),
                TimeLimit(RuleKey.NOTICE_MIN, _N, 180, Unit.DAY, f"{_LL}, Điều 85"),
                TimeLimit(RuleKey.PLAN_POSTING, None, 30, Unit.DAY, f"{_LL}, Điều 87"),
                *_COMMON, *_LATER)),
    RuleSet("NQ254-2026", dt.date(2026, 1, 1),
            f"{_NQ254} (rút ngắn thời hạn thông báo và niêm yết từ 01/01/2026)", (
                TimeLimit(RuleKey.NOTICE_MIN, _A, 60, Unit.DAY, _NQ254),
                TimeLimit(RuleKey.NOTICE_MIN, _N, 120, Unit.DAY, _NQ254),
                TimeLimit(RuleKey.PLAN_POSTING, None, 10, Unit.DAY, _NQ254),
                TimeLimit(RuleKey.CONSULTATION_WITHIN, None, 30, Unit.DAY,
                          f"{_NQ254}, Điều 3 (đối thoại trong 30 ngày sau khi hết niêm yết)"),
                *_COMMON, *_LATER)),
))
"""The rules exactly as migrations 0002 and 0009 seed them, for pure code and tests; the database
copy is authoritative (``load_rule_book``), and a test keeps the two equal."""
