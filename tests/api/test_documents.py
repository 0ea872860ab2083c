"""Scanned documents over HTTP: upload (PDF/JPEG by magic bytes), list, download the same
bytes, refusals (type, size, foreign event, roles), checksum verification on download, and
the append-only table."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.schemas import DocumentOut
from gis.cases.documents import MAX_DOCUMENT_BYTES, clean_filename
from gis.core.settings import Settings
from tests.api.conftest import ApiWorld

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00" + b"\x00" * 64


def _event(client: TestClient, world: ApiWorld, offset: int = 0) -> tuple[int, int]:
    case = int(str(world.scalar(
        "SELECT id FROM clearance_cases WHERE project_id = :p ORDER BY id OFFSET :o LIMIT 1",
        p=world.project_id, o=40 + offset)))
    note = {"kind": "note", "occurred_on": "2026-01-07", "note": "Kèm bản quét"}
    res = client.post(f"/api/cases/{case}/events", json=note, headers=world.auth("staff"))
    assert res.status_code == 201, res.text
    return case, int(res.json()["event_id"])


def _url(case: int, event: int) -> str:
    return f"/api/cases/{case}/events/{event}/documents"


def _rows(world: ApiWorld) -> int:
    return int(str(world.scalar("SELECT count(*) FROM case_documents")))


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.fixture
def root(test_settings: Settings) -> Path:
    return test_settings.data_dir / "documents"


def test_upload_list_download(client: TestClient, world: ApiWorld, root: Path) -> None:
    case, event = _event(client, world)
    h = world.auth("staff")
    pdf = client.post(_url(case, event), headers=h,
                      files={"file": ("Quyết định 12/QĐ.pdf", PDF, "application/octet-stream")})
    assert pdf.status_code == 201, pdf.text
    doc = DocumentOut.model_validate(pdf.json())
    assert doc.media_type == "application/pdf" and doc.size_bytes == len(PDF)
    assert doc.sha256 == hashlib.sha256(PDF).hexdigest() and "/" not in doc.filename
    assert (root / doc.sha256[:2] / doc.sha256).read_bytes() == PDF
    # a JPEG named .pdf by the client is stored as what it really is
    jpg = client.post(_url(case, event), headers=h,
                      files={"file": ("anh.pdf", JPEG, "application/pdf")})
    assert jpg.status_code == 201, jpg.text
    jdoc = DocumentOut.model_validate(jpg.json())
    assert jdoc.media_type == "image/jpeg" and jdoc.filename.endswith(".jpg")
    # identical content is stored once
    again = client.post(_url(case, event), headers=h, files={"file": ("x.pdf", PDF)})
    assert again.status_code == 201
    assert len([p for p in _files(root) if p.name == doc.sha256]) == 1

    listed = client.get(f"/api/cases/{case}/documents", headers=world.auth("leader"))
    assert listed.status_code == 200
    ids = [DocumentOut.model_validate(d).id for d in listed.json()]
    assert ids == [doc.id, jdoc.id, again.json()["id"]]

    got = client.get(doc.url, headers=world.auth("field"))
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert "attachment" in got.headers["content-disposition"]
    assert "filename*=utf-8''" in got.headers["content-disposition"].lower()
    got = client.get(jdoc.url, headers=world.auth("leader"))
    assert got.content == JPEG and got.headers["content-type"] == "image/jpeg"


@pytest.mark.parametrize(("name", "data"), [("scan.pdf", PNG), ("quyet-dinh.pdf", EXE),
                                            ("rong.pdf", b"")])
def test_wrong_type_is_refused_and_nothing_stored(client: TestClient, world: ApiWorld,
                                                  root: Path, name: str, data: bytes) -> None:
    case, event = _event(client, world)
    before_rows, before_files = _rows(world), _files(root)
    res = client.post(_url(case, event), headers=world.auth("staff"),
                      files={"file": (name, data, "application/pdf")})
    assert res.status_code == 422
    assert res.headers["content-type"].startswith("application/problem+json")
    assert "PDF" in res.json()["title"] or "rỗng" in res.json()["title"]
    assert _rows(world) == before_rows and _files(root) == before_files


def test_too_large_is_refused(client: TestClient, world: ApiWorld, root: Path) -> None:
    case, event = _event(client, world)
    before_rows, before_files = _rows(world), _files(root)
    big = PDF + b"\x00" * MAX_DOCUMENT_BYTES
    res = client.post(_url(case, event), headers=world.auth("staff"),
                      files={"file": ("lon.pdf", big, "application/pdf")})
    assert res.status_code == 413
    assert res.json()["title"] == "Tệp quá lớn: tối đa 10 MB."
    # just over the limit, under the Content-Length guard: refused after reading limit + 1
    edge = PDF + b"\x00" * (MAX_DOCUMENT_BYTES + 1 - len(PDF))
    res = client.post(_url(case, event), headers=world.auth("staff"),
                      files={"file": ("lon.pdf", edge, "application/pdf")})
    assert res.status_code == 413 and res.json()["extra"]["reason"] == "too_large"
    assert _rows(world) == before_rows and _files(root) == before_files


def test_event_of_another_case_and_roles(client: TestClient, world: ApiWorld) -> None:
    case, event = _event(client, world)
    other, _ = _event(client, world, offset=1)
    files = {"file": ("a.pdf", PDF, "application/pdf")}
    res = client.post(_url(other, event), headers=world.auth("staff"), files=files)
    assert res.status_code == 404 and res.json()["extra"]["reason"] == "event_not_found"
    assert client.post(_url(case, event), headers=world.auth("leader"),
                       files=files).status_code == 403
    assert client.post(_url(case, event), files=files).status_code == 401
    res = client.post(_url(case, event), headers=world.auth("field2"), files=files)
    assert res.status_code == 403 and res.json()["extra"]["reason"] == "out_of_scope"
    assert client.post(_url(case, event), headers=world.auth("field"),
                       files=files).status_code == 201
    assert client.get(f"/api/cases/{case}/documents").status_code == 401
    assert client.get("/api/documents/2147483000",
                      headers=world.auth("leader")).status_code == 404


def test_tampered_file_is_not_served(client: TestClient, world: ApiWorld, root: Path) -> None:
    case, event = _event(client, world)
    data = PDF + b"% unique tamper test\n"
    doc = DocumentOut.model_validate(client.post(
        _url(case, event), headers=world.auth("staff"),
        files={"file": ("t.pdf", data, "application/pdf")}).json())
    stored = root / doc.sha256[:2] / doc.sha256
    stored.write_bytes(data.replace(b"unique", b"UNIQUE"))
    res = client.get(doc.url, headers=world.auth("staff"))
    assert res.status_code == 409
    assert res.json()["extra"]["reason"] == "checksum_mismatch"
    assert "SHA-256" in res.json()["title"]
    stored.unlink()
    res = client.get(doc.url, headers=world.auth("staff"))
    assert res.status_code == 409 and res.json()["extra"]["reason"] == "file_missing"


def test_documents_are_append_only(client: TestClient, world: ApiWorld) -> None:
    case, event = _event(client, world)
    assert client.post(_url(case, event), headers=world.auth("staff"),
                       files={"file": ("a.pdf", PDF)}).status_code == 201
    for sql in ("UPDATE case_documents SET filename = 'x.pdf'", "DELETE FROM case_documents",
                "TRUNCATE case_documents CASCADE"):
        with world.engine.connect() as conn, pytest.raises(
                DBAPIError, match="table case_documents is append-only"):
            conn.execute(text(sql))
    # field_actions (0013) references case_documents: a plain TRUNCATE is refused by that
    # foreign key before the append-only trigger is reached
    with world.engine.connect() as conn, pytest.raises(DBAPIError, match="foreign key"):
        conn.execute(text("TRUNCATE case_documents"))


def test_clean_filename() -> None:
    assert clean_filename("../../etc/passwd", "application/pdf") == "passwd.pdf"
    assert clean_filename('C:\\scan\\a"b;.jpeg', "image/jpeg") == "a_b_.jpeg"
    assert clean_filename("", "image/jpeg") == "tai-lieu.jpg"
    assert len(clean_filename("x" * 500 + ".pdf", "application/pdf")) == 200
