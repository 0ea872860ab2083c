"""The steering committee: its board (key projects against plans, tasks), the key-project
register and its changes, plan revisions, meetings and tasks. Thin: parse, call
``gis.committee`` (which checks who may do what from the committee's member and unit links),
commit, shape. Revisable records name the revision or version they were based on (0 for
none); a stale one is 409."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from sqlalchemy.orm import Session

from api.contract import IsoDate
from api.deps import CurrentUser, SessionDep
from api.errors import problems
from api.http import Id, IfMatch, version_from
from gis.committee.access import require_reader
from gis.committee.board import committee_board
from gis.committee.case_lists import count_cases, describe_vi, list_cases
from gis.committee.plans import plan_history, plans_in_force, record_plan
from gis.committee.register import EntryInput, key_projects, record_change
from gis.committee.tasks import (
    add_task,
    complete_task,
    create_meeting,
    record_progress,
    reopen_task,
    task_views,
)
from gis.core.calendar import local_today
from gis.core.errors import GpmbError, NotFound
from gis.core.lookups import project_by_code
from gis.models import CommitteeTask
from gis.workflow.boundary import translate_db_errors

router = APIRouter(prefix="/api/committee", tags=["committee"])
READ_ERRORS = problems(401, 403, 404, 422)
WRITE_ERRORS = problems(401, 403, 404, 409, 422, 428)
Year = Annotated[int, Path(ge=2000, le=2100, description="the list's year, e.g. 2026")]
Code = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,32}$", description="project code")]
AsOf = Annotated[IsoDate | None, Query(description="as of the end of this day (today)")]
Text200 = Annotated[str, Field(max_length=200)]


class Strict(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


@contextmanager
def _write(session: Session) -> Iterator[None]:
    """One transaction; domain refusals roll back everything."""
    try:
        with translate_db_errors():
            yield
    except GpmbError:
        session.rollback()
        raise
    session.commit()


def _day(as_of: dt.date | None) -> dt.date:
    return as_of or local_today()


class ChangeIn(Strict):
    """A change of the year's list: add, change (the entry) or remove, by a document."""

    action: Literal["add", "change", "remove"]
    decision_no: str | None = Field(default=None, max_length=100)
    decision_date: dt.date
    group: Literal["state_budget", "ppp", "non_budget"] | None = None
    investor: str | None = Field(default=None, max_length=500)
    member_id: StrictInt | None = Field(default=None, ge=1, le=2_147_483_647)
    unit_id: StrictInt | None = Field(default=None, ge=1, le=2_147_483_647)
    communes: list[Annotated[str, Field(max_length=5)]] = Field(default=[], max_length=60)
    note: str | None = Field(default=None, max_length=2000)
    version: StrictInt | None = Field(default=None, ge=0, le=10_000,
                                      description="the entry's current revision (0: none)")


class KeyProjectOut(BaseModel):
    """A key project of the year as of a day."""

    model_config = ConfigDict(from_attributes=True)

    project_id: int
    code: str
    name: str
    year: int
    revision: int
    group: str
    investor: str
    member_id: int | None
    member_name: str | None
    unit_id: int | None
    unit_name: str | None
    communes: list[str]
    decision_no: str
    decision_date: dt.date


@router.get("/register/{year}", response_model=list[KeyProjectOut], responses=READ_ERRORS,
            summary="The year's key projects as of a day")
def get_register(year: Year, user: CurrentUser, session: SessionDep,
                 as_of: AsOf = None) -> list[KeyProjectOut]:
    """Every project on the year's list at the end of ``as_of``, with who answers for it."""
    require_reader(session, user.id)
    return [KeyProjectOut.model_validate(k) for k in key_projects(session, year, _day(as_of))]


@router.post("/register/{year}/{code}", response_model=KeyProjectOut | None, status_code=201,
             responses=WRITE_ERRORS, summary="Add, change or remove a key project")
