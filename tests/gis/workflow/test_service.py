"""record_step and record_side_event on the real database: history, versions, audit,
idempotency, roles and error translation."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from gis.core.domain import CaseStep, EventKind
from gis.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound, PermissionDenied
from gis.workflow import record_note, record_side_event, record_step
from gis.workflow.boundary import translate_db_errors
from tests.gis.workflow.helpers import TODAY, D, World

S = CaseStep


def events(w: World, case_id: int) -> list[tuple[object, ...]]:
    """(kind, step_from, step_to, rule_version) of the case's events, in order."""
    return [tuple(r) for r in w.session.execute(text(
        "SELECT kind, step_from, step_to, rule_version FROM case_events WHERE case_id = :c "
        "ORDER BY id"), {"c": case_id})]


def test_happy_path_to_handover_decision_first(world: World) -> None:
    w, c = world, world.agri_case
    w.to_approved(c)
    w.decision(c, S.DECIDED, D(2025, 6, 10), "123/QĐ-UBND")
    w.pay(c, 600_000_000, D(2025, 6, 12), voucher_no="PC-01")
    w.pay(c, 400_000_000, D(2025, 6, 15), voucher_no="PC-02")
    assert w.step(c, S.PAID, D(2025, 6, 16)).step == S.DECIDED_PAID
    result = w.step(c, S.HANDED_OVER, D(2025, 6, 20), decision_no="07/BB-BGMB")
    assert (result.step, result.rule_version) == (S.HANDED_OVER, "LD2024")
    row = w.case_row(c)
    assert (row.step, row.handover_date, row.paid_vnd, row.approved_total_vnd) == (
        "handed_over", D(2025, 6, 20), 1_000_000_000, 1_000_000_000)
    steps = [e for e in events(w, c) if e[0] == "step"]
    assert [e[2] for e in steps] == ["notified", "inventoried", "plan_posted", "plan_approved",
                                     "decided", "decided_paid", "handed_over"]
    assert all(e[3] == "LD2024" for e in steps)
    assert result.version == w.version(c)


def test_payment_first_then_decision(world: World) -> None:
    w, c = world, world.resid_case
    w.to_approved(c, notice=D(2025, 2, 1), approved=D(2025, 4, 5))
    w.pay(c, 1_000_000_000, D(2025, 4, 10))
    assert w.step(c, S.PAID, D(2025, 4, 10)).step == S.PAID
    # rural residential land: 180 days after the notice of 01/02/2025
    with pytest.raises(InvalidTransition) as info:
        w.decision(c, S.DECIDED, D(2025, 7, 30), "88/QĐ-UBND")
    assert info.value.extra["missing_days"] == 1
    assert "180 ngày (đất phi nông nghiệp)" in info.value.message_vi
    assert w.decision(c, S.DECIDED, D(2025, 7, 31), "88/QĐ-UBND").step == S.DECIDED_PAID
    assert w.step(c, S.HANDED_OVER, D(2025, 8, 5)).step == S.HANDED_OVER


def test_rule_version_follows_the_date_of_the_act(world: World) -> None:
    """A notice of December 2025 and a decision of 2026: the decision is checked against
    the 60-day minimum in force on its own date (docs/procedure.md)."""
    w, c = world, world.agri_case
    w.to_approved(c, notice=D(2025, 12, 10), approved=D(2026, 1, 20))
    with pytest.raises(InvalidTransition) as info:
        w.decision(c, S.DECIDED, D(2026, 2, 7), "5/QĐ-UBND")  # 59 days
    assert info.value.extra["rule_version"] == "NQ254-2026"
    assert info.value.extra["missing_days"] == 1
    assert w.decision(c, S.DECIDED, D(2026, 2, 8), "5/QĐ-UBND").rule_version == "NQ254-2026"


