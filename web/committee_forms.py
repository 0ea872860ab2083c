"""The steering committee's forms: the key-project register (dated add / change / remove),
a project's plan revisions, meetings and their conclusions as tasks (progress, done with
evidence, reopened).

Each post calls the same ``gis.committee`` writer as the API (``api/routers/committee.py``),
which decides who may do what from the committee's links — the standing agency edits the
register, plans, meetings and tasks; a task's unit and member update their own task — in
one transaction. A refusal shows the page again with the Vietnamese message next to the
field it names and the API's machine code (``data-code``, ``data-reason``); revisable
records carry the revision or version the form was drawn from, so a concurrent edit is a
refusal, never an overwrite. The pages show a form only to whoever may use it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import CSRF_COOKIE
from api.errors import status_for
from gis.committee.access import CommitteeActor, require_reader
from gis.committee.board import members
from gis.committee.plans import plan_history, plans_in_force, record_plan
from gis.committee.register import EntryInput, key_projects, record_change, register_history
from gis.committee.tasks import (
    add_task,
    complete_task,
    create_meeting,
    record_progress,
    reopen_task,
    task_views,
)
from gis.committee.vocab import (
    ACTION_LABELS_VI,
    GROUP_LABELS_VI,
    MEASURE_LABELS_VI,
    MEETING_LABELS_VI,
    TASK_STATE_LABELS_VI,
    ChangeAction,
    Measure,
)
from gis.core.calendar import local_today
from gis.core.errors import GpmbError, InvalidInput
from gis.core.lookups import project_by_code
from gis.models import CommitteeMeeting, CommitteeUnit, Project, User
from gis.workflow.boundary import translate_db_errors
from web.case_forms import (
    Posted,
    date_value,
    required_date,
    text_value,
)
from web.committee_routes import board_response
from web.i18n import error_text
from web.page_posts import PostRefused, apply_post
from web.templating import templates

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
Year = Annotated[int, Path(ge=2000, le=2100)]
Code = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
Saved = Annotated[str | None, Query(max_length=40, pattern=r"^[a-z]+(-[A-Za-z0-9_-]+)?$")]
_GROUPED = re.compile(r"^\d{1,3}(?:[. ]\d{3})+$")
_MONTH_FIELD = re.compile(r"^months\[(\d+)\]\.(\w+)$")


@dataclass(frozen=True)
class Refusal:
    """Why a form was refused, as the page shows it: next to ``field`` when the form has
    it, else above the form; with the API's status and machine code."""

    form: str
    message: str
    code: str
    reason: str
    field: str | None
    status: int


def refusal_of(form: str, exc: GpmbError, fields: Iterable[str],
               field_map: Callable[[str], str] = str) -> Refusal:
    """A domain error placed on a form (``field_map`` turns the domain's field name into
    the form's input name)."""
    named = exc.extra.get("field")
    field = field_map(named) if isinstance(named, str) else None
    return Refusal(form, error_text(exc), exc.code, str(exc.extra.get("reason") or exc.code),
                   field if field in set(fields) else None, status_for(exc))


def _bad(name: str, message: str) -> InvalidInput:
    return InvalidInput(f"{name}: {message}", message_vi=message, reason="bad_form_value",
                        field=name)


def version_of(values: dict[str, str], name: str = "version") -> int:
    """The revision or version the form was drawn from (as the API's ``If-Match``)."""
    raw = values.get(name, "").strip()
    if not raw.isdigit() or int(raw) > 2_147_483_647:
        raise InvalidInput("version required", message_vi="Biểu mẫu thiếu số phiên bản; hãy tải "
                           "lại trang rồi thử lại.", reason="version_required")
    return int(raw)


def optional_id(values: dict[str, str], name: str) -> int | None:
    """A chosen member or unit (empty: none)."""
    raw = values.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) <= 2_147_483_647:
        raise _bad(name, f"Lựa chọn '{raw}' không hợp lệ.")
    return int(raw)


def whole_or_raw(raw: str) -> int | str:
    """A whole number typed as 1500 or 1.500 / 1 500; anything else is handed on as typed,
    so the domain's check refuses it with its own code."""
    text = raw.strip()
    if text.isdigit():
        return int(text)
    if _GROUPED.match(text):
        return int(text.replace(".", "").replace(" ", ""))
    return text


def _actor(request: Request, session: Session) -> CommitteeActor:
    user: User = request.state.user
    return require_reader(session, user.id)