def post_change(year: Year, code: Code, body: ChangeIn, user: CurrentUser, session: SessionDep,
                if_match: IfMatch = None) -> KeyProjectOut | None:
    """Record a dated change of the list (the standing agency); the entry after it."""
    version = version_from(if_match, body.version, required=True)
    assert version is not None
    today = local_today()
    with _write(session):
        change = record_change(
            session, user.id, project_code=code, year=year, action=body.action,
            decision_no=body.decision_no, decision_date=body.decision_date,
            entry=EntryInput(body.group, body.investor, body.member_id, body.unit_id,
                             tuple(body.communes)),
            version=version, today=today, note=body.note)
        pid = change.project_id
    entry = next((k for k in key_projects(session, year, dt.date.max) if k.project_id == pid),
                 None)
    return KeyProjectOut.model_validate(entry) if entry else None


class MonthIn(Strict):
    """Cumulative targets to the end of a month."""

    month: StrictInt
    handed_over_ha: float = Field(ge=0, le=100_000)
    households_paid: StrictInt = 0
    households_handed_over: StrictInt = 0
    disbursed_vnd: StrictInt = 0


class PlanIn(Strict):
    """A new revision of a key project's plan for the year."""

    months: list[MonthIn] = Field(min_length=1, max_length=12)
    submitted_on: dt.date
    document_no: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=2000)
    version: StrictInt | None = Field(default=None, ge=0, le=10_000)


class MonthOut(BaseModel):
    """A month of a plan revision."""

    model_config = ConfigDict(from_attributes=True)

    month: int
    handed_over_ha: Decimal
    households_paid: int
    households_handed_over: int
    disbursed_vnd: int


class PlanOut(BaseModel):
    """A plan revision with its months."""

    revision: int
    submitted_on: dt.date
    document_no: str | None
    in_force: bool
    months: list[MonthOut]


def _plans(session: Session, code: str, year: int, as_of: dt.date) -> list[PlanOut]:
    pid = project_by_code(session, code).id
    force = plans_in_force(session, year, as_of, [pid]).get(pid)
    return [PlanOut(revision=rev.revision, submitted_on=rev.submitted_on,
                    document_no=rev.document_no,
                    in_force=force is not None and force.revision == rev.revision,
                    months=[MonthOut.model_validate(m) for m in months])
            for rev, months in plan_history(session, pid, year)]


@router.get("/plans/{year}/{code}", response_model=list[PlanOut], responses=READ_ERRORS,
            summary="A key project's plan revisions")
def get_plans(year: Year, code: Code, user: CurrentUser, session: SessionDep,
              as_of: AsOf = None) -> list[PlanOut]:
    """Every revision (append-only), the one in force on ``as_of`` marked."""
    require_reader(session, user.id)
    return _plans(session, code, year, _day(as_of))


@router.post("/plans/{year}/{code}", response_model=list[PlanOut], status_code=201,
             responses=WRITE_ERRORS, summary="Record a new revision of a key project's plan")
def post_plan(year: Year, code: Code, body: PlanIn, user: CurrentUser, session: SessionDep,
              if_match: IfMatch = None) -> list[PlanOut]:
    """A new revision (the standing agency); every revision after it."""
    version = version_from(if_match, body.version, required=True)
    assert version is not None
    today = local_today()
    with _write(session):
        record_plan(session, user.id, project_code=code, year=year,
                    months=[m.model_dump() for m in body.months],
                    submitted_on=body.submitted_on, version=version, today=today,
                    document=body.document_no, note=body.note)
    return _plans(session, code, year, today)


class MeetingIn(Strict):
    """A meeting held and its conclusion notice."""

    held_on: dt.date
    kind: Literal["quarterly", "ad_hoc"]
    title: str = Field(max_length=500)
    chair_id: StrictInt | None = Field(default=None, ge=1, le=2_147_483_647)
    notice_no: str | None = Field(default=None, max_length=100)
    notice_date: dt.date | None = None


