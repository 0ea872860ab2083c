"""Offline field work: taking an area offline (its size first, then the package), the
tablet's queued actions (one request each, exactly once per idempotency key) and their
status, and the staff page where conflicts and refusals are resolved.

Thin: parse, call ``gis.field.area`` / ``gis.field.sync`` / ``gis.field.conflicts``,
shape the answer. An action the server has taken answers 201 (200 for a repeat) whatever
became of it — applied, conflict or refused, said in ``outcome`` — so that the tablet
knows it may leave the queue; anything else (signed out, bad input) is a problem+json
error and the tablet keeps the action.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError

from api.deps import CSRF_COOKIE
from api.errors import status_for
from gis.access.scope import OFFICE_ROLES, load_scope
from gis.cases.documents import JPEG, MAX_DOCUMENT_BYTES, sniff_media_type
from gis.core.calendar import local_today
from gis.core.domain import STEP_LABELS_VI
from gis.core.errors import GpmbError, InvalidInput
from gis.core.formats import fmt_day, fmt_time, parse_day
from gis.field import area as field_area
from gis.field import conflicts as field_conflicts
from gis.field import sync as field_sync
from web.field_routes import (
    TILE_URL,
    Writer,
    _documents_root,
    _project_id,
    _sessions,
    _viewer,
    compact_json,
)
from web.i18n import error_text
from web.page_posts import PostRefused, check_page_csrf
from web.templating import templates

router = APIRouter(include_in_schema=False)

Text = Annotated[str | None, Query(max_length=32)]


AreaQuery = Annotated[str, Query(pattern="^(commune|section|worklist)$")]
Km = Annotated[str | None, Query(max_length=16)]
Cases = Annotated[str | None, Query(max_length=6000)]


def _spec(request: Request, kind: AreaQuery, project: Text = None, commune: Text = None,
          from_km: Km = None, to_km: Km = None, cases: Cases = None
          ) -> tuple[field_area.AreaSpec, dict[str, str]]:
    """The area asked for in the query (a dependency of both area routes)."""
    user = _viewer(request)
    with _sessions(request) as session:
        project_id = _project_id(session, project, load_scope(session, user.id, user.role))
    ids: tuple[int, ...] = ()
    if cases:
        try:
            ids = tuple(dict.fromkeys(int(c) for c in cases.replace(";", ",").split(",")
                                      if c.strip()))
        except ValueError:
            raise InvalidInput("cases", reason="bad_area", field="cases",
                               message_vi="Danh sách công việc: hãy ghi các mã hồ sơ là số, "
                               "cách nhau bằng dấu phẩy.") from None
    spec = field_area.AreaSpec(
        kind=kind, project_id=project_id, commune_code=commune,
        from_m=field_area.parse_chainage(from_km, "from_m") if from_km else None,
        to_m=field_area.parse_chainage(to_km, "to_m") if to_km else None, case_ids=ids)
    params = {k: v for k, v in {"kind": kind, "project": project, "commune": commune,
                                "from_km": from_km, "to_km": to_km, "cases": cases}.items() if v}
    return spec.checked(), params


def _build(request: Request, spec: field_area.AreaSpec) -> dict[str, Any]:
    user, today = _viewer(request), local_today()
    with _sessions(request) as session:
        parcels = field_area.area_parcels(session, spec, user)
        cards = field_area.area_cards(session, parcels, user, today)
        label = field_area.area_label(session, spec)
    return {"label": label, "cards": cards, "tiles": field_area.area_tiles(cards)}


Area = Annotated[tuple[field_area.AreaSpec, dict[str, str]], Depends(_spec)]


@router.get("/field/api/areas/estimate")
def area_estimate(request: Request, area: Area) -> Response:
    """What taking the area offline costs: parcels, tiles and bytes, before downloading."""
    spec, params = area
    built = _build(request, spec)
    _body, package_gz = field_area.package_bytes({"cards": built["cards"]})
    with _sessions(request) as session:
        tile_bytes = field_area.tile_bytes_estimate(session, built["tiles"],
                                                    project_id=spec.project_id,
                                                    today=local_today())
    return compact_json(request, {
        "label": built["label"], "params": params, "parcels": len(built["cards"]),
        "cases": sum(1 for c in built["cards"] if c["case"]), "tiles": len(built["tiles"]),
        "package_bytes": package_gz, "tile_bytes": tile_bytes,
        "total_bytes": package_gz + tile_bytes})


@router.get("/field/api/areas/package")
def area_package(request: Request, area: Area) -> Response:
    """The area's parcel cards (names, no ID or phone numbers) and its tile list."""
    spec, params = area
    project = params.get("project")
    built = _build(request, spec)
    tiles = TILE_URL + (f"?project={project}" if project else "")
    area_id = "|".join(f"{k}={v}" for k, v in sorted(params.items()))
    return compact_json(request, {
        "area": {"id": area_id, "label": built["label"], "params": params,
                 "parcels": len(built["cards"]),
                 "downloaded_at": dt.datetime.now(dt.UTC).isoformat()},
        "cards": built["cards"], "tile_url": tiles, "tiles": built["tiles"]})


class BaseIn(BaseModel):
    """The case as the tablet saw it when the action was made."""

    version: int = Field(ge=1)
    step: str = Field(max_length=32)
    paid_vnd: int = Field(ge=0)
    approved_vnd: int = Field(ge=0)
    complaint_open: bool = False
    handover_date: str | None = Field(default=None, max_length=10)