def test_refusal_writes_nothing_and_keeps_the_session_usable(world: World) -> None:
    w, c = world, world.agri_case
    before = w.version(c)
    with pytest.raises(InvalidTransition) as info:
        w.step(c, S.INVENTORIED, D(2025, 3, 1))
    assert "cần thông báo thu hồi đất trước" in info.value.message_vi
    assert events(w, c) == [] and w.version(c) == before
    w.decision(c, S.NOTIFIED, D(2025, 3, 5), "12/TB-UBND")
    assert w.version(c) == before + 1


def test_stale_version_is_a_conflict_with_the_current_version(world: World) -> None:
    w, c = world, world.agri_case
    w.decision(c, S.NOTIFIED, D(2025, 3, 5), "12/TB-UBND", expected_version=1)
    with pytest.raises(Conflict) as info:
        w.step(c, S.INVENTORIED, D(2025, 4, 1), expected_version=1)
    assert info.value.extra == {"reason": "stale_version", "current_version": 2,
                                "expected_version": 1, "current_step": "notified"}
    assert "phiên bản hiện tại 2" in info.value.message_vi


def test_repeated_request_returns_the_first_event(world: World) -> None:
    w, c = world, world.agri_case
    first = w.decision(c, S.NOTIFIED, D(2025, 3, 5), "12/TB-UBND", idempotency_key="tb-1",
                       expected_version=1)
    again = w.decision(c, S.NOTIFIED, D(2025, 3, 5), "12/tb-ubnd", idempotency_key="tb-1",
                       expected_version=1)
    assert again.replayed and not first.replayed
    assert (again.event_id, again.version) == (first.event_id, first.version)
    assert len(events(w, c)) == 1
    with pytest.raises(Conflict) as info:
        w.decision(c, S.NOTIFIED, D(2025, 3, 6), "12/TB-UBND", idempotency_key="tb-1")
    assert info.value.extra["reason"] == "idempotency_key_reused"


def test_same_key_on_another_case_is_a_conflict(world: World) -> None:
    w = world
    w.decision(w.agri_case, S.NOTIFIED, D(2025, 3, 5), "12/TB-UBND", idempotency_key="k")
    with pytest.raises(Conflict):
        w.decision(w.resid_case, S.NOTIFIED, D(2025, 3, 5), "12/TB-UBND", idempotency_key="k")


def test_audit_names_the_actor(world: World) -> None:
    w, c = world, world.agri_case
    w.decision(c, S.NOTIFIED, D(2025, 3, 5), "12/TB-UBND")
    row = w.session.execute(text(
        "SELECT actor, before->>'step', after->>'step' FROM audit_log WHERE table_name = "
        "'clearance_cases' AND row_key = :k ORDER BY id DESC LIMIT 1"), {"k": str(c)}).one()
    assert tuple(row) == ("wf.staff", "not_started", "notified")
    recorded_by = w.session.execute(text("SELECT recorded_by FROM case_events WHERE case_id = :c"),
                                    {"c": c}).scalar_one()
    assert recorded_by == w.staff


def test_roles(world: World) -> None:
    w, c = world, world.agri_case
    with pytest.raises(PermissionDenied) as info:
        w.decision(c, S.NOTIFIED, D(2025, 3, 5), "12/TB-UBND", actor_id=w.leader)
    assert info.value.extra["reason"] == "role_not_allowed"
    with pytest.raises(PermissionDenied):
        w.decision(c, S.NOTIFIED, D(2025, 3, 5), "12/TB-UBND", actor_id=w.field)
    note = record_note(w.session, c, "Hộ gia đình vắng nhà", actor_id=w.field, today=TODAY)
    assert note.kind == EventKind.NOTE
    with pytest.raises(PermissionDenied) as info:
        record_note(w.session, c, "Ngoài phạm vi", actor_id=w.outsider, today=TODAY)
    assert info.value.extra["reason"] == "out_of_scope"
    w.session.execute(text("UPDATE users SET is_active = false WHERE id = :u"), {"u": w.staff})
    with pytest.raises(PermissionDenied):
        w.decision(c, S.NOTIFIED, D(2025, 3, 5), "12/TB-UBND")