class MeetingOut(BaseModel):
    """A recorded meeting."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    held_on: dt.date
    kind: str
    title: str
    chair_id: int | None
    notice_no: str | None
    notice_date: dt.date | None


@router.post("/meetings", response_model=MeetingOut, status_code=201, responses=WRITE_ERRORS,
             summary="Record a committee meeting")
def post_meeting(body: MeetingIn, user: CurrentUser, session: SessionDep) -> MeetingOut:
    """A meeting (the standing agency records it)."""
    with _write(session):
        meeting = create_meeting(session, user.id, held_on=body.held_on, kind=body.kind,
                                 title=body.title, today=local_today(), chair_id=body.chair_id,
                                 notice_no=body.notice_no, notice_date=body.notice_date)
        out = MeetingOut.model_validate(meeting)
    return out


class TaskIn(Strict):
    """A conclusion of a meeting as a task."""

    body: str = Field(max_length=2000)
    unit_id: StrictInt = Field(ge=1, le=2_147_483_647)
    member_id: StrictInt | None = Field(default=None, ge=1, le=2_147_483_647)
    project: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,32}$")
    due_on: dt.date
    case_list: dict[str, Any] | None = Field(default=None, max_length=10)


class TaskOut(BaseModel):
    """A task as it stands on a day."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    meeting_id: int
    meeting_title: str
    seq: int
    body: str
    project_code: str | None
    unit_id: int
    unit_name: str
    member_id: int | None
    member_name: str | None
    due_on: dt.date
    state: str
    days_overdue: int
    done_on: dt.date | None
    evidence_no: str | None
    evidence_date: dt.date | None
    case_list: dict[str, Any] | None
    version: int


def _task_out(session: Session, task_id: int) -> TaskOut:
    """The task as it stands today (meetings are never in the future, so it exists)."""
    view = next((t for t in task_views(session, local_today()) if t.id == task_id), None)
    if view is None:
        raise NotFound(f"no task {task_id}", message_vi=f"Không có nhiệm vụ số {task_id}.")
    return TaskOut.model_validate(view)


@router.post("/meetings/{meeting_id}/tasks", response_model=TaskOut, status_code=201,
             responses=WRITE_ERRORS, summary="Add a conclusion as a task")
def post_task(meeting_id: Id, body: TaskIn, user: CurrentUser, session: SessionDep) -> TaskOut:
    """A task for a unit (and member), with a deadline and optionally a live case list."""
    with _write(session):
        task = add_task(session, user.id, meeting_id, body=body.body, unit_id=body.unit_id,
                        due_on=body.due_on, member_id=body.member_id,
                        project_code=body.project, case_list=body.case_list)
        task_id = task.id
    return _task_out(session, task_id)


@router.get("/tasks", response_model=list[TaskOut], responses=READ_ERRORS,
            summary="Every task as it stood on a day")
def get_tasks(user: CurrentUser, session: SessionDep, as_of: AsOf = None) -> list[TaskOut]:
    """Tasks of the meetings held by ``as_of``, with their state then (deadline order)."""
    require_reader(session, user.id)
    return [TaskOut.model_validate(t) for t in task_views(session, _day(as_of))]


class ProgressIn(Strict):
    """A progress note."""

    note: str = Field(max_length=2000)
    occurred_on: dt.date | None = None
    version: StrictInt | None = Field(default=None, ge=1, le=2_147_483_647)


class DoneIn(Strict):
    """The task is done; the document that shows it."""

    done_on: dt.date
    evidence_no: str | None = Field(default=None, max_length=100)
    evidence_date: dt.date
    note: str | None = Field(default=None, max_length=2000)
    version: StrictInt | None = Field(default=None, ge=1, le=2_147_483_647)


class ReopenIn(Strict):
    """Why a task marked done is reopened."""

    reason: str = Field(max_length=2000)
    occurred_on: dt.date | None = None
    version: StrictInt | None = Field(default=None, ge=1, le=2_147_483_647)


def _version(if_match: str | None, body: int | None) -> int:
    version = version_from(if_match, body, required=True)
    assert version is not None
    return version


@router.post("/tasks/{task_id}/progress", response_model=TaskOut, responses=WRITE_ERRORS,
             summary="Add a progress note to a task")
def post_progress(task_id: Id, body: ProgressIn, user: CurrentUser, session: SessionDep,
                  if_match: IfMatch = None) -> TaskOut:
    """The task's unit, member or the standing agency notes progress."""
    today = local_today()
    with _write(session):
        record_progress(session, user.id, task_id, note=body.note,
                        on=body.occurred_on or today, version=_version(if_match, body.version),
                        today=today)
    return _task_out(session, task_id)


@router.post("/tasks/{task_id}/done", response_model=TaskOut, responses=WRITE_ERRORS,
             summary="Mark a task done with its evidence")
