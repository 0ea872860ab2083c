"""The tablet field view: ``/field`` and its small JSON feeds and on-site actions.

Thin: parse, call ``gis.field.site`` / the workflow, shape the response. Reads answer compact
JSON, gzipped when the client accepts it, with an ETag (a repeat answers 304) because
field teams work on weak signal. Writes (note, photo, on-site handover) need the session's
CSRF token in ``X-CSRF-Token`` and a same-origin ``Origin``/``Referer`` when one is sent,
like every other cookie-authenticated write; each is one transaction and takes an
``Idempotency-Key`` so a retried (queued) request is recorded once.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import CSRF_HEADER, check_csrf
from gis.access.accounts import scope_of
from gis.access.scope import Scope
from gis.cases.documents import JPEG, MAX_DOCUMENT_BYTES, sniff_media_type, store_document
from gis.core.calendar import local_today
from gis.core.domain import STEP_LABELS_VI, CaseStep, Role
from gis.core.errors import InvalidInput, NotFound
from gis.core.lookups import project_by_code
from gis.field import site as field
from gis.maps import layers as mapdata
from gis.models import CaseDocument, Project, User
from gis.workflow.service import record_note, record_step
from web.auth import LoginRequired, page_scope, page_session
from web.i18n import error_text
from web.maps import STEP_COLOURS
from web.templating import WEB_DIR, templates

router = APIRouter(include_in_schema=False)

TILE_URL = "/tiles/parcels/{z}/{x}/{y}.pbf"
GZIP_MIN_BYTES = 512
PHOTO_NOTE_VI = "Ảnh hiện trường"
SERVICE_WORKER = WEB_DIR / "static" / "field" / "field-sw.js"

ProjectCode = Annotated[str | None, Query(max_length=32)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def _sessions(request: Request) -> Session:
    session: Session = request.app.state.sessions()
    return session


def _viewer(request: Request) -> User:
    user: User = request.state.user  # set by require_page_user on every page route
    return user


def _project_id(session: Session, code: str | None, scope: Scope) -> int | None:
    if not code:
        return None
    try:  # out of scope is "no project" too: no probing of codes
        return project_by_code(session, code, scope=scope).id
    except NotFound:
        raise InvalidInput(f"no project {code!r}", message_vi=f"Không có dự án mã {code}.",
                           reason="unknown_project", field="project") from None


def compact_json(request: Request, payload: Any, *, status_code: int = 200) -> Response:
    """JSON without spaces, with an ETag (304 on a match), gzipped when accepted."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache",
               "Vary": "Accept-Encoding, Cookie"}
    if status_code == 200 and etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", "") and len(body) >= GZIP_MIN_BYTES:
        body = gzip.compress(body, compresslevel=6, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return Response(body, status_code=status_code, media_type="application/json",
                    headers=headers)


def field_writer(request: Request) -> User:
    """The signed-in user of a write, after the API's same-origin and CSRF checks (the
    token in the ``X-CSRF-Token`` header) on the session ``require_page_user`` found."""
    presented = page_session(request)
    if presented is None:
        raise LoginRequired
    check_csrf(request, presented, request.headers.get(CSRF_HEADER))
    return presented.user


Writer = Annotated[User, Depends(field_writer)]


@router.get("/field", response_class=HTMLResponse)
def field_page(request: Request, project: ProjectCode = None) -> HTMLResponse:
    """Full-screen map for tablets: locate me, parcel look-up, the parcel card."""
    scope = page_scope(request)
    with _sessions(request) as session:
        project_id = _project_id(session, project, scope)
        chosen = session.get(Project, project_id) if project_id else None
        communes = field.communes_for(session, project_id, scope)
        bounds = mapdata.project_bounds(session, project_id) if project_id else None
        projects = session.execute(select(Project.code, Project.name)
                                   .where(scope.project_clause())
                                   .order_by(Project.code)).all()
        viewer = _viewer(request)
        unassigned = viewer.role == Role.FIELD and scope_of(session, viewer.id).empty
    tiles = TILE_URL + (f"?project={project}" if project else "")
    config = {"project": project or "", "tileUrl": tiles, "bounds": bounds,
              "colours": {s.value: c for s, c in STEP_COLOURS.items()},
              "steps": {s.value: label for s, label in STEP_LABELS_VI.items()},
              "user": {"name": _viewer(request).full_name,
                       "role": _viewer(request).role.value}}
    context = {"project": chosen, "projects": [(r.code, r.name) for r in projects],
               "communes": communes, "config": config, "unassigned": unassigned}
    return templates.TemplateResponse(request, "field.html", context,
                                      headers={"Cache-Control": "no-cache"})


@router.get("/field/sw.js")
def service_worker() -> Response:
    """The field view's service worker, served from /field so that it may control /field."""
    return Response(SERVICE_WORKER.read_bytes(), media_type="text/javascript",
                    headers={"Service-Worker-Allowed": "/field", "Cache-Control": "no-cache"})


@router.get("/field/api/locate")
def locate(request: Request, lat: Annotated[float, Query(ge=-90, le=90)],
           lon: Annotated[float, Query(ge=-180, le=180)], project: ProjectCode = None,
           radius: Annotated[float, Query(gt=0, le=field.MAX_RADIUS_M)] = field.NEARBY_RADIUS_M,
           ) -> Response:
    """The parcel under a GPS point (with its card) and the parcels nearby."""
    scope = page_scope(request)
    with _sessions(request) as session:
        project_id = _project_id(session, project, scope)
        here = field.parcel_at(session, lat, lon, project_id=project_id, scope=scope)
        card = None
        if here is not None:
            card = field.parcel_card(session, here["parcel_id"], project_id=project_id,
                                     user=_viewer(request), today=local_today(),
                                     render=error_text)
        nearby = field.nearby_parcels(session, lat, lon, project_id=project_id,
                                      radius_m=radius, scope=scope)
    return compact_json(request, {"lat": lat, "lon": lon, "card": card, "nearby": nearby})


@router.get("/field/api/lookup")
def lookup(request: Request, commune: Annotated[str, Query(pattern=r"^[0-9]{5}$")],
           sheet: Annotated[int, Query(ge=0, le=99_999)],
           parcel: Annotated[int, Query(ge=0, le=999_999)],
           project: ProjectCode = None) -> Response:
    """Parcels by commune + sheet + parcel number."""
    scope = page_scope(request)
    with _sessions(request) as session:
        hits = field.lookup_parcel(session, commune, sheet, parcel, scope=scope,
                                   project_id=_project_id(session, project, scope))
    return compact_json(request, {"results": hits})


@router.get("/field/api/parcels/{parcel_id}")
def parcel_card(request: Request, parcel_id: int, project: ProjectCode = None) -> Response:
    """The field card of one parcel."""
    with _sessions(request) as session:
        card = field.parcel_card(session, parcel_id,
                                 project_id=_project_id(session, project, page_scope(request)),
                                 user=_viewer(request), today=local_today(), render=error_text)
    return compact_json(request, card)


class NoteIn(BaseModel):
    """A note written on site."""

    note: str = Field(min_length=1, max_length=2000)


class HandoverIn(BaseModel):
    """The on-site handover, against the case version the user saw."""

    version: int = Field(ge=1)
    minutes_no: str = Field(min_length=1, max_length=100, examples=["21/BB-BGMB"],
                            description="number of the handover minutes signed on site today")
    note: str | None = Field(default=None, max_length=2000)


def _written(request: Request, result: Any, **extra: Any) -> Response:
    return compact_json(request, {"event_id": result.event_id, "case_id": result.case_id,
                                  "step": result.step.value, "version": result.version,
                                  "replayed": result.replayed, **extra}, status_code=201)


@router.post("/field/api/cases/{case_id}/notes")
def add_note(request: Request, case_id: int, body: NoteIn, user: Writer,
             idempotency_key: IdempotencyKey = None) -> Response:
    """Add a dated note to the case (field users: on their assigned projects/communes)."""
    with _sessions(request) as session:
        result = record_note(session, case_id, body.note, actor_id=user.id,
                             idempotency_key=idempotency_key)
        session.commit()
    return _written(request, result)


@router.post("/field/api/cases/{case_id}/handover")
def confirm_handover(request: Request, case_id: int, body: HandoverIn, user: Writer,
                     idempotency_key: IdempotencyKey = None) -> Response:
    """Confirm on site, today, that the land was handed over (only from 'decided and paid')."""
    with _sessions(request) as session:
        result = record_step(session, case_id, CaseStep.HANDED_OVER,
                             expected_version=body.version, occurred_on=local_today(),
                             decision_no=body.minutes_no, decision_date=local_today(),
                             note=body.note, actor_id=user.id,
                             idempotency_key=idempotency_key)
        session.commit()
    return _written(request, result)


def _documents_root(request: Request) -> Path:
    # The same place as the documents API (api.routers.documents.storage_root).
    root: Path = request.app.state.settings.data_dir / "documents"
    return root


@router.post("/field/api/cases/{case_id}/photos")
def add_photo(request: Request, case_id: int, user: Writer,
              photo: Annotated[UploadFile, File()],
              note: Annotated[str | None, Form(max_length=2000)] = None,
              idempotency_key: IdempotencyKey = None) -> Response:
    """A photo from the camera (JPEG), kept as a document of a new note event; one
    transaction for both."""
    data = photo.file.read(MAX_DOCUMENT_BYTES + 1)
    if data and sniff_media_type(data) != JPEG:
        raise InvalidInput("photo is not a JPEG", message_vi="Ảnh hiện trường phải là ảnh "
                           "JPEG (chụp từ máy ảnh).", reason="unsupported_type", field="photo")
    with _sessions(request) as session:
        result = record_note(session, case_id, (note or "").strip() or PHOTO_NOTE_VI,
                             actor_id=user.id, idempotency_key=idempotency_key)
        doc_id = None
        if result.replayed:
            doc_id = session.scalar(select(CaseDocument.id).where(
                CaseDocument.event_id == result.event_id).order_by(CaseDocument.id))
        if doc_id is None:
            doc = store_document(session, _documents_root(request), case_id, result.event_id,
                                 photo.filename or "anh-hien-truong.jpg", data, user.id)
            doc_id = doc.id
        session.commit()
    return _written(request, result, document_id=doc_id)
