"""``/api/imports``: parcel files uploaded by staff, dry-run checked, then confirmed.

Upload (multipart) → the file is stored and checked at once (nothing written) → change the
options (CRS confirmation, layer, field mapping) and check again as needed → confirm the
last check by its ``check_id``: imported atomically, or 409 if the survey changed since.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic.dataclasses import dataclass
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from api.deps import CaseWriter, Principal, SessionDep, SettingsDep
from api.errors import problems
from gis.access.scope import require_province
from gis.core.errors import InvalidInput
from gis.core.settings import Settings
from gis.ingest import uploads
from gis.ingest.fields import KNOWN_FIELDS
from gis.ingest.guards import UploadTooLarge
from gis.ingest.locks import run_unless_abandoned

router = APIRouter(prefix="/api/imports", tags=["imports"])
MULTIPART_OVERHEAD = 64 * 1024
UploadId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="Upload id")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SURVEY_MAX = 200
UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "GeoPackage, zipped Shapefile, GeoJSON or FGB"},
                   "survey": {"type": "string", "maxLength": SURVEY_MAX,
                              "description": "Survey name (default: the file name)"}}}}}}}


class UploadFieldsIn(BaseModel):
    """The text fields of the upload form (checked as the document says)."""

    survey: str | None = Field(default=None, max_length=SURVEY_MAX)


class ImportOptionsIn(BaseModel):
    """Choices for a check: a CRS confirmed by a person, the layer, extra field mappings."""

    survey: str | None = Field(default=None, max_length=200)
    crs: str | None = Field(default=None, max_length=200, examples=["EPSG:9215"])
    layer: str | None = Field(default=None, max_length=200)
    commune: str | None = Field(default=None, pattern=r"^\d{5}$")
    mapping: dict[str, str] = Field(default_factory=dict,
                                    description="parcel field → column of the file")
    land_use: str | None = Field(default=None, max_length=16, examples=["LUC"],
                                 description="Land-use code for every parcel without one")
    area_from_geometry: bool = Field(
        default=False, description="Legal area from the drawn boundary where none is given")

    @field_validator("mapping")
    @classmethod
    def _known_targets(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(KNOWN_FIELDS))
        if unknown:
            raise ValueError(f"unknown parcel field(s) {unknown}; use {sorted(KNOWN_FIELDS)}")
        return value


class ConfirmIn(BaseModel):
    """Confirm the dry run ``check_id``; ``confirm_paid`` also applies changes to parcels
    whose cases have payments (otherwise those are held back and listed)."""

    check_id: str = Field(min_length=1, max_length=64)
    confirm_paid: bool = False


class ProblemOut(BaseModel):
    """One row of the validation report."""

    row: int | None
    parcel: str
    code: str
    severity: str
    field: str | None
    message_vi: str


class RejectionOut(BaseModel):
    """Why the file as a whole could not be checked or imported."""

    code: str
    message_vi: str
    layers: list[str] = []
    candidate: str | None = None


class CrsCandidateOut(BaseModel):
    """A CRS the coordinates look like."""

    srid: int
    label_vi: str
    in_province: bool


class DryRunOut(BaseModel):
    """The last check (nothing written)."""

    check_id: str
    checked_at: str
    ok: bool
    nothing_changes: bool
    needs: str | None
    survey: str
    format_vi: str
    layers: list[str]
    layer: str | None
    columns: list[str]
    mapping: dict[str, str]
    unmapped: list[str]
    crs: str | None
    crs_confirmed: bool
    crs_candidates: list[CrsCandidateOut]
    encoding: str
    features: int
    rejection: RejectionOut | None
    problems: list[ProblemOut]
    problem_total: int
    error_total: int
    counts: dict[str, int]
    held: list[dict[str, Any]]
    report_xlsx: str | None
    report_geojson: str | None


# The fields are the domain's own (``uploads.Committed``); this adds the API's name and the
# description of ``batch_id``.
@dataclass
class CommittedOut(uploads.Committed):
    """What the confirmed import did."""

    batch_id: int | None = Field(None, description="The import batch recorded for it")


class ImportOut(BaseModel):
    """An upload and where it is: uploaded → checked/rejected → committed."""

    id: str
    filename: str
    size_bytes: int
    sha256: str
    created_at: str
    status: str
    options: ImportOptionsIn
    dry_run: DryRunOut | None
    committed: CommittedOut | None


def _out(up: uploads.Upload) -> ImportOut:
    run = up.dry_run
    dry: DryRunOut | None = None
    if run is not None:
        base = f"/api/imports/{up.id}/report"
        dry = DryRunOut(
            **{k: v for k, v in vars(run).items() if k not in ("fingerprint",)},
            nothing_changes=run.nothing_changes, needs=run.needs, unmapped=run.unmapped,
            report_xlsx=f"{base}.xlsx" if run.has_report else None,
            report_geojson=f"{base}.geojson" if run.has_report else None)
    return ImportOut(id=up.id, filename=up.filename, size_bytes=up.size_bytes,
                     sha256=up.sha256, created_at=up.created_at, status=up.status,
                     options=ImportOptionsIn(**vars(up.options)), dry_run=dry,
                     committed=CommittedOut(**vars(up.committed)) if up.committed else None)


IMPORT_VI = "Nhập dữ liệu địa chính (cập nhật thửa đất và hồ sơ của cả tỉnh)"


def _root(settings: Settings) -> Any:
    return uploads.uploads_root(settings.data_dir)


def _actor(user: Principal) -> str:
    return f"web:{user.username}"


def upload_limit(request: Request, settings: SettingsDep) -> None:
    """413 before the body is read when the declared length is over the limit."""
    length = request.headers.get("content-length", "")
    limit = settings.import_max_mb * 1024**2
    if length.isdigit() and int(length) > limit + MULTIPART_OVERHEAD:
        raise UploadTooLarge("upload too large", reason="too_large", max_bytes=limit,
                             message_vi=f"Tệp quá lớn: tối đa {settings.import_max_mb} MB.")


def _store_and_check(session: Session, settings: Settings, user: Principal,
                     file: UploadFile, survey: str | None) -> ImportOut:
    root = _root(settings)
    up = uploads.store_upload(root, user.id, file.filename, file.file,
                              settings.import_max_mb * 1024**2)
    up = uploads.check_upload(session, root, up, uploads.ImportOptions(survey=survey or None),
                              actor=_actor(user))
    return _out(up)


@router.post("", response_model=ImportOut, status_code=201, openapi_extra=UPLOAD_BODY,
             dependencies=[Depends(upload_limit)],
             responses=problems(400, 401, 403, 413, 422),
             summary="Upload a parcel file and check it (nothing is written)")
async def upload_import(request: Request, user: CaseWriter, session: SessionDep,
                        settings: SettingsDep) -> ImportOut:
    """Stores the file under the data directory and runs a dry run at once: format, layer,
    CRS, encoding, field mapping, validation report, and what the import would change."""
    require_province(user.scope, IMPORT_VI)
    form = await request.form(max_files=1, max_fields=10)
    try:
        file = form.get("file")
        survey = form.get("survey")
        if not isinstance(file, UploadFile):
            raise InvalidInput("no file part", reason="file_missing",
                               message_vi="Chưa chọn tệp để tải lên.")
        try:
            fields = UploadFieldsIn.model_validate(
                {"survey": survey if isinstance(survey, str) else None})
        except ValidationError as exc:
            raise RequestValidationError([{**err, "loc": ("body", *err["loc"])}
                                          for err in exc.errors()]) from None
        name = fields.survey.strip() if fields.survey else None
        return await run_in_threadpool(_store_and_check, session, settings, user, file, name)
    finally:
        await form.close()  # the spooled temporary copy of the upload


@router.get("/{upload_id}", response_model=ImportOut, responses=problems(401, 403, 404, 422),
            summary="An upload and its last check")
def get_import(upload_id: UploadId, user: CaseWriter, settings: SettingsDep) -> ImportOut:
    """Only the person who uploaded the file sees it."""
    return _out(uploads.load_upload(_root(settings), upload_id, user.id))


@router.post("/{upload_id}/check", response_model=ImportOut,
             responses=problems(401, 403, 404, 409, 422),
             summary="Check the upload again with new options (nothing is written)")
def check_import(upload_id: UploadId, options: ImportOptionsIn, user: CaseWriter,
                 session: SessionDep, settings: SettingsDep) -> ImportOut:
    """E.g. confirm the CRS the coordinates look like, choose a layer, map a column."""
    root = _root(settings)
    up = uploads.load_upload(root, upload_id, user.id)
    opts = uploads.ImportOptions(**options.model_dump())
    return _out(uploads.check_upload(session, root, up, opts, actor=_actor(user)))


@router.post("/{upload_id}/confirm", response_model=ImportOut,
             responses=problems(401, 403, 404, 409, 422),
             summary="Import the upload as its last check showed")
async def confirm_import(upload_id: UploadId, body: ConfirmIn, user: CaseWriter,
                         request: Request, settings: SettingsDep) -> ImportOut:
    """All or nothing; 409 when ``check_id`` is not the last check or the survey changed
    since (check again, then confirm), or when another import of the survey is running.
    A client that disconnects cancels the import in the database (nothing is written)."""
    require_province(user.scope, IMPORT_VI)
    root = _root(settings)
    up = await run_in_threadpool(uploads.load_upload, root, upload_id, user.id)
    done = await run_unless_abandoned(
        lambda canceller: uploads.confirm_upload(
            request.app.state.sessions, root, up, body.check_id,
            confirm_paid=body.confirm_paid, actor=_actor(user), canceller=canceller),
        request.is_disconnected)
    return _out(done)


def _report(upload_id: str, user: Principal, settings: Settings, kind: str) -> FileResponse:
    root = _root(settings)
    up = uploads.load_upload(root, upload_id, user.id)
    path = uploads.report_path(root, up, kind)
    stem = up.filename.rsplit(".", 1)[0]
    media = XLSX if kind == "xlsx" else "application/geo+json"
    return FileResponse(path, media_type=media, filename=f"kiem-tra-{stem}.{kind}",
                        content_disposition_type="attachment")


@router.get("/{upload_id}/report.xlsx", response_class=FileResponse,
            responses={200: {"description": "Validation report", "content": {XLSX: {}}},
                       **problems(401, 403, 404, 422)},
            summary="The last check's report as Excel")
def import_report_xlsx(upload_id: UploadId, user: CaseWriter,
                       settings: SettingsDep) -> FileResponse:
    """Row, parcel, severity, code, field, what is wrong and how to fix it."""
    return _report(upload_id, user, settings, "xlsx")


@router.get("/{upload_id}/report.geojson", response_class=FileResponse,
            responses={200: {"description": "Problem features (WGS 84)",
                             "content": {"application/geo+json": {}}},
                       **problems(401, 403, 404, 422)},
            summary="The last check's problem features as GeoJSON")
def import_report_geojson(upload_id: UploadId, user: CaseWriter,
                          settings: SettingsDep) -> FileResponse:
    """Features of the rows with a problem, with the problem as properties."""
    return _report(upload_id, user, settings, "geojson")