def test_field_staff_confirm_handover_on_site(world: World) -> None:
    w, c = world, world.agri_case
    w.to_approved(c)
    w.decision(c, S.DECIDED, D(2025, 6, 10), "123/QĐ-UBND")
    w.pay(c, 1_000_000_000, D(2025, 6, 12))
    w.step(c, S.PAID, D(2025, 6, 12))
    assert w.step(c, S.HANDED_OVER, D(2025, 6, 20), actor_id=w.field).step == S.HANDED_OVER


def test_unknown_case_and_bad_input(world: World) -> None:
    with pytest.raises(NotFound):
        record_step(world.session, 999_999, S.NOTIFIED, expected_version=1,
                    occurred_on=D(2025, 3, 5), actor_id=world.staff, today=TODAY)
    with pytest.raises(InvalidInput):
        world.decision(world.agri_case, S.NOTIFIED, D(2025, 3, 5), "12/TB-UBND",
                       idempotency_key=" ")
    with pytest.raises(InvalidInput, match="to_step"):
        world.step(world.agri_case, "somewhere", D(2025, 3, 5))  # type: ignore[arg-type]


def test_notes_bump_the_version_and_need_text(world: World) -> None:
    w, c = world, world.agri_case
    before = w.version(c)
    result = record_note(w.session, c, "  Đã liên hệ   hộ dân ", actor_id=w.staff, today=TODAY)
    assert result.version == before + 1
    assert w.session.execute(text("SELECT note FROM case_events WHERE id = :e"),
                             {"e": result.event_id}).scalar_one() == "Đã liên hệ hộ dân"
    with pytest.raises(InvalidTransition):
        record_note(w.session, c, "   ", actor_id=w.staff, today=TODAY)
    with pytest.raises(Conflict):
        record_side_event(w.session, c, EventKind.NOTE, occurred_on=TODAY, note="x",
                          actor_id=w.staff, expected_version=before, today=TODAY)


def test_steps_cannot_be_recorded_as_side_events(world: World) -> None:
    with pytest.raises(InvalidInput):
        record_side_event(world.session, world.agri_case, EventKind.STEP, occurred_on=TODAY,
                          actor_id=world.staff, today=TODAY)


def test_unknown_rule_version_is_refused_by_the_database(world: World) -> None:
    nested = world.session.begin_nested()
    with pytest.raises(Exception, match="fk_case_events_rule_version_rule_sets"):
        world.session.execute(text(
            "INSERT INTO case_events (case_id, kind, occurred_on, rule_version) VALUES "
            "(:c, 'note', '2025-01-01', 'LD1993')"), {"c": world.agri_case})
    nested.rollback()


def test_today_defaults_to_vietnam_date(world: World) -> None:
    w = world
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    with pytest.raises(InvalidTransition) as info:
        record_step(w.session, w.agri_case, S.NOTIFIED, expected_version=1,
                    occurred_on=tomorrow, decision_no="1/TB-UBND", decision_date=tomorrow,
                    signer="Chủ tịch", actor_id=w.staff)
    assert info.value.extra["reason"] == "date_in_future"


def test_database_errors_become_domain_errors(world: World) -> None:
    s = world.session
    s.execute(text("INSERT INTO case_events (case_id, kind, occurred_on, note) VALUES "
                   "(:c, 'note', '2025-01-01', 'x')"), {"c": world.agri_case})
    with pytest.raises(Conflict) as conflict, translate_db_errors(), s.begin_nested():
        s.execute(text("DELETE FROM case_events"))
    assert conflict.value.extra["reason"] == "append_only"
    with pytest.raises(InvalidInput) as bad, translate_db_errors(), s.begin_nested():
        s.execute(text("UPDATE clearance_cases SET approved_land_vnd = -1"))
    assert bad.value.extra["reason"] == "constraint_violation"
    assert "approved_land_vnd" in bad.value.extra["constraint"]
