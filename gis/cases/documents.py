"""Scanned documents (PDF/JPEG) attached to a case event.

The bytes are stored outside the database, content-addressed by SHA-256 under
``<root>/<sha[:2]>/<sha>`` (written to a temporary file, then renamed atomically; identical
content is stored once). The row with the checksum is inserted in the caller's transaction;
reading verifies the checksum so a damaged or altered file is never served.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.access.scope import Scope, case_place, require_case
from gis.core.errors import Conflict, InvalidInput, NotFound
from gis.models import CaseDocument, CaseEvent, ClearanceCase
from gis.workflow.boundary import act_as

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
PDF = "application/pdf"
JPEG = "image/jpeg"
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg"}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')
_CHUNK = 1024 * 1024


def sniff_media_type(data: bytes) -> str | None:
    """The real type by magic bytes (never the name or the client's content type)."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    return None


def clean_filename(name: str | None, media_type: str) -> str:
    """A safe display name: no directories, control or shell/header characters, at most
    200 characters, ending in the extension of the real type."""
    base = unicodedata.normalize("NFC", name or "")
    base = base.replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip(" ._") or "tai-lieu"
    ext = EXTENSIONS[media_type]
    allowed = {ext, ".jpeg"} if media_type == JPEG else {ext}
    if Path(base).suffix.lower() not in allowed:
        base += ext
    if len(base) > 200:
        base = base[: 200 - len(ext)] + ext
    return base


def document_path(root: Path, sha256: str) -> Path:
    """Where the bytes with this checksum live."""
    return root / sha256[:2] / sha256


def _write_once(root: Path, sha256: str, data: bytes) -> Path:
    target = document_path(root, sha256)
    if target.is_file() and _file_sha256(target) == sha256:
        return target  # identical content already stored
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def store_document(session: Session, root: Path, case_id: int, event_id: int,
                   filename: str | None, data: bytes, actor_id: int) -> CaseDocument:
    """Check and store a scan for ``event_id`` of ``case_id``; returns the new (flushed) row.

    Field users may attach documents only to cases in their assigned projects/communes;
    leaders never. Nothing is written when any check fails.
    """
    case = session.get(ClearanceCase, case_id)
    if case is None:
        raise NotFound(f"case {case_id}", message_vi="Không tìm thấy hồ sơ số {case_id}.",
                       params={"case_id": str(case_id)},
                       reason="case_not_found")
    act_as(session, actor_id, case, field_may=True)
    event = session.scalar(select(CaseEvent).where(CaseEvent.id == event_id,
                                                   CaseEvent.case_id == case_id))
    if event is None:
        raise NotFound(f"event {event_id} not in case {case_id}",
                       message_vi="Bước/sự kiện số {event} không thuộc hồ sơ số {case_id}.",
                       params={"event": str(event_id), "case_id": str(case_id)},
                       reason="event_not_found")
    if not data:
        raise InvalidInput("empty file", message_vi="Tệp tải lên rỗng.", reason="empty_file")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InvalidInput(f"{len(data)} bytes", message_vi="Tệp quá lớn: tối đa 10 MB.",
                           reason="too_large", max_bytes=MAX_DOCUMENT_BYTES)
    media_type = sniff_media_type(data)
    if media_type is None:
        raise InvalidInput("not a PDF or JPEG", message_vi="Chỉ nhận tệp PDF hoặc ảnh JPEG "
                           "(nội dung tệp không phải PDF/JPEG, dù tên tệp có thể ghi như vậy).",
                           reason="unsupported_type")
    sha256 = hashlib.sha256(data).hexdigest()
    _write_once(root, sha256, data)
    doc = CaseDocument(case_id=case_id, event_id=event_id,
                       filename=clean_filename(filename, media_type), media_type=media_type,
                       size_bytes=len(data), sha256=sha256, uploaded_by=actor_id)
    session.add(doc)
    session.flush()
    return doc


def list_documents(session: Session, case_id: int, *, scope: Scope) -> list[CaseDocument]:
    """The documents of a case, oldest first (404 when the case does not exist or is
    outside ``scope``)."""
    require_case(session, scope, case_id)
    return list(session.scalars(select(CaseDocument).where(CaseDocument.case_id == case_id)
                                .order_by(CaseDocument.id)))


def open_document(session: Session, root: Path, doc_id: int, *, scope: Scope
                  ) -> tuple[CaseDocument, Path]:
    """The row and the stored file, after checking the file still has its checksum.
    A document of a case outside ``scope`` is "not found", like one that does not exist
    (sequential ids cannot be probed)."""
    doc = session.get(CaseDocument, doc_id)
    place = case_place(session, doc.case_id) if doc is not None else None
    if doc is None or place is None or not scope.allows(*place):
        raise NotFound(f"document {doc_id}",
                       message_vi="Không tìm thấy tài liệu số {document}.",
                       params={"document": str(doc_id)},
                       reason="document_not_found")
    path = document_path(root, doc.sha256)
    if not path.is_file():
        raise Conflict(f"file of document {doc_id} missing",
                       message_vi="Tệp lưu trữ của tài liệu không còn trên máy chủ; "
                       "vui lòng báo quản trị.", reason="file_missing", document_id=doc_id)
    if _file_sha256(path) != doc.sha256:
        raise Conflict(f"checksum mismatch for document {doc_id}",
                       message_vi="Tệp lưu trữ của tài liệu đã bị thay đổi hoặc hỏng (sai mã "
                       "kiểm tra SHA-256); không thể tải xuống, vui lòng báo quản trị.",
                       reason="checksum_mismatch", document_id=doc_id)
    return doc, path
