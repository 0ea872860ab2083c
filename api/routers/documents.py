"""Scanned documents attached to case events: upload (multipart), list, download.

The bytes are stored outside the database (``<data_dir>/documents``) with a SHA-256
checksum that is verified again on every download.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import FileResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from api.deps import CurrentUser, FieldWriter, SessionDep, SettingsDep
from api.errors import STATUS_BY_ERROR, TOO_LARGE_VI, PayloadTooLarge, problem, problems
from api.http import Id
from api.routers.case_writes import current_state_on_conflict
from api.schemas import DocumentOut
from gis.cases.documents import MAX_DOCUMENT_BYTES, list_documents, open_document, store_document
from gis.core.settings import Settings
from gis.models import CaseDocument

router = APIRouter(prefix="/api", tags=["documents"])
UPLOAD_PATH_SUFFIX = "/documents"
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the file


def storage_root(settings: Settings) -> Path:
    """Where document bytes are kept."""
    return settings.data_dir / "documents"


def _out(doc: CaseDocument) -> DocumentOut:
    return DocumentOut(id=doc.id, case_id=doc.case_id, event_id=doc.event_id,
                       filename=doc.filename, media_type=doc.media_type,
                       size_bytes=doc.size_bytes, sha256=doc.sha256,
                       uploaded_by=doc.uploaded_by, uploaded_at=doc.uploaded_at,
                       url=f"/api/documents/{doc.id}")


class UploadSizeGuard:
    """ASGI middleware: refuse an upload whose declared ``Content-Length`` is over the
    limit with 413 before any of the body is read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check POSTs to ``…/documents``."""
        if (scope["type"] == "http" and scope["method"] == "POST"
                and scope["path"].startswith("/api/cases/")
                and scope["path"].endswith(UPLOAD_PATH_SUFFIX)):
            length = dict(scope["headers"]).get(b"content-length")
            if length is not None and length.isdigit() and (
                    int(length) > MAX_DOCUMENT_BYTES + MULTIPART_OVERHEAD):
                response = problem(STATUS_BY_ERROR[PayloadTooLarge], PayloadTooLarge.code,
                                   TOO_LARGE_VI, TOO_LARGE_VI,
                                   extra={"reason": "too_large",
                                          "max_bytes": MAX_DOCUMENT_BYTES})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


@router.post("/cases/{case_id}/events/{event_id}/documents", response_model=DocumentOut,
             status_code=201, responses=problems(401, 403, 404, 413, 422),
             summary="Attach a scanned document (PDF or JPEG, ≤ 10 MB) to a case event")
def upload_document(
    case_id: Id, event_id: Id,
    file: Annotated[UploadFile, File(description="PDF or JPEG scan, at most 10 MB")],
    user: FieldWriter, session: SessionDep, settings: SettingsDep,
) -> DocumentOut:
    """The real type is read from the file's content, not its name. Staff and admin; field
    users only on their assigned projects/communes."""
    data = file.file.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise PayloadTooLarge("file too large", reason="too_large",
                              max_bytes=MAX_DOCUMENT_BYTES)
    with current_state_on_conflict(session, None, user):
        doc = store_document(session, storage_root(settings), case_id, event_id,
                             file.filename, data, user.id)
        out = _out(doc)
        session.commit()
    return out


@router.get("/cases/{case_id}/documents", response_model=list[DocumentOut],
            responses=problems(401, 404, 422), summary="Documents attached to a case")
def get_case_documents(case_id: Id, user: CurrentUser, session: SessionDep
                       ) -> list[DocumentOut]:
    """Oldest first; ``url`` downloads the file."""
    return [_out(d) for d in list_documents(session, case_id, scope=user.scope)]


@router.get("/documents/{doc_id}", response_class=FileResponse,
            responses={200: {"description": "The file as stored (checksum verified)",
                             "content": {"application/pdf": {},
                                         "image/jpeg": {}}},
                       **problems(401, 404, 409, 422)},
            summary="Download a document")
def get_document(doc_id: Id, user: CurrentUser, session: SessionDep,
                 settings: SettingsDep) -> FileResponse:
    """The bytes with their media type; 409 if the stored file no longer matches its
    checksum (altered or damaged)."""
    doc, path = open_document(session, storage_root(settings), doc_id, scope=user.scope)
    return FileResponse(path, media_type=doc.media_type, filename=doc.filename,
                        content_disposition_type="attachment")
