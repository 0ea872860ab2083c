"""The steering committee's pages: the board (``/committee``) of every key project against
its plan, worst first, with open and overdue tasks; one member's board
(``/committee/members/{id}``); a task's live list of cases; the meeting pack as Excel and
PDF, as of any day (the forms are in ``web.committee_forms``). Thin: parse, call
``gis.committee``, render."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.deps import CSRF_COOKIE
from gis.committee.access import CommitteeActor, require_reader
from gis.committee.board import Board, committee_board, members
from gis.committee.case_lists import count_cases, describe_vi, list_cases
from gis.committee.pack import meeting_pack
from gis.committee.pack_excel import pack_workbook
from gis.committee.pack_pdf import pack_pdf
from gis.committee.vocab import (
    GROUP_LABELS_VI,
    LIGHT_LABELS_VI,
    MEASURE_LABELS_VI,
    POSITION_LABELS_VI,
    TASK_STATE_LABELS_VI,
    Light,
    Measure,
)
from gis.core.calendar import LOCAL_TZ
from gis.core.domain import STEP_LABELS_VI
from gis.core.errors import NotFound
from gis.models import CommitteeTask, User
from web.case_forms import AsOf
from web.templating import templates

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _today() -> dt.date:
    return dt.datetime.now(LOCAL_TZ).date()


def _reader(request: Request, session: Session) -> CommitteeActor:
    user: User = request.state.user
    return require_reader(session, user.id)


def _context(board: Board, actor: CommitteeActor, session: Session,
             request: Request | None = None) -> dict[str, Any]:
    return {"csrf_token": request.cookies.get(CSRF_COOKIE, "") if request else "",
            "board": board, "as_of": board.as_of, "rows": board.rows, "actor": actor,
            "members": members(session), "lights": board.lights(), "Light": Light,
            "Measure": Measure, "groups": GROUP_LABELS_VI, "light_labels": LIGHT_LABELS_VI,
            "measure_labels": MEASURE_LABELS_VI, "task_labels": TASK_STATE_LABELS_VI,
            "positions": POSITION_LABELS_VI, "refusal": None, "posted": {}}


def board_response(request: Request, session: Session, refusal: Any = None,
                   posted: dict[str, str] | None = None) -> HTMLResponse:
    """Today's board, with a refused task form's message next to its field."""
    actor = _reader(request, session)
    context = {**_context(committee_board(session, _today()), actor, session, request),
               "refusal": refusal, "posted": posted or {}}
    return templates.TemplateResponse(request, "committee.html", context,
                                      status_code=refusal.status if refusal else 200)


@router.get("/committee", response_class=HTMLResponse)
def committee_page(request: Request, as_of: AsOf,
                   saved: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None
                   ) -> HTMLResponse:
    """Every key project against its plan as of a day, worst first; tasks; members."""
    day = as_of or _today()
    with request.app.state.sessions() as session:
        actor = _reader(request, session)
        board = committee_board(session, day)
        context = {**_context(board, actor, session, request), "saved": saved}
        return templates.TemplateResponse(request, "committee.html", context)


@router.get("/committee/members/{member_id}", response_class=HTMLResponse)
def member_page(request: Request, member_id: Id, as_of: AsOf) -> HTMLResponse:
    """One member's projects and tasks as of a day."""
    day = as_of or _today()
    with request.app.state.sessions() as session:
        actor = _reader(request, session)
        board = committee_board(session, day, member_id=member_id)
        return templates.TemplateResponse(request, "committee.html",
                                          _context(board, actor, session, request))


@router.get("/committee/tasks/{task_id}/cases", response_class=HTMLResponse)
def task_cases_page(request: Request, task_id: Id) -> HTMLResponse:
    """The live list of cases a task points to, as it is now."""
    today = _today()
    with request.app.state.sessions() as session:
        _reader(request, session)
        task = session.get(CommitteeTask, task_id)
        if task is None or not task.case_list:
            raise NotFound(f"task {task_id} has no case list", message_vi="Nhiệm vụ này không "
                           "gắn danh sách hồ sơ.")
        context = {"task": task, "description": describe_vi(task.case_list),
                   "total": count_cases(session, task.case_list, today),
                   "cases": list_cases(session, task.case_list, today), "today": today,
                   "step_labels": STEP_LABELS_VI}
        return templates.TemplateResponse(request, "committee_cases.html", context)


def _attachment(data: bytes, media_type: str, filename: str) -> Response:
    return Response(data, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@router.get("/committee/pack.xlsx")
def pack_excel(request: Request, as_of: AsOf) -> Response:
    """The meeting pack as Excel, as of a day."""
    day = as_of or _today()
    with request.app.state.sessions() as session:
        _reader(request, session)
        data = pack_workbook(meeting_pack(session, day))
    return _attachment(data, XLSX, f"tai-lieu-hop-ban-chi-dao-{day.isoformat()}.xlsx")


@router.get("/committee/pack.pdf")
def pack_pdf_file(request: Request, as_of: AsOf) -> Response:
    """The meeting pack as PDF, as of a day."""
    day = as_of or _today()
    with request.app.state.sessions() as session:
        _reader(request, session)
        data = pack_pdf(meeting_pack(session, day))
    return _attachment(data, "application/pdf", f"tai-lieu-hop-ban-chi-dao-{day.isoformat()}.pdf")