def post_done(task_id: Id, body: DoneIn, user: CurrentUser, session: SessionDep,
              if_match: IfMatch = None) -> TaskOut:
    """Done, with the evidence document's number and date."""
    with _write(session):
        complete_task(session, user.id, task_id, done_on=body.done_on,
                      evidence_no=body.evidence_no, evidence_date=body.evidence_date,
                      version=_version(if_match, body.version), today=local_today(),
                      note=body.note)
    return _task_out(session, task_id)


@router.post("/tasks/{task_id}/reopen", response_model=TaskOut, responses=WRITE_ERRORS,
             summary="Reopen a task marked done")
def post_reopen(task_id: Id, body: ReopenIn, user: CurrentUser, session: SessionDep,
                if_match: IfMatch = None) -> TaskOut:
    """The standing agency reopens a task whose evidence did not hold."""
    today = local_today()
    with _write(session):
        reopen_task(session, user.id, task_id, on=body.occurred_on or today,
                    reason=body.reason, version=_version(if_match, body.version), today=today)
    return _task_out(session, task_id)


class ListedCaseOut(BaseModel):
    """A case of a task's live list."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project_code: str
    commune_code: str
    sheet_no: int
    parcel_no: int
    step: str
    recovered_area_m2: Decimal
    approved_total_vnd: int
    paid_vnd: int


class CaseListOut(BaseModel):
    """A task's saved list of cases, as it is now."""

    description: str
    total: int
    cases: list[ListedCaseOut]


@router.get("/tasks/{task_id}/cases", response_model=CaseListOut, responses=READ_ERRORS,
            summary="The live list of cases a task points to")
def get_task_cases(task_id: Id, user: CurrentUser, session: SessionDep,
                   limit: Annotated[int, Query(ge=1, le=500)] = 100) -> CaseListOut:
    """The cases meeting the task's conditions now (most money outstanding first)."""
    require_reader(session, user.id)
    task = session.get(CommitteeTask, task_id)
    if task is None or not task.case_list:
        raise NotFound(f"task {task_id} has no case list", message_vi="Nhiệm vụ này không gắn "
                       "danh sách hồ sơ.")
    today = local_today()
    return CaseListOut(description=describe_vi(task.case_list),
                       total=count_cases(session, task.case_list, today),
                       cases=[ListedCaseOut.model_validate(c)
                              for c in list_cases(session, task.case_list, today, limit=limit)])


class MeasureOut(BaseModel):
    """One measure against the plan on the day."""

    measure: str
    plan_to_date: float | None
    plan_month_end: float | None
    plan_quarter_end: float | None
    actual: float
    gap: float | None
    light: str


class BoardRowOut(BaseModel):
    """A key project on the committee's board."""

    code: str
    name: str
    group: str
    member_name: str | None
    unit_name: str | None
    plan_revision: int | None
    light: str
    measures: list[MeasureOut]
    open_tasks: int
    overdue_tasks: int


class BoardOut(BaseModel):
    """The committee's board as of a day, worst deviations first."""

    as_of: dt.date
    year: int
    rows: list[BoardRowOut]
    open_tasks: list[TaskOut]


@router.get("/board", response_model=BoardOut, responses=READ_ERRORS,
            summary="Key projects against their plans, and open tasks")
def get_board(user: CurrentUser, session: SessionDep, as_of: AsOf = None,
              member_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None
              ) -> BoardOut:
    """Every key project (or one member's) as of a day: plan vs actual, lights, tasks."""
    require_reader(session, user.id)
    board = committee_board(session, _day(as_of), member_id=member_id)
    rows = [BoardRowOut(
        code=r.key.code, name=r.key.name, group=r.key.group.value,
        member_name=r.key.member_name, unit_name=r.key.unit_name,
        plan_revision=r.plan.revision if r.plan else None, light=r.light.value,
        measures=[MeasureOut(measure=m.value, plan_to_date=c.plan_to_date,
                             plan_month_end=c.plan_month_end, plan_quarter_end=r.quarter[m],
                             actual=c.actual, gap=c.gap, light=c.light.value)
                  for m, c in r.month.items()],
        open_tasks=r.open_tasks, overdue_tasks=r.overdue_tasks) for r in board.rows]
    return BoardOut(as_of=board.as_of, year=board.year, rows=rows,
                    open_tasks=[TaskOut.model_validate(t) for t in board.open_tasks])