def _render(request: Request, session: Session, name: str, context: dict[str, Any],
            refusal: Refusal | None, posted: dict[str, str] | None) -> HTMLResponse:
    base = {"actor": _actor(request, session), "today": local_today(),
            "csrf_token": request.cookies.get(CSRF_COOKIE, ""), "refusal": refusal,
            "posted": posted or {}, "task_labels": TASK_STATE_LABELS_VI,
            "meeting_labels": MEETING_LABELS_VI, "groups": GROUP_LABELS_VI,
            "actions": ACTION_LABELS_VI, "measure_labels": MEASURE_LABELS_VI,
            "Measure": Measure, "ChangeAction": ChangeAction}
    return templates.TemplateResponse(request, name, {**base, **context},
                                      status_code=refusal.status if refusal else 200)


def _units(session: Session) -> list[CommitteeUnit]:
    return list(session.scalars(select(CommitteeUnit).order_by(CommitteeUnit.name)))


Page = Callable[[Request, Session, Refusal | None, dict[str, str] | None], HTMLResponse]
Work = Callable[[Session, int, dict[str, str]], str]


def _write(request: Request, posted: Posted, form: str, fields: Iterable[str], work: Work,
           page: Page, field_map: Callable[[str], str] = str) -> Response:
    """Run ``work`` (which returns where to go next) in one transaction; on a refusal roll
    back everything and show ``page`` with it."""
    user: User = request.state.user
    with request.app.state.sessions() as session:
        try:
            with translate_db_errors():
                target = work(session, user.id, posted.values)
            session.commit()
        except GpmbError as exc:
            session.rollback()
            return page(request, session, refusal_of(form, exc, fields, field_map),
                        posted.values)
    return RedirectResponse(target, status_code=303)


def _bare(_request: Request, refused: PostRefused) -> Response:
    """A post refused before its change was tried (CSRF): the bare message."""
    return HTMLResponse(refused.message, status_code=refused.status)


# -- the register ------------------------------------------------------------------------

REGISTER_FIELDS = ("project", "action", "decision_no", "decision_date", "group", "investor",
                   "member_id", "unit_id", "communes", "note")


def _register_page(year: int) -> Page:
    def page(request: Request, session: Session, refusal: Refusal | None,
             posted: dict[str, str] | None) -> HTMLResponse:
        today = local_today()
        history = register_history(session, year)
        revisions = {code: change.revision for change, code in history}
        listed = key_projects(session, year, dt.date.max)
        on_list = {k.code for k in listed}
        projects = session.execute(select(Project.code, Project.name).order_by(Project.code))
        context = {"year": year, "entries": key_projects(session, year, today),
                   "latest": {k.code: k for k in listed}, "history": history,
                   "revisions": revisions,
                   "candidates": [(c, n) for c, n in projects if c not in on_list],
                   "members": members(session), "units": _units(session),
                   "saved": request.query_params.get("saved")}
        return _render(request, session, "committee_register.html", context, refusal, posted)
    return page


