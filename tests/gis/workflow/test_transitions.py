"""The pure state machine: every allowed and refused move, its messages, and properties."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gis.core.domain import CaseStep, EventKind
from gis.core.errors import InvalidTransition
from gis.core.landuse import LandGroup
from gis.workflow import STATUTORY_RULE_BOOK as RULES
from gis.workflow.paperwork import DocKind, DocumentRef
from gis.workflow.rules import RuleKey
from gis.workflow.transitions import (
    MOVES,
    CaseFacts,
    SideRecord,
    StepAction,
    StepRecord,
    StepRequest,
    check_transition,
    resolve_target,
)

S = CaseStep
D = dt.date
AGRI, NON_AGRI = LandGroup.AGRICULTURAL, LandGroup.NON_AGRICULTURAL
FAR_TODAY = D(2030, 1, 1)
NOTICE = D(2025, 3, 5)
DOCS = {StepAction.NOTICE: "12/TB-UBND", StepAction.APPROVAL: "45/QĐ-UBND",
        StepAction.DECISION: "123/QĐ-UBND"}


TWO_TIER = D(2025, 7, 1)


def signer_on(day: dt.date) -> str:
    """The competent signer for a household's land on ``day``: the district chairman before
    the two-tier government, the commune chairman from 2025-07-01."""
    return "Chủ tịch UBND huyện Cao Lộc" if day < TWO_TIER else "Chủ tịch UBND xã Đồng Đăng"


def papers(to: CaseStep, on: dt.date) -> tuple[DocumentRef, ...]:
    """The supporting documents a lawful move to ``to`` on ``on`` carries."""
    if to == S.NOTIFIED:
        return (DocumentRef(DocKind.NOTICE_DELIVERY, "3/BB-GTB", on),)
    if to == S.PLAN_POSTED and on >= D(2026, 1, 1):
        return (DocumentRef(DocKind.EPORTAL_POSTING, "5/TB-UBND", on),)
    return ()


def request(to: CaseStep, on: dt.date, **kw: object) -> StepRequest:
    """A request carrying its documents dated ``on``, signed by the competent body."""
    fields: dict[str, object] = {"decision_no": "123/QĐ-UBND", "decision_date": on,
                                 "signer": signer_on(on), "documents": papers(to, on)} | kw
    return StepRequest(to, on, **fields)  # type: ignore[arg-type]


def consulted(facts: CaseFacts) -> CaseFacts:
    """The facts with a consultation held the day the posting period ended."""
    posting = facts.record(StepAction.POSTING)
    assert posting is not None
    ended = RULES.for_date(posting.occurred_on).limit(RuleKey.PLAN_POSTING).due(
        posting.occurred_on)
    held = SideRecord(EventKind.CONSULTATION, ended, ended,
                      (DocumentRef(DocKind.POSTING_END, "9/BB-NY", ended),))
    return replace(facts, side=(*facts.side, held))


def apply(facts: CaseFacts, req: StepRequest, today: dt.date = FAR_TODAY) -> CaseFacts:
    """Check a move and return the facts after it (a posted plan is then consulted on)."""
    out = check_transition(facts, req, RULES, today)
    record = StepRecord(out.step_from, out.step_to, req.occurred_on, req.decision_date)
    after = replace(facts, step=out.step_to, history=(*facts.history, record))
    return consulted(after) if out.step_to == S.PLAN_POSTED else after


def walk(group: LandGroup = AGRI, notice: dt.date = NOTICE,
         upto: CaseStep = S.PLAN_APPROVED) -> CaseFacts:
    """Facts of a case moved lawfully from the notice up to ``upto``."""
    facts = CaseFacts(S.NOT_STARTED, group, approved_total_vnd=100, paid_vnd=100)
    plan = [(S.NOTIFIED, notice), (S.INVENTORIED, notice + dt.timedelta(20)),
            (S.PLAN_POSTED, notice + dt.timedelta(30)),
            (S.PLAN_APPROVED, notice + dt.timedelta(60)),
            (S.DECIDED, notice + dt.timedelta(200)), (S.DECIDED_PAID, notice + dt.timedelta(205)),
            (S.HANDED_OVER, notice + dt.timedelta(210))]
    for to, on in plan:
        if facts.step == upto:
            break
        facts = apply(facts, request(to, on))
    return facts


def refused(facts: CaseFacts, req: StepRequest, today: dt.date = FAR_TODAY) -> InvalidTransition:
    """The error a refused move raises."""
    with pytest.raises(InvalidTransition) as info:
        check_transition(facts, req, RULES, today)
    return info.value


# -- order -----------------------------------------------------------------------------

ALL_PAIRS = [(a, b) for a in S for b in S]


def reach(step: CaseStep) -> CaseFacts:
    """Facts of a lawful case standing at ``step`` (paid first for 'paid')."""
    if step == S.PAID:
        return apply(walk(), request(S.PAID, D(2025, 3, 5) + dt.timedelta(90)))
    return walk(upto=step)


@pytest.mark.parametrize(("current", "requested"), ALL_PAIRS)
def test_every_pair_is_allowed_exactly_when_the_graph_says(current: CaseStep,
                                                            requested: CaseStep) -> None:
    facts = reach(current)
    assert facts.step == current
    target = resolve_target(current, requested)
    req = request(requested, lawful_date(facts, requested, 5))
    if target in MOVES[current]:
        assert check_transition(facts, req, RULES, FAR_TODAY).step_to == target
    else:
        assert refused(facts, req).extra["reason"] in {
            "step_skipped", "step_backwards", "step_repeated", "case_closed"}


def test_inventory_before_notice_names_the_missing_step() -> None:
    err = refused(CaseFacts(S.NOT_STARTED, AGRI), request(S.INVENTORIED, D(2025, 3, 1)))
    assert err.message_vi == ("Chưa thể chuyển sang bước 'Đã kiểm đếm': hồ sơ đang ở bước "
                              "'Chưa thông báo' — cần thông báo thu hồi đất trước.")
    assert err.extra == {"reason": "step_skipped", "current_step": "not_started",
                         "missing_steps": ["notified"]}


def test_handover_needs_decision_and_payment() -> None:
    err = refused(walk(upto=S.DECIDED), request(S.HANDED_OVER, D(2025, 10, 1)))
    assert "cần hoàn thành chi trả trước" in err.message_vi
    err = refused(walk(upto=S.PLAN_APPROVED), request(S.HANDED_OVER, D(2025, 10, 1)))
    assert "cần quyết định thu hồi đất hoặc hoàn thành chi trả trước" in err.message_vi


def test_going_back_is_refused() -> None:
    err = refused(walk(upto=S.PLAN_POSTED), request(S.NOTIFIED, D(2025, 6, 1)))
    assert err.extra["reason"] == "step_backwards"
    assert "không thể ghi lại hoặc quay về bước 'Đã thông báo thu hồi'" in err.message_vi


def test_either_order_after_approval() -> None:
    decided = apply(walk(), request(S.DECIDED, D(2025, 9, 30)))
    assert apply(decided, request(S.PAID, D(2025, 10, 2))).step == S.DECIDED_PAID
    paid = apply(walk(), request(S.PAID, D(2025, 6, 1)))
    assert apply(paid, request(S.DECIDED, D(2025, 9, 30))).step == S.DECIDED_PAID


# -- documents and dates -------------------------------------------------------------------

@pytest.mark.parametrize("missing", ["decision_no", "decision_date", "signer"])
@pytest.mark.parametrize("to", [S.NOTIFIED, S.PLAN_APPROVED, S.DECIDED])
def test_decisions_need_number_date_and_signer(to: CaseStep, missing: str) -> None:
    facts = {S.NOTIFIED: CaseFacts(S.NOT_STARTED, AGRI), S.PLAN_APPROVED: walk(
        upto=S.PLAN_POSTED), S.DECIDED: walk()}[to]
    err = refused(facts, request(to, D(2025, 9, 30), **{missing: None}))
    assert err.extra == {"reason": "required", "field": missing}
    assert err.message_vi.startswith("Thiếu ")


def test_bad_decision_number_is_refused() -> None:
    err = refused(CaseFacts(S.NOT_STARTED, AGRI),
                  request(S.NOTIFIED, D(2025, 3, 5), decision_no="QĐ số mười hai"))
    assert err.extra["reason"] == "bad_decision_no"
    assert "123/QĐ-UBND" in err.message_vi


def test_decision_number_is_normalised() -> None:
    out = check_transition(CaseFacts(S.NOT_STARTED, AGRI),
                           request(S.NOTIFIED, D(2025, 3, 5), decision_no=" 12/tb-ubnd "),
                           RULES, FAR_TODAY)
    assert out.request.decision_no == "12/TB-UBND"


def test_future_dates_are_refused() -> None:
    err = refused(CaseFacts(S.NOT_STARTED, AGRI), request(S.NOTIFIED, D(2025, 3, 5)),
                  today=D(2025, 3, 4))
    assert err.message_vi == ("Ngày thông báo thu hồi đất (05/03/2025) ở tương lai — hôm nay "
                              "là 04/03/2025.")
    assert err.extra["reason"] == "date_in_future"


def test_document_signed_after_the_step_is_refused() -> None:
    err = refused(CaseFacts(S.NOT_STARTED, AGRI),
                  request(S.NOTIFIED, D(2025, 3, 5), decision_date=D(2025, 3, 6)))
    assert err.extra["reason"] == "decision_after_occurrence"


def test_step_before_the_previous_one_is_refused() -> None:
    facts = walk(upto=S.NOTIFIED)
    err = refused(facts, request(S.INVENTORIED, D(2025, 3, 1)))
    assert err.message_vi == "Ngày kiểm đếm (01/03/2025) không được trước ngày thông báo thu " \
        "hồi đất (05/03/2025)."
    assert err.extra["reason"] == "before_previous_step"


# -- legal periods ---------------------------------------------------------------------------

def test_decision_too_soon_after_notice_names_the_rule() -> None:
    err = refused(walk(), request(S.DECIDED, D(2025, 5, 22)))
    assert err.message_vi.startswith(
        "Quyết định thu hồi phải sau thông báo ít nhất 90 ngày (đất nông nghiệp) — thông báo "
        "ngày 05/03/2025, còn thiếu 12 ngày")
    assert err.extra["reason"] == "notice_period_too_short"
    assert err.extra["missing_days"] == 12
    assert err.extra["field"] == "decision_date"
    assert err.extra["rule_version"] == "LD2024"


def test_residential_land_needs_180_days() -> None:
    err = refused(walk(NON_AGRI), request(S.DECIDED, D(2025, 6, 3)))
    assert "180 ngày (đất phi nông nghiệp)" in err.message_vi
    assert err.extra["missing_days"] == 90


def test_decision_after_the_notice_lapsed_is_refused() -> None:
    err = refused(walk(), request(S.DECIDED, D(2026, 3, 6)))
    assert err.extra["reason"] == "notice_expired"
    assert "đã hết hiệu lực 12 tháng từ ngày 05/03/2026" in err.message_vi
    assert check_transition(walk(), request(S.DECIDED, D(2026, 3, 5)), RULES,
                            FAR_TODAY).step_to == S.DECIDED


def test_plan_posted_too_briefly_is_refused() -> None:
    facts = walk(upto=S.PLAN_POSTED)  # posted 04/04/2025
    err = refused(facts, request(S.PLAN_APPROVED, D(2025, 4, 30)))
    assert err.message_vi.startswith("Phương án phải được niêm yết ít nhất 30 ngày trước khi "
                                     "phê duyệt — niêm yết ngày 04/04/2025, còn thiếu 4 ngày")
    assert err.extra["reason"] == "posting_period_too_short"


def test_posting_from_2026_needs_ten_days() -> None:
    facts = walk(notice=D(2026, 1, 10), upto=S.PLAN_POSTED)  # posted 09/02/2026
    assert check_transition(facts, request(S.PLAN_APPROVED, D(2026, 2, 19)), RULES,
                            FAR_TODAY).rule_version == "NQ254-2026"
    assert refused(facts, request(S.PLAN_APPROVED, D(2026, 2, 18))).extra["missing_days"] == 1


def test_paid_needs_paid_plus_deposited_equal_to_approved() -> None:
    short = replace(walk(), approved_total_vnd=1_000_000_000, paid_vnd=800_000_000)
    err = refused(short, request(S.PAID, D(2025, 6, 1)))
    assert err.message_vi.startswith("Chưa thể ghi nhận hoàn thành chi trả: đã chi trả và gửi "
                                     "800.000.000 đ trên 1.000.000.000 đ được duyệt, còn thiếu "
                                     "200.000.000 đ.")
    assert err.extra["reason"] == "payment_incomplete"
    full = replace(short, paid_vnd=1_000_000_000)
    assert check_transition(full, request(S.PAID, D(2025, 6, 1)), RULES,
                            FAR_TODAY).step_to == S.PAID


def test_zero_plan_is_paid_only_with_a_recorded_decision() -> None:
    nothing = replace(walk(), approved_total_vnd=0, paid_vnd=0)
    assert refused(nothing, request(S.PAID, D(2025, 6, 1))).extra["reason"] == (
        "no_approved_plan")
    zero_plan = replace(nothing, plan_items=1)
    assert check_transition(zero_plan, request(S.PAID, D(2025, 6, 1)), RULES,
                            FAR_TODAY).step_to == S.PAID


def test_paid_not_before_the_last_payment() -> None:
    facts = replace(walk(), last_payment_on=D(2025, 6, 10))
    assert refused(facts, request(S.PAID, D(2025, 6, 9))).extra["reason"] == (
        "before_last_payment")


def test_history_without_notice_cannot_be_checked() -> None:
    facts = CaseFacts(S.PLAN_POSTED, AGRI)
    assert refused(facts, request(S.PLAN_APPROVED, D(2025, 6, 1))).extra["reason"] == (
        "history_missing")


# -- properties ------------------------------------------------------------------------------

dates = st.dates(D(2024, 1, 1), D(2027, 6, 30))
groups = st.sampled_from([AGRI, NON_AGRI, LandGroup.UNUSED])


def lawful_date(facts: CaseFacts, to: CaseStep, gap: int) -> dt.date:
    """A date for a move that satisfies every period, ``gap`` days after the earliest."""
    earliest = facts.history[-1].occurred_on if facts.history else D(2024, 1, 1)
    action = MOVES[facts.step].get(resolve_target(facts.step, to))
    notice = facts.record(StepAction.NOTICE)
    posting = facts.record(StepAction.POSTING)
    if action == StepAction.DECISION and notice:
        limit = RULES.for_date(notice.legal_date).limit(RuleKey.NOTICE_MIN, facts.land_group)
        earliest = max(earliest, limit.due(notice.legal_date))
    if action == StepAction.APPROVAL and posting:
        limit = RULES.for_date(posting.occurred_on).limit(RuleKey.PLAN_POSTING)
        earliest = max(earliest, limit.due(posting.occurred_on))
    return earliest + dt.timedelta(gap)


@settings(max_examples=300, deadline=None)
@given(group=groups, start=dates,
       moves=st.lists(st.tuples(st.sampled_from([*S, None]), st.integers(0, 25)),
                      max_size=25))
def test_random_requests_only_follow_the_graph(group: LandGroup, start: dt.date,
                                              moves: list[tuple[CaseStep | None, int]]) -> None:
    """Whatever is asked, in any order, a case only ever moves along MOVES, never skips,
    its dates never go back, and it is handed over only after decision and payment.
    (None asks for a lawful next step, so that runs get deep into the procedure; the money
    is settled, so the payment's money condition holds.)"""
    facts = CaseFacts(S.NOT_STARTED, group, approved_total_vnd=100, paid_vnd=100)
    for wanted, gap in moves:
        options = list(MOVES[facts.step]) or [S.HANDED_OVER]
        to = wanted if wanted is not None else options[gap % len(options)]
        on = start if not facts.history else lawful_date(facts, to, gap)
        allowed = resolve_target(facts.step, to) in MOVES[facts.step]
        try:
            after = apply(facts, request(to, on))
        except InvalidTransition as err:
            assert not allowed, err.message_vi
            continue
        assert allowed
        assert after.step in MOVES[facts.step]
        facts = after
    chain = [S.NOT_STARTED, *(r.step_to for r in facts.history)]
    assert all(b in MOVES[a] for a, b in itertools.pairwise(chain))
    assert [r.occurred_on for r in facts.history] == sorted(r.occurred_on for r in facts.history)
    if facts.step == S.HANDED_OVER:
        assert facts.record(StepAction.DECISION) and facts.record(StepAction.PAYMENT)


@settings(max_examples=200, deadline=None)
@given(group=groups, start=dates, prefix=st.integers(0, 8), pay_first=st.booleans(),
       gaps=st.lists(st.integers(0, 25), min_size=8, max_size=8))
def test_every_lawful_path_reaches_handover(group: LandGroup, start: dt.date, prefix: int,
                                            pay_first: bool, gaps: list[int]) -> None:
    """From any point of either lawful path, the remaining steps can be taken."""
    middle = [S.PAID, S.DECIDED] if pay_first else [S.DECIDED, S.PAID]
    path = [S.NOTIFIED, S.INVENTORIED, S.PLAN_POSTED, S.PLAN_APPROVED, *middle, S.HANDED_OVER]
    facts = CaseFacts(S.NOT_STARTED, group, approved_total_vnd=100, paid_vnd=100)
    for i, to in enumerate(path):
        on = start if not facts.history else lawful_date(facts, to, gaps[i] if i >= prefix
                                                         else 0)
        facts = apply(facts, request(to, on))
    assert facts.step == S.HANDED_OVER


@settings(max_examples=300, deadline=None)
@given(group=groups, notice=dates)
def test_notice_minimum_on_both_sides_of_2026(group: LandGroup, notice: dt.date) -> None:
    """90/180 days for decisions before 2026-01-01, 60/120 for decisions from then — the
    limit in force on the day of the act checked (a notice of 2025 followed by a decision
    of 2026 gets the shorter period): the earliest lawful decision day is accepted, the day
    before is refused."""
    agricultural = group != NON_AGRI
    old, new = (90, 60) if agricultural else (180, 120)
    new_from = D(2026, 1, 1)
    earliest = notice + dt.timedelta(old)
    if earliest >= new_from:
        earliest = max(new_from, notice + dt.timedelta(new))
    history = (StepRecord(S.NOT_STARTED, S.NOTIFIED, notice, notice),
               StepRecord(S.NOTIFIED, S.INVENTORIED, notice + dt.timedelta(1)),
               StepRecord(S.INVENTORIED, S.PLAN_POSTED, notice + dt.timedelta(2)),
               StepRecord(S.PLAN_POSTED, S.PLAN_APPROVED, notice + dt.timedelta(32),
                          notice + dt.timedelta(32)))
    facts = CaseFacts(S.PLAN_APPROVED, group, history)
    out = check_transition(facts, request(S.DECIDED, earliest), RULES, FAR_TODAY)
    assert out.rule_version == ("LD2024" if earliest < new_from else "NQ254-2026")
    err = refused(facts, request(S.DECIDED, earliest - dt.timedelta(1)))
    assert err.extra["reason"] == "notice_period_too_short"
