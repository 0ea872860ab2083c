"""The procedure the inspection checks, as pure rules on both sides of 2026-01-01: each
step's documents, signer authority by date, consultation, renewed notices, recorded
exceptions and resettlement before the recovery decision."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from gis.core.domain import CaseStep, EventKind
from gis.core.errors import InvalidTransition
from gis.core.landuse import LandGroup
from gis.workflow import STATUTORY_RULE_BOOK as RULES
from gis.workflow.facts import ExceptionKind, ExceptionRecord, SideRecord
from gis.workflow.paperwork import DocKind, DocumentRef
from gis.workflow.side_events import SideRequest, check_side_event
from gis.workflow.transitions import CaseFacts, StepRequest, check_transition
from tests.gis.workflow.test_transitions import FAR_TODAY, apply, request, walk

S, K = CaseStep, EventKind
D = dt.date
OLD, NEW = D(2025, 3, 5), D(2026, 1, 10)  # a notice before / after 2026-01-01


def refused_step(facts: CaseFacts, req: StepRequest) -> InvalidTransition:
    with pytest.raises(InvalidTransition) as info:
        check_transition(facts, req, RULES, FAR_TODAY)
    return info.value


def side(facts: CaseFacts, kind: EventKind, on: dt.date, **kw: Any) -> Any:
    return check_side_event(facts, SideRequest(kind, on, **kw), RULES, FAR_TODAY)


def refused_side(facts: CaseFacts, kind: EventKind, on: dt.date, **kw: Any) -> InvalidTransition:
    with pytest.raises(InvalidTransition) as info:
        side(facts, kind, on, **kw)
    return info.value


# -- each step's documents ------------------------------------------------------------------

@pytest.mark.parametrize("to", [S.INVENTORIED, S.PLAN_POSTED, S.HANDED_OVER, S.PAID])
@pytest.mark.parametrize("missing", ["decision_no", "decision_date"])
def test_every_step_needs_its_dated_numbered_document(to: CaseStep, missing: str) -> None:
    before = {S.INVENTORIED: S.NOTIFIED, S.PLAN_POSTED: S.INVENTORIED,
              S.HANDED_OVER: S.DECIDED_PAID, S.PAID: S.PLAN_APPROVED}[to]
    facts = walk(upto=before)
    on = facts.history[-1].occurred_on + dt.timedelta(5)
    err = refused_step(facts, request(to, on, **{missing: None}))
    assert err.extra["reason"] == "document_missing"
    assert err.extra["field"] == missing
    assert err.message_vi.startswith("Thiếu ")


def test_notice_needs_its_delivery_proof() -> None:
    err = refused_step(CaseFacts(S.NOT_STARTED, LandGroup.AGRICULTURAL),
                       request(S.NOTIFIED, OLD, documents=()))
    assert err.extra == {"reason": "document_missing", "field": "documents",
                         "document_kind": "notice_delivery"}
    assert "biên bản giao thông báo thu hồi đất" in err.message_vi


def test_payment_receipt_must_name_the_payee() -> None:
    err = refused_step(walk(), request(S.PAID, D(2025, 6, 1), signer=None))
    assert err.extra["reason"] == "document_unsigned"


def test_posting_on_the_e_portal_from_2026() -> None:
    old = walk(notice=OLD, upto=S.INVENTORIED)
    assert check_transition(old, request(S.PLAN_POSTED, D(2025, 4, 4), documents=()), RULES,
                            FAR_TODAY).step_to == S.PLAN_POSTED
    new = walk(notice=NEW, upto=S.INVENTORIED)
    err = refused_step(new, request(S.PLAN_POSTED, D(2026, 2, 9), documents=()))
    assert err.extra["document_kind"] == "eportal_posting"
    assert "bắt buộc từ 01/01/2026" in err.message_vi


def test_inventory_minutes_dated_before_the_notice_are_refused() -> None:
    facts = walk(upto=S.NOTIFIED)
    err = refused_step(facts, request(S.INVENTORIED, D(2025, 3, 25), decision_date=D(2025, 3, 1)))
    assert err.extra["reason"] == "inventory_before_notice"
    assert "05/03/2025" in err.message_vi


def test_documents_after_the_act_or_foreign_to_it_are_refused() -> None:
    facts = CaseFacts(S.NOT_STARTED, LandGroup.AGRICULTURAL)
    late = [DocumentRef(DocKind.NOTICE_DELIVERY, "3/BB-GTB", D(2025, 3, 9))]
    assert refused_step(facts, request(S.NOTIFIED, OLD, documents=late)).extra["reason"] == (
        "document_date_after")
    other = [*request(S.NOTIFIED, OLD).documents,
             DocumentRef(DocKind.HANDOVER_MINUTES, "1/BB-BG", OLD)]
    assert refused_step(facts, request(S.NOTIFIED, OLD, documents=other)).extra["reason"] == (
        "document_not_expected")


# -- signer authority by date ----------------------------------------------------------------

def test_district_before_two_tier_commune_after() -> None:
    facts = replace(CaseFacts(S.NOT_STARTED, LandGroup.AGRICULTURAL), commune_name="Đồng Đăng")
    before, after = D(2025, 6, 30), D(2025, 7, 1)
    check_transition(facts, request(S.NOTIFIED, before, signer="Chủ tịch UBND huyện Cao Lộc"),
                     RULES, FAR_TODAY)
    err = refused_step(facts, request(S.NOTIFIED, after, signer="Chủ tịch UBND huyện Cao Lộc"))
    assert err.extra["reason"] == "issuer_not_competent"
    assert "UBND huyện Cao Lộc (UBND cấp huyện) không có thẩm quyền" in err.message_vi
    err = refused_step(facts, request(S.NOTIFIED, before, signer="Chủ tịch UBND xã Đồng Đăng"))
    assert err.extra["reason"] == "issuer_not_competent"
    err = refused_step(facts, request(S.NOTIFIED, after, signer="Chủ tịch UBND xã Kiên Mộc"))
    assert err.extra["reason"] == "issuer_wrong_commune"
    ok = check_transition(facts, request(S.NOTIFIED, after, signer="Phó Chủ tịch",
                                         issuer_level="commune", issuer_unit="UBND xã Đồng Đăng"),
                          RULES, FAR_TODAY)
    assert ok.issuer is not None and ok.issuer.unit == "UBND xã Đồng Đăng"
    err = refused_step(facts, request(S.NOTIFIED, after, signer="Phó Chủ tịch"))
    assert err.extra["reason"] == "issuer_missing"


def test_organisations_are_the_province() -> None:
    facts = replace(CaseFacts(S.NOT_STARTED, LandGroup.NON_AGRICULTURAL), organisation=True)
    for day in (D(2025, 3, 5), D(2026, 3, 5)):
        check_transition(facts, request(S.NOTIFIED, day, signer="Chủ tịch UBND tỉnh Lạng Sơn"),
                         RULES, FAR_TODAY)
        err = refused_step(facts, request(S.NOTIFIED, day, signer="Chủ tịch UBND xã Đồng Đăng"))
        assert err.extra["required_level"] == "province"


# -- consultation ------------------------------------------------------------------------------

def posted(notice: dt.date) -> CaseFacts:
    """At plan_posted with no consultation yet."""
    facts = walk(notice=notice, upto=S.PLAN_POSTED)
    return replace(facts, side=tuple(r for r in facts.side if r.kind != K.CONSULTATION))


def consult(facts: CaseFacts, ended: dt.date, held: dt.date) -> Any:
    return side(facts, K.CONSULTATION, held, decision_no="9/BB-HLYK", decision_date=held,
                documents=(DocumentRef(DocKind.POSTING_END, "9/BB-NY", ended),))


@pytest.mark.parametrize(("notice", "days"), [(OLD, 30), (NEW, 10)])
def test_consultation_after_the_posting_period(notice: dt.date, days: int) -> None:
    facts = posted(notice)
    start = facts.history[-1].occurred_on
    end = start + dt.timedelta(days)
    approve = end + dt.timedelta(5)
    err = refused_step(facts, request(S.PLAN_APPROVED, approve))
    assert err.extra["reason"] == "consultation_missing"
    with pytest.raises(InvalidTransition) as info:
        consult(facts, end - dt.timedelta(1), end)
    assert info.value.extra["reason"] == "posting_not_ended"
    with pytest.raises(InvalidTransition) as info:  # minutes of the end dated after it
        consult(facts, end, end - dt.timedelta(1))
    assert info.value.extra["reason"] == "document_date_after"
    assert consult(facts, end, end).kind == K.CONSULTATION
    held = replace(facts, side=(SideRecord(K.CONSULTATION, end + dt.timedelta(3),
                                           end + dt.timedelta(3)),))
    assert refused_step(held, request(S.PLAN_APPROVED, end + dt.timedelta(2))).extra[
        "reason"] == "before_consultation"
    assert check_transition(held, request(S.PLAN_APPROVED, approve), RULES,
                            FAR_TODAY).step_to == S.PLAN_APPROVED


def test_dialogue_within_30_days_from_2026_only() -> None:
    old = posted(OLD)
    end = old.history[-1].occurred_on + dt.timedelta(30)
    assert consult(old, end, end + dt.timedelta(60)).rule_version == "LD2024"
    new = posted(NEW)
    end = new.history[-1].occurred_on + dt.timedelta(10)
    assert consult(new, end, end + dt.timedelta(30)).rule_version == "NQ254-2026"
    with pytest.raises(InvalidTransition) as info:
        consult(new, end, end + dt.timedelta(31))
    assert info.value.extra["reason"] == "consultation_too_late"


def test_consultation_only_while_posted() -> None:
    err = refused_side(walk(), K.CONSULTATION, D(2025, 6, 1), decision_no="9/BB-HLYK",
                       decision_date=D(2025, 6, 1),
                       documents=(DocumentRef(DocKind.POSTING_END, "9/BB-NY", D(2025, 5, 30)),))
    assert err.extra["reason"] == "wrong_step"


# -- renewed notice, exceptions, resettlement -------------------------------------------------

def renew(facts: CaseFacts, on: dt.date, **kw: Any) -> Any:
    fields = {"decision_no": "30/TB-UBND", "decision_date": on,
              "signer": "Chủ tịch UBND xã Đồng Đăng",
              "documents": (DocumentRef(DocKind.NOTICE_DELIVERY, "31/BB-GTB", on),)} | kw
    return side(facts, K.NOTICE_RENEWED, on, **fields)


@pytest.mark.parametrize("notice", [OLD, D(2025, 12, 1)])
def test_a_lapsed_notice_is_renewed_instead_of_leaving_the_case_stuck(notice: dt.date) -> None:
    facts = walk(notice=notice)
    lapsed = D(notice.year + 1, notice.month, notice.day) + dt.timedelta(1)
    assert refused_step(facts, request(S.DECIDED, lapsed)).extra["reason"] == "notice_expired"
    err = refused_side(facts, K.NOTICE_RENEWED, lapsed - dt.timedelta(1),
                       decision_no="30/TB-UBND", decision_date=lapsed - dt.timedelta(1),
                       signer="Chủ tịch UBND xã Đồng Đăng",
                       documents=(DocumentRef(DocKind.NOTICE_DELIVERY, "31/BB-GTB",
                                              lapsed - dt.timedelta(1)),))
    assert err.extra["reason"] == "notice_still_valid"
    assert renew(facts, lapsed).kind == K.NOTICE_RENEWED
    renewed = replace(facts, side=(*facts.side, SideRecord(K.NOTICE_RENEWED, lapsed, lapsed)))
    out = check_transition(renewed, request(S.DECIDED, lapsed + dt.timedelta(1)), RULES,
                           FAR_TODAY)
    assert out.step_to == S.DECIDED


def test_early_decision_with_the_land_users_consent() -> None:
    facts = walk()
    early = D(2025, 5, 25)  # 81 days after the notice
    assert refused_step(facts, request(S.DECIDED, early)).extra["reason"] == (
        "notice_period_too_short")
    out = side(facts, K.RECOVERY_EXCEPTION, D(2025, 5, 21), decision_no="2/GĐY",
               decision_date=D(2025, 5, 21), exception_kind="early_consent")
    assert out.exception == ExceptionKind.EARLY_CONSENT
    consented = replace(facts, exceptions=(ExceptionRecord(ExceptionKind.EARLY_CONSENT,
                                                           D(2025, 5, 21)),))
    assert check_transition(consented, request(S.DECIDED, early), RULES,
                            FAR_TODAY).step_to == S.DECIDED
    err = refused_side(facts, K.RECOVERY_EXCEPTION, D(2025, 5, 21),
                       exception_kind="early_consent")
    assert err.extra["reason"] == "document_missing"


def test_resolution_254_exceptions_only_from_2026() -> None:
    need = replace(walk(), resettlement_needed=True)
    doc = {"decision_no": "3/QĐ-UBND", "decision_date": D(2025, 12, 31)}
    err = refused_side(need, K.RECOVERY_EXCEPTION, D(2025, 12, 31),
                       exception_kind="before_resettlement",
                       project_kind="urgent_public_investment", **doc)
    assert err.extra["reason"] == "exception_not_in_force"
    doc["decision_date"] = D(2026, 1, 2)
    assert side(need, K.RECOVERY_EXCEPTION, D(2026, 1, 2), exception_kind="before_resettlement",
                project_kind="onsite_resettlement", **doc).exception == (
        ExceptionKind.BEFORE_RESETTLEMENT)
    err = refused_side(need, K.RECOVERY_EXCEPTION, D(2026, 1, 2),
                       exception_kind="before_resettlement", project_kind="other", **doc)
    assert err.extra["reason"] == "exception_project_kind"
    plan = posted(NEW)
    on = D(2026, 2, 12)
    doc = {"decision_no": "3/QĐ-UBND", "decision_date": on}
    for pct in (None, Decimal(75)):
        err = refused_side(plan, K.RECOVERY_EXCEPTION, on, exception_kind="before_plan_approval",
                           project_kind="other", consent_pct=pct, **doc)
        assert err.extra["reason"] == "consent_too_low"
    assert side(plan, K.RECOVERY_EXCEPTION, on, exception_kind="before_plan_approval",
                project_kind="other", consent_pct=Decimal("75.5"), **doc).exception
    assert side(plan, K.RECOVERY_EXCEPTION, on, exception_kind="before_plan_approval",
                project_kind="national_important", **doc).exception


@pytest.mark.parametrize("notice", [OLD, D(2025, 11, 1)])
def test_no_recovery_decision_before_resettlement(notice: dt.date) -> None:
    facts = replace(walk(notice=notice), resettlement_needed=True)
    day = notice + dt.timedelta(200)
    err = refused_step(facts, request(S.DECIDED, day))
    assert err.extra["reason"] == "resettlement_not_arranged"
    ready = replace(facts, resettlement_ready_on=day)
    assert check_transition(ready, request(S.DECIDED, day), RULES, FAR_TODAY).step_to == S.DECIDED
    late = replace(facts, resettlement_ready_on=day + dt.timedelta(1))
    assert refused_step(late, request(S.DECIDED, day)).extra["reason"] == (
        "resettlement_not_arranged")
    if day >= D(2026, 1, 1):
        excepted = replace(facts, exceptions=(ExceptionRecord(
            ExceptionKind.BEFORE_RESETTLEMENT, D(2026, 1, 2)),))
        assert apply(excepted, request(S.DECIDED, day)).step == S.DECIDED