@router.get("/committee/register", response_class=HTMLResponse)
def register_page(request: Request,
                  year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> HTMLResponse:
    """The year's key projects as of today, every change, and (for the standing agency)
    the forms to add, change or remove a project."""
    with request.app.state.sessions() as session:
        return _register_page(year or local_today().year)(request, session, None, None)


def _change(year: int) -> Work:
    def work(session: Session, user_id: int, values: dict[str, str]) -> str:
        code = values.get("project", "").strip()
        if not code:
            raise _bad("project", "Cần chọn dự án.")
        communes = tuple(c for c in re.split(r"[\s,;]+", values.get("communes", "")) if c)
        record_change(
            session, user_id, project_code=code, year=year, action=values.get("action", ""),
            decision_no=text_value(values, "decision_no"),
            decision_date=required_date(values, "decision_date"),
            entry=EntryInput(text_value(values, "group"), text_value(values, "investor"),
                             optional_id(values, "member_id"), optional_id(values, "unit_id"),
                             communes),
            version=version_of(values, f"rev.{code}" if f"rev.{code}" in values else "version"),
            today=local_today(), note=text_value(values, "note"))
        return f"/committee/register?year={year}&saved=change-{code}"
    return work


@router.post("/committee/register/{year}")
async def post_register_change(request: Request, year: Year) -> Response:
    """Add a project to the year's list, change its entry or remove it (a dated document)."""
    return await apply_post(request, lambda posted: _write(
        request, posted, posted.values.get("form", "register-add")[:40], REGISTER_FIELDS,
        _change(year), _register_page(year)), refuse=_bare)


# -- plans ---------------------------------------------------------------------------------

PLAN_FIELDS = ("submitted_on", "document_no", "note", "months",
               *(f"m{m}.{x.value}" for m in range(1, 13) for x in Measure))


def _plan_page(year: int, code: str) -> Page:
    def page(request: Request, session: Session, refusal: Refusal | None,
             posted: dict[str, str] | None) -> HTMLResponse:
        project = project_by_code(session, code)
        history = plan_history(session, project.id, year)
        force = plans_in_force(session, year, local_today(), [project.id]).get(project.id)
        latest = {m.month: m for m in history[-1][1]} if history else {}
        context = {"year": year, "project": project, "history": list(reversed(history)),
                   "in_force": force.revision if force else None, "latest": latest,
                   "version": history[-1][0].revision if history else 0,
                   "key": any(k.project_id == project.id
                              for k in key_projects(session, year, dt.date.max)),
                   "saved": request.query_params.get("saved")}
        return _render(request, session, "committee_plans.html", context, refusal, posted)
    return page


@router.get("/committee/plans/{year}/{code}", response_class=HTMLResponse)
def plans_page(request: Request, year: Year, code: Code) -> HTMLResponse:
    """A key project's plan revisions (the one in force marked) and, for the standing
    agency, the form for a new revision drawn from the latest."""
    with request.app.state.sessions() as session:
        return _plan_page(year, code)(request, session, None, None)


def plan_months(values: dict[str, str]) -> tuple[list[dict[str, object]], list[int]]:
    """The months the form fills (a month left wholly empty is not part of the revision),
    as the API's body gives them, and which month each list entry is."""
    months: list[dict[str, object]] = []
    order: list[int] = []
    for month in range(1, 13):
        raw = {x.value: values.get(f"m{month}.{x.value}", "").strip() for x in Measure}
        if not any(raw.values()):
            continue
        entry: dict[str, object] = {"month": month}
        for key, typed in raw.items():
            if key == Measure.HANDED_OVER_HA.value:
                entry[key] = typed.replace(",", ".") or "0"
            else:
                entry[key] = whole_or_raw(typed) if typed else 0
        months.append(entry)
        order.append(month)
    return months, order


def _plan(year: int, code: str, order: list[int]) -> Work:
    def work(session: Session, user_id: int, values: dict[str, str]) -> str:
        months, found = plan_months(values)
        order[:] = found
        record_plan(session, user_id, project_code=code, year=year, months=months,
                    submitted_on=required_date(values, "submitted_on"),
                    version=version_of(values), today=local_today(),
                    document=text_value(values, "document_no"), note=text_value(values, "note"))
        return f"/committee/plans/{year}/{code}?saved=plan"
    return work


@router.post("/committee/plans/{year}/{code}")
async def post_plan(request: Request, year: Year, code: Code) -> Response:
    """A new revision of the project's plan (append-only; the earlier ones are kept)."""
    order: list[int] = []

    def field(name: str) -> str:  # months[i].x → the input of that month
        found = _MONTH_FIELD.match(name)
        if found and int(found[1]) < len(order):
            return f"m{order[int(found[1])]}.{found[2]}"
        return name

    return await apply_post(request, lambda posted: _write(
        request, posted, "plan", PLAN_FIELDS, _plan(year, code, order), _plan_page(year, code),
        field), refuse=_bare)


# -- meetings and tasks -----------------------------------------------------------------------

MEETING_FIELDS = ("held_on", "kind", "title", "chair_id", "notice_no", "notice_date")
TASK_FIELDS = ("body", "unit_id", "member_id", "project", "due_on")
UPDATE_FIELDS = ("note", "occurred_on", "done_on", "evidence_no", "evidence_date", "reason")


def _meetings_page(request: Request, session: Session, refusal: Refusal | None,
                   posted: dict[str, str] | None) -> HTMLResponse:
    today = local_today()
    tasks: dict[int, list[Any]] = {}
    for t in task_views(session, today):
        tasks.setdefault(t.meeting_id, []).append(t)
    for listed in tasks.values():
        listed.sort(key=lambda t: t.seq)
    chairs = {m.id: m for m in members(session)}
    context = {"meetings": list(session.scalars(select(CommitteeMeeting).order_by(
                   CommitteeMeeting.held_on.desc(), CommitteeMeeting.id.desc()))),
               "tasks": tasks, "members": list(chairs.values()), "chairs": chairs,
               "units": _units(session),
               "projects": key_projects(session, today.year, today),
               "saved": request.query_params.get("saved")}
    return _render(request, session, "committee_meetings.html", context, refusal, posted)


@router.get("/committee/meetings", response_class=HTMLResponse)
def meetings_page(request: Request, saved: Saved = None) -> HTMLResponse:
    """Meetings, newest first, with their conclusions as tasks and where each stands; the
    forms for whoever may record a meeting, add a task or update one."""
    with request.app.state.sessions() as session:
        return _meetings_page(request, session, None, None)


def _meeting(session: Session, user_id: int, values: dict[str, str]) -> str:
    meeting = create_meeting(session, user_id, held_on=required_date(values, "held_on"),
                             kind=values.get("kind", ""), title=values.get("title", ""),
                             today=local_today(), chair_id=optional_id(values, "chair_id"),
                             notice_no=text_value(values, "notice_no"),
                             notice_date=date_value(values, "notice_date"))
    return f"/committee/meetings?saved=meeting-{meeting.id}#meeting-{meeting.id}"


@router.post("/committee/meetings")
async def post_meeting(request: Request) -> Response:
    """Record a meeting held (quarterly or ad hoc), its chair and conclusion notice."""
    return await apply_post(request, lambda posted: _write(
        request, posted, "meeting", MEETING_FIELDS, _meeting, _meetings_page), refuse=_bare)


def _task(meeting_id: int) -> Work:
    def work(session: Session, user_id: int, values: dict[str, str]) -> str:
        unit = optional_id(values, "unit_id")
        if unit is None:
            raise _bad("unit_id", "Cần chọn đơn vị chủ trì.")
        task = add_task(session, user_id, meeting_id, body=values.get("body", ""),
                        unit_id=unit, due_on=required_date(values, "due_on"),
                        member_id=optional_id(values, "member_id"),
                        project_code=text_value(values, "project"))
        return f"/committee/meetings?saved=task-{task.id}#task-{task.id}"
    return work


@router.post("/committee/meetings/{meeting_id}/tasks")
async def post_task(request: Request, meeting_id: Id) -> Response:
    """Add a conclusion of the meeting as a task for a unit (and member) with a deadline."""
    return await apply_post(request, lambda posted: _write(
        request, posted, f"task-{meeting_id}", TASK_FIELDS, _task(meeting_id),
        _meetings_page), refuse=_bare)


def _board_page(request: Request, session: Session, refusal: Refusal | None,
                posted: dict[str, str] | None) -> HTMLResponse:
    return board_response(request, session, refusal, posted)


def _back(values: dict[str, str]) -> tuple[str, Page]:
    """Where a task form came from: the meetings page or the board."""
    if values.get("back") == "meetings":
        return "/committee/meetings", _meetings_page
    return "/committee", _board_page


def _update(kind: str, task_id: int) -> Work:
    def work(session: Session, user_id: int, values: dict[str, str]) -> str:
        today = local_today()
        version = version_of(values)
        if kind == "progress":
            record_progress(session, user_id, task_id, note=values.get("note", ""),
                            on=date_value(values, "occurred_on") or today, version=version,
                            today=today)
        elif kind == "done":
            complete_task(session, user_id, task_id,
                          done_on=required_date(values, "done_on"),
                          evidence_no=text_value(values, "evidence_no"),
                          evidence_date=required_date(values, "evidence_date"),
                          version=version, today=today, note=text_value(values, "note"))
        else:
            reopen_task(session, user_id, task_id, on=date_value(values, "occurred_on") or today,
                        reason=values.get("reason", ""), version=version, today=today)
        back, _ = _back(values)
        if back == "/committee":
            return f"/committee?saved={task_id}"
        return f"{back}?saved={kind}-{task_id}#task-{task_id}"
    return work


async def _task_update(request: Request, task_id: int, kind: str) -> Response:
    return await apply_post(request, lambda posted: _write(
        request, posted, f"{kind}-{task_id}", UPDATE_FIELDS, _update(kind, task_id),
        _back(posted.values)[1]), refuse=_bare)


@router.post("/committee/tasks/{task_id}/done")
async def post_done(request: Request, task_id: Id) -> Response:
    """The task is done, with the evidence document (its unit, member or the standing
    agency)."""
    return await _task_update(request, task_id, "done")


@router.post("/committee/tasks/{task_id}/progress")
async def post_progress(request: Request, task_id: Id) -> Response:
    """A progress note on a task (its unit, member or the standing agency)."""
    return await _task_update(request, task_id, "progress")


@router.post("/committee/tasks/{task_id}/reopen")
async def post_reopen(request: Request, task_id: Id) -> Response:
    """Reopen a task marked done (the standing agency)."""
    return await _task_update(request, task_id, "reopen")
