"""Committee meetings and their conclusions as tasks, tracked to done with evidence.

A task's log (``committee_task_updates``) is append-only: progress notes, its completion
with the evidence document (number and date), a reopening. Its state on day D follows the
log: done if the latest completion/reopening dated on or before D is a completion (late
if after the deadline), otherwise overdue once the deadline has passed, otherwise open.
Tasks of meetings held after D do not exist yet on D. Updates name the task's version.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from gis.capital.disbursement import refuse
from gis.committee.access import require_editor, require_task_updater
from gis.committee.case_lists import check_case_list
from gis.committee.checks import (
    choice,
    document_no,
    member_exists,
    not_future,
    required_text,
    unit_exists,
)
from gis.committee.vocab import MeetingKind, TaskState, TaskUpdateKind
from gis.core.errors import Conflict, NotFound
from gis.core.formats import Term
from gis.core.lookups import project_by_code
from gis.core.text import clean_text
from gis.models import (
    CommitteeMeeting,
    CommitteeMember,
    CommitteeTask,
    CommitteeTaskUpdate,
    CommitteeUnit,
    Project,
)


def create_meeting(session: Session, actor_id: int, *, held_on: dt.date, kind: str,
                   title: str, today: dt.date, chair_id: int | None = None,
                   notice_no: str | None = None, notice_date: dt.date | None = None
                   ) -> CommitteeMeeting:
    """Record a meeting held (and its conclusion notice, when issued)."""
    actor = require_editor(session, actor_id)
    not_future(held_on, today, "held_on", "Ngày họp")
    member_exists(session, chair_id, "chair_id")
    number = document_no(notice_no, "notice_no", "Số thông báo kết luận", required=False)
    if (number is None) != (notice_date is None):
        raise refuse("notice number and date together", "Thông báo kết luận cần cả số và ngày.",
                     "notice_incomplete", field="notice_date")
    if notice_date is not None and notice_date < held_on:
        raise refuse("notice before meeting", "Ngày thông báo {day} trước "
                     "ngày họp {held}.", "notice_before_meeting",
                     {"day": notice_date, "held": held_on}, field="notice_date")
    meeting = CommitteeMeeting(held_on=held_on, kind=choice(MeetingKind, kind, "kind",
                                                            "Loại cuộc họp").value,
                               title=required_text(title, "title", "Tên cuộc họp"),
                               chair_id=chair_id, notice_no=number, notice_date=notice_date,
                               recorded_by=actor.user_id)
    session.add(meeting)
    session.flush()
    return meeting


def add_task(session: Session, actor_id: int, meeting_id: int, *, body: str, unit_id: int,
             due_on: dt.date, member_id: int | None = None, project_code: str | None = None,
             case_list: dict[str, Any] | None = None) -> CommitteeTask:
    """Add a conclusion of a meeting as a task for a unit (and member) with a deadline."""
    require_editor(session, actor_id)
    meeting = session.get(CommitteeMeeting, meeting_id, with_for_update=True)
    if meeting is None:
        raise NotFound(f"no meeting {meeting_id}", message_vi="Không có cuộc họp số "
                       "{meeting}.", params={"meeting": str(meeting_id)})
    text_ = required_text(body, "body", "Nội dung nhiệm vụ")
    unit_exists(session, unit_id)
    member_exists(session, member_id)
    project_id = project_by_code(session, project_code, lock=True).id if project_code else None
    if due_on < meeting.held_on:
        raise refuse("deadline before the meeting", "Hạn {due} trước ngày họp "
                     "{held}.", "due_before_meeting", {"due": due_on, "held": meeting.held_on},
                     field="due_on")
    seq = 1 + max(session.scalars(select(CommitteeTask.seq).where(
        CommitteeTask.meeting_id == meeting_id)), default=0)
    task = CommitteeTask(meeting_id=meeting_id, seq=seq, body=text_, project_id=project_id,
                         unit_id=unit_id, member_id=member_id, due_on=due_on,
                         case_list=check_case_list(case_list))
    session.add(task)
    session.flush()
    return task


def _task_for_update(session: Session, task_id: int) -> CommitteeTask:
    task = session.get(CommitteeTask, task_id, with_for_update=True)
    if task is None:
        raise NotFound(f"no task {task_id}", message_vi="Không có nhiệm vụ số {task}.",
                       params={"task": str(task_id)})
    return task


def _check_version(task: CommitteeTask, version: int) -> None:
    if task.version != version:
        raise Conflict(f"task version {task.version}, not {version}", message_vi="Nhiệm vụ vừa "
                       "được người khác cập nhật; vui lòng tải lại rồi thử lại.",
                       reason="stale_version", current_version=task.version,
                       expected_version=version)


def _check_day(session: Session, task: CommitteeTask, day: dt.date, today: dt.date,
               field: str, label_vi: str) -> None:
    not_future(day, today, field, label_vi)
    held_on = session.scalar(select(CommitteeMeeting.held_on).where(
        CommitteeMeeting.id == task.meeting_id))
    if held_on is not None and day < held_on:
        raise refuse(f"{field} before the meeting", "{label:cap} ({day}) trước ngày "
                     "họp giao nhiệm vụ ({held}).", "before_meeting",
                     {"label": Term(label_vi), "day": day, "held": held_on}, field=field)


def record_progress(session: Session, actor_id: int, task_id: int, *, note: str,
                    on: dt.date, version: int, today: dt.date) -> CommitteeTaskUpdate:
    """Add a progress note to a task (its unit, member or the standing agency)."""
    task = _task_for_update(session, task_id)
    actor = require_task_updater(session, actor_id, task)
    _check_version(task, version)
    _check_day(session, task, on, today, "occurred_on", "Ngày cập nhật")
    update = CommitteeTaskUpdate(task_id=task.id, kind=TaskUpdateKind.PROGRESS.value,
                                 occurred_on=on, note=required_text(note, "note", "Nội dung"),
                                 recorded_by=actor.user_id)
    session.add(update)
    task.updated_at = dt.datetime.now(dt.UTC)  # bumps the version: the row changed
    session.flush()
    return update


def complete_task(session: Session, actor_id: int, task_id: int, *, done_on: dt.date,
                  evidence_no: str | None, evidence_date: dt.date, version: int,
                  today: dt.date, note: str | None = None) -> CommitteeTask:
    """Mark a task done, with the document that shows it (number and date)."""
    task = _task_for_update(session, task_id)
    actor = require_task_updater(session, actor_id, task)
    _check_version(task, version)
    if task.done_on is not None:
        raise refuse("already done", "Nhiệm vụ đã hoàn thành ngày {day}.",
                     "already_done", {"day": task.done_on}, field="done_on")
    _check_day(session, task, done_on, today, "done_on", "Ngày hoàn thành")
    number = document_no(evidence_no, "evidence_no", "Số văn bản chứng minh", required=True)
    not_future(evidence_date, today, "evidence_date", "Ngày văn bản chứng minh")
    if evidence_date > done_on:
        raise refuse("evidence after completion", "Văn bản chứng minh ngày "
                     "{day} sau ngày hoàn thành {done}.", "evidence_after_done",
                     {"day": evidence_date, "done": done_on}, field="evidence_date")
    session.add(CommitteeTaskUpdate(task_id=task.id, kind=TaskUpdateKind.DONE.value,
                                    occurred_on=done_on, evidence_no=number,
                                    evidence_date=evidence_date,
                                    note=clean_text(note, field="note", label_vi="Ghi chú"),
                                    recorded_by=actor.user_id))
    task.done_on, task.evidence_no, task.evidence_date = done_on, number, evidence_date
    session.flush()
    return task


def reopen_task(session: Session, actor_id: int, task_id: int, *, on: dt.date, reason: str,
                version: int, today: dt.date) -> CommitteeTask:
    """Reopen a task marked done (the evidence did not hold); the standing agency only."""
    task = _task_for_update(session, task_id)
    actor = require_editor(session, actor_id)
    _check_version(task, version)
    if task.done_on is None:
        raise refuse("not done", "Nhiệm vụ chưa hoàn thành nên không thể mở lại.", "not_done")
    _check_day(session, task, on, today, "occurred_on", "Ngày mở lại")
    if on < task.done_on:
        raise refuse("reopened before done", "Ngày mở lại {day} trước ngày hoàn thành "
                     "{done}.", "reopen_before_done", {"day": on, "done": task.done_on},
                     field="occurred_on")
    session.add(CommitteeTaskUpdate(task_id=task.id, kind=TaskUpdateKind.REOPENED.value,
                                    occurred_on=on, note=required_text(reason, "reason",
                                                                       "Lý do mở lại"),
                                    recorded_by=actor.user_id))
    task.done_on = task.evidence_no = task.evidence_date = None
    session.flush()
    return task


@dataclass(frozen=True)
class TaskView:
    """A task as it stood on a day."""

    id: int
    meeting_id: int
    meeting_title: str
    meeting_held_on: dt.date
    seq: int
    body: str
    project_id: int | None
    project_code: str | None
    unit_id: int
    unit_name: str
    member_id: int | None
    member_name: str | None
    due_on: dt.date
    state: TaskState
    done_on: dt.date | None
    evidence_no: str | None
    evidence_date: dt.date | None
    case_list: dict[str, Any] | None
    version: int
    as_of: dt.date

    @property
    def is_open(self) -> bool:
        """Not done (open or overdue)."""
        return self.state in (TaskState.OPEN, TaskState.OVERDUE)

    @property
    def days_overdue(self) -> int:
        """Days past the deadline while not done (0 otherwise)."""
        return (self.as_of - self.due_on).days if self.state == TaskState.OVERDUE else 0


def state_on(due_on: dt.date, log: list[tuple[str, dt.date, str | None, dt.date | None]],
             as_of: dt.date) -> tuple[TaskState, dt.date | None, str | None, dt.date | None]:
    """(state, done on, evidence no., evidence date) on ``as_of`` from the task's log of
    (kind, day, evidence no., evidence date), oldest first."""
    done: tuple[dt.date, str | None, dt.date | None] | None = None
    for kind, day, number, evidence_day in log:
        if day > as_of:
            continue
        if kind == TaskUpdateKind.DONE.value:
            done = (day, number, evidence_day)
        elif kind == TaskUpdateKind.REOPENED.value:
            done = None
    if done is not None:
        state = TaskState.DONE if done[0] <= due_on else TaskState.DONE_LATE
        return state, *done
    return (TaskState.OVERDUE if due_on < as_of else TaskState.OPEN), None, None, None


def task_views(session: Session, as_of: dt.date) -> list[TaskView]:
    """Every task of the meetings held by ``as_of``, as it stood then (deadline order)."""
    member, unit = aliased(CommitteeMember), aliased(CommitteeUnit)
    rows = session.execute(
        select(CommitteeTask, CommitteeMeeting.title, CommitteeMeeting.held_on, Project.code,
               unit.name, member.full_name)
        .join(CommitteeMeeting, CommitteeMeeting.id == CommitteeTask.meeting_id)
        .join(unit, unit.id == CommitteeTask.unit_id)
        .outerjoin(member, member.id == CommitteeTask.member_id)
        .outerjoin(Project, Project.id == CommitteeTask.project_id)
        .where(CommitteeMeeting.held_on <= as_of)
        .order_by(CommitteeTask.due_on, CommitteeTask.meeting_id, CommitteeTask.seq)).all()
    logs: dict[int, list[tuple[str, dt.date, str | None, dt.date | None]]] = {}
    for u in session.scalars(select(CommitteeTaskUpdate).where(
            CommitteeTaskUpdate.kind != TaskUpdateKind.PROGRESS.value)
            .order_by(CommitteeTaskUpdate.occurred_on, CommitteeTaskUpdate.id)):
        logs.setdefault(u.task_id, []).append((u.kind, u.occurred_on, u.evidence_no,
                                               u.evidence_date))
    out = []
    for t, title, held_on, code, unit_name, member_name in rows:
        state, done_on, number, evidence_day = state_on(t.due_on, logs.get(t.id, []), as_of)
        out.append(TaskView(t.id, t.meeting_id, title, held_on, t.seq, t.body, t.project_id,
                            code, t.unit_id, unit_name, t.member_id, member_name, t.due_on,
                            state, done_on, number, evidence_day, t.case_list, t.version,
                            as_of))
    return out


def task_log(session: Session, task_id: int) -> list[CommitteeTaskUpdate]:
    """A task's log, oldest first."""
    return list(session.scalars(select(CommitteeTaskUpdate).where(
        CommitteeTaskUpdate.task_id == task_id)
        .order_by(CommitteeTaskUpdate.occurred_on, CommitteeTaskUpdate.id)))
