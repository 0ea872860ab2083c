"""Meetings, tasks and their states on days, saved case lists and who may update what."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access.accounts import create_user
from gis.committee.access import committee_actor
from gis.committee.case_lists import check_case_list, count_cases, list_cases
from gis.committee.tasks import (
    add_task,
    complete_task,
    create_meeting,
    record_progress,
    reopen_task,
    task_views,
)
from gis.committee.vocab import TaskState
from gis.compensation.ledger import record_payment
from gis.core.domain import Role
from gis.core.errors import Conflict, InvalidInput, PermissionDenied
from tests.gis.committee.conftest import unit_id, user_for_unit

TODAY = dt.date(2026, 11, 21)


def _view(session: Session, task_id: int, day: dt.date) -> TaskState | None:
    return next((t.state for t in task_views(session, day) if t.id == task_id), None)


def test_demo_has_two_meetings_and_overdue_tasks(demo_session: Session) -> None:
    views = task_views(demo_session, TODAY)
    assert len({t.meeting_id for t in views}) == 2
    states = {t.state for t in views}
    assert {TaskState.OVERDUE, TaskState.DONE, TaskState.DONE_LATE, TaskState.OPEN} <= states
    overdue = [t for t in views if t.state == TaskState.OVERDUE]
    assert all(t.due_on < TODAY and t.done_on is None and t.days_overdue > 0 for t in overdue)
    assert task_views(demo_session, dt.date(2026, 4, 9)) == []


def test_task_states_follow_the_log_as_of_any_day(demo_session: Session, standing: int
                                                  ) -> None:
    meeting = create_meeting(demo_session, standing, held_on=dt.date(2026, 10, 5),
                             kind="ad_hoc", title="Họp đột xuất về GPMB", today=TODAY,
                             notice_no="250/tb-ubnd", notice_date=dt.date(2026, 10, 7))
    task = add_task(demo_session, standing, meeting.id, body="Bàn giao phần còn lại",
                    unit_id=unit_id(demo_session, "TTPTQD"), due_on=dt.date(2026, 10, 31),
                    project_code="CT-HNCL")
    assert task.seq == 1
    assert _view(demo_session, task.id, dt.date(2026, 10, 4)) is None  # not yet decided
    assert _view(demo_session, task.id, dt.date(2026, 10, 31)) == TaskState.OPEN
    assert _view(demo_session, task.id, dt.date(2026, 11, 1)) == TaskState.OVERDUE
    worker = user_for_unit(demo_session, "ttptqd.canbo", "TTPTQD")
    record_progress(demo_session, worker, task.id, note="Còn 3 hộ", on=dt.date(2026, 11, 2),
                    version=task.version, today=TODAY)
    with pytest.raises(Conflict):
        complete_task(demo_session, worker, task.id, done_on=dt.date(2026, 11, 10),
                      evidence_no="600/BC-TTPTQĐ", evidence_date=dt.date(2026, 11, 10),
                      version=1, today=TODAY)
    demo_session.refresh(task)
    complete_task(demo_session, worker, task.id, done_on=dt.date(2026, 11, 10),
                  evidence_no="600/bc-ttptqđ", evidence_date=dt.date(2026, 11, 9),
                  version=task.version, today=TODAY)
    assert task.evidence_no == "600/BC-TTPTQĐ"
    assert _view(demo_session, task.id, dt.date(2026, 11, 9)) == TaskState.OVERDUE
    assert _view(demo_session, task.id, dt.date(2026, 11, 10)) == TaskState.DONE_LATE
    with pytest.raises(PermissionDenied):  # reopening is the standing agency's
        reopen_task(demo_session, worker, task.id, on=TODAY, reason="Chưa đủ hồ sơ",
                    version=task.version, today=TODAY)
    reopen_task(demo_session, standing, task.id, on=dt.date(2026, 11, 15),
                reason="Biên bản bàn giao chưa ký đủ", version=task.version, today=TODAY)
    assert _view(demo_session, task.id, dt.date(2026, 11, 12)) == TaskState.DONE_LATE
    assert _view(demo_session, task.id, TODAY) == TaskState.OVERDUE
    assert task.done_on is None and task.evidence_no is None


def test_task_refusals(demo_session: Session, standing: int) -> None:
    meeting = create_meeting(demo_session, standing, held_on=dt.date(2026, 10, 5),
                             kind="quarterly", title="Họp quý III", today=TODAY)
    unit = unit_id(demo_session, "SXD")
    with pytest.raises(InvalidInput) as early:
        add_task(demo_session, standing, meeting.id, body="Việc", unit_id=unit,
                 due_on=dt.date(2026, 10, 1))
    assert early.value.extra["reason"] == "due_before_meeting"
    with pytest.raises(InvalidInput) as bad_list:
        add_task(demo_session, standing, meeting.id, body="Việc", unit_id=unit,
                 due_on=dt.date(2026, 12, 1), case_list={"who_knows": True})
    assert bad_list.value.extra["reason"] == "bad_case_list"
    task = add_task(demo_session, standing, meeting.id, body="Việc", unit_id=unit,
                    due_on=dt.date(2026, 12, 1))
    for kwargs, reason in (
            ({"evidence_no": None}, "required"),
            ({"evidence_no": "báo cáo"}, "bad_document_no"),
            ({"done_on": dt.date(2026, 10, 1)}, "before_meeting"),
            ({"done_on": dt.date(2026, 12, 1)}, "date_in_future"),
            ({"evidence_date": dt.date(2026, 11, 20), "done_on": dt.date(2026, 11, 19)},
             "evidence_after_done")):
        args = {"done_on": dt.date(2026, 11, 20), "evidence_no": "5/BC-SXD",
                "evidence_date": dt.date(2026, 11, 20), **kwargs}
        with pytest.raises(InvalidInput) as refused:
            complete_task(demo_session, standing, task.id, version=task.version, today=TODAY,
                          **args)  # type: ignore[arg-type]
        assert refused.value.extra["reason"] == reason, kwargs
    other_unit = user_for_unit(demo_session, "snnmt.canbo", "SNNMT")
    with pytest.raises(PermissionDenied) as denied:
        complete_task(demo_session, other_unit, task.id, done_on=TODAY, evidence_no="5/BC-SXD",
                      evidence_date=TODAY, version=task.version, today=TODAY)
    assert denied.value.extra["reason"] == "task_not_yours"


def test_roles_from_links(demo_session: Session, standing: int) -> None:
    field = create_user(demo_session, "hientruong.bcd", Role.FIELD, "mat-khau-kiem-thu-2026")
    leader = create_user(demo_session, "lanhdao.xem", Role.LEADER, "mat-khau-kiem-thu-2026")
    assert not committee_actor(demo_session, field.id).can_read
    assert committee_actor(demo_session, leader.id).can_read
    assert not committee_actor(demo_session, leader.id).can_edit
    assert committee_actor(demo_session, standing).can_edit
    investor = user_for_unit(demo_session, "bot.hncl", "BOT-HNCL")
    actor = committee_actor(demo_session, investor)
    assert actor.can_read and not actor.can_edit


def test_saved_case_list_updates_itself(demo_session: Session) -> None:
    conditions = check_case_list({"project": "CT-HNCL", "money_not_taken": True,
                                  "enforcement": False})
    assert conditions == {"project": "CT-HNCL", "money_not_taken": True}
    before = count_cases(demo_session, conditions, TODAY)
    expected = demo_session.execute(text(
        "SELECT count(*) FROM clearance_cases c JOIN projects p ON p.id = c.project_id"
        " WHERE p.code = 'CT-HNCL' AND c.approved_total_vnd > 0 AND (c.paid_vnd <"
        " c.approved_total_vnd OR EXISTS (SELECT 1 FROM payments y WHERE y.case_id = c.id"
        " AND y.method = 'treasury_deposit'))")).scalar_one()
    assert before == expected > 0
    listed = list_cases(demo_session, conditions, TODAY, limit=5)
    assert len(listed) == min(5, before)
    owed = [c.approved_total_vnd - c.paid_vnd for c in listed]
    assert owed == sorted(owed, reverse=True)
    # Pay one case in full (one with no deposit at the treasury, whose household record
    # covers it alone and has one payee): it leaves the list.
    case_id, owed_vnd, payee_id = demo_session.execute(text(
        "SELECT c.id, c.approved_total_vnd - c.paid_vnd, min(pe.id)"
        " FROM clearance_cases c JOIN projects p ON p.id = c.project_id"
        " JOIN compensation_household_cases hc ON hc.case_id = c.id"
        " JOIN compensation_payees pe ON pe.household_id = hc.household_id"
        " WHERE p.code = 'CT-HNCL' AND c.paid_vnd < c.approved_total_vnd"
        " AND NOT EXISTS (SELECT 1 FROM payments y WHERE y.case_id = c.id"
        " AND y.method = 'treasury_deposit')"
        " AND NOT EXISTS (SELECT 1 FROM compensation_household_cases o"
        " WHERE o.household_id = hc.household_id AND o.case_id <> c.id)"
        " GROUP BY c.id HAVING count(DISTINCT pe.id) = 1 ORDER BY c.id LIMIT 1")).one()
    staff = create_user(demo_session, "ct.chitra", Role.STAFF, "mat-khau-kiem-thu-2026").id
    record_payment(demo_session, case_id, owed_vnd, dt.date(2026, 11, 20), "transfer",
                   payee_id=payee_id, actor_id=staff, today=TODAY)
    assert count_cases(demo_session, conditions, TODAY) == before - 1