class GpsIn(BaseModel):
    """A GPS fix taken with the action."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float = Field(ge=0, le=100_000)


class ActionBody(BaseModel):
    """One queued field action (the ``action`` part of the form)."""

    key: str = Field(min_length=8, max_length=200)
    kind: Literal["handover", "note", "photo", "inventory"]
    case_id: int = Field(ge=1)
    base: BaseIn
    done_at: dt.datetime
    note: str | None = Field(default=None, max_length=2000)
    gps: GpsIn | None = None
    inventory_item: str | None = Field(default=None, max_length=200)
    inventory_found: bool | None = None
    minutes_no: str | None = Field(default=None, max_length=100)


def _action(raw: str) -> field_sync.ActionIn:
    try:
        body = ActionBody.model_validate_json(raw)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"]) or "action"
        raise InvalidInput(f"action: {exc.errors()[0]['msg']}", reason="bad_action",
                           field=where, message_vi=f"Thao tác hiện trường không hợp lệ "
                           f"(trường “{where}”); hãy cập nhật trang rồi thử lại.") from None
    return field_sync.ActionIn(
        key=body.key, kind=body.kind, case_id=body.case_id,
        base=field_sync.CaseState(**body.base.model_dump()), done_at=body.done_at,
        note=body.note, gps=field_sync.Gps(**body.gps.model_dump()) if body.gps else None,
        inventory_item=body.inventory_item, inventory_found=body.inventory_found,
        minutes_no=body.minutes_no)


@router.post("/field/api/actions")
def receive_action(request: Request, user: Writer, action: Annotated[str, Form(
        max_length=10_000)], photo: Annotated[UploadFile | None, File()] = None) -> Response:
    """Take one queued action (exactly once per key): applied, conflict or refused."""
    parsed = _action(action)
    data = None
    if photo is not None:
        data = photo.file.read(MAX_DOCUMENT_BYTES + 1)
        if sniff_media_type(data) != JPEG:
            raise InvalidInput("photo is not a JPEG", reason="unsupported_type",
                               field="photo", message_vi="Ảnh hiện trường phải là ảnh JPEG "
                               "(chụp từ máy ảnh).")
    with _sessions(request) as session:
        outcome = field_sync.receive_action(session, parsed, user, photo=data,
                                            photo_name=photo.filename if photo else None,
                                            documents_root=_documents_root(request))
        session.commit()
    return compact_json(request, outcome.as_json(),
                        status_code=200 if outcome.replayed else 201)


@router.get("/field/api/actions/status")
def action_status(request: Request, keys: Annotated[str, Query(max_length=20_000)]
                  ) -> Response:
    """What became of the signed-in user's conflicting or refused actions."""
    wanted = [k for k in keys.split(",") if k][:200]
    with _sessions(request) as session:
        found = field_conflicts.action_statuses(session, _viewer(request), wanted)
    return compact_json(request, {"actions": found})


# ---- the staff conflict page --------------------------------------------------------------

DECISIONS_VI = {"apply": "Đã áp dụng thao tác vào hồ sơ.",
                "edit": "Đã áp dụng thao tác (đã sửa) vào hồ sơ.",
                "discard": "Đã bỏ qua thao tác; hồ sơ giữ nguyên."}



def _conflict_page(request: Request, *, error: tuple[int, str] | None = None,
                   saved: str | None = None, status: int = 200) -> HTMLResponse:
    user = _viewer(request)
    with _sessions(request) as session:
        scope = load_scope(session, user.id, user.role)
        entries = field_conflicts.open_actions(session, scope)
        done = field_conflicts.recent_resolutions(session, scope)
    context = {"entries": entries, "done": done, "error": error,
               "saved": DECISIONS_VI.get(saved or ""),
               "csrf_token": request.cookies.get(CSRF_COOKIE, ""),
               "may_resolve": _viewer(request).role in OFFICE_ROLES,
               "step_label": lambda s: STEP_LABELS_VI.get(s, s) if s else "",
               "when": fmt_time, "local_day": fmt_day}
    return templates.TemplateResponse(request, "field_conflicts.html", context,
                                      status_code=status)


@router.get("/field/conflicts", response_class=HTMLResponse)
def conflicts_page(request: Request, saved: str | None = None) -> HTMLResponse:
    """Field actions the server did not apply, each beside the case as it is now."""
    return _conflict_page(request, saved=saved)


@router.post("/field/conflicts/{action_id}", response_class=HTMLResponse)
def resolve_conflict(request: Request, action_id: int,
                     decision: Annotated[Literal["apply", "edit", "discard"], Form()],
                     csrf_token: Annotated[str, Form(max_length=200)] = "",
                     note: Annotated[str, Form(max_length=2000)] = "",
                     edited_note: Annotated[str | None, Form(max_length=2000)] = None,
                     edited_on: Annotated[str, Form(max_length=40)] = "") -> Response:
    """Apply (as sent or edited) or discard one conflict; the workflow decides again."""
    try:
        check_page_csrf(request, csrf_token)
    except PostRefused as refused:
        return _conflict_page(request, error=(action_id, refused.message),
                              status=refused.status)
    with _sessions(request) as session:
        try:
            field_conflicts.resolve_action(
                session, action_id, _viewer(request), apply=decision != "discard", note=note,
                edited_note=edited_note if decision == "edit" else None,
                edited_on=parse_day(edited_on, "edited_on")
                if decision == "edit" and edited_on.strip() else None)
            session.commit()
        except GpmbError as exc:
            session.rollback()
            return _conflict_page(request, error=(action_id, error_text(exc)),
                                  status=status_for(exc))
    return RedirectResponse(f"/field/conflicts?saved={decision}", status_code=303)
