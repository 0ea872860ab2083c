"""The HTTP edge: U+0000 refused everywhere with one 422, security headers on every answer,
no-store on personal data, Secure cookies over HTTPS, /health on its own connection."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import io
import subprocess
import sys
import threading
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.errors import status_for
from gis.core.calendar import local_today
from gis.core.errors import InvalidTransition
from gis.core.settings import Settings
from tests.api.conftest import PASSWORD, ApiWorld

NUL = "ghi\u0000chú"


def _case(world: ApiWorld) -> tuple[int, int]:
    row: Any = world.scalar(
        "SELECT id || ':' || version FROM clearance_cases WHERE project_id = :p "
        "ORDER BY id LIMIT 1", p=world.project_id)
    case_id, version = str(row).split(":")
    return int(case_id), int(version)


def _counts(world: ApiWorld) -> tuple[object, ...]:
    return tuple(world.scalar(f"SELECT count(*) FROM {table}")
                 for table in ("case_events", "payments", "users", "audit_log"))


def _nul_requests(world: ApiWorld) -> list[tuple[str, str, dict[str, Any]]]:
    case_id, version = _case(world)
    staff, admin, field = world.auth("staff"), world.auth("admin"), world.auth("field")
    return [
        ("event note", "POST", {"url": f"/api/cases/{case_id}/events", "headers": staff,
                                "json": {"kind": "note", "occurred_on": "2025-01-02",
                                         "note": NUL}}),
        ("decision no", "POST", {"url": f"/api/cases/{case_id}/events", "headers": staff,
                                 "json": {"kind": "note", "occurred_on": "2025-01-02",
                                          "decision_no": "12\u0000/QĐ"}}),
        ("voucher no", "POST", {"url": f"/api/cases/{case_id}/payments", "headers": staff,
                                "json": {"amount_vnd": 1000, "paid_on": "2025-01-02",
                                         "method": "transfer", "voucher_no": "PC\u00001",
                                         "version": version}}),
        ("payment note", "POST", {"url": f"/api/cases/{case_id}/payments", "headers": staff,
                                  "json": {"amount_vnd": 1000, "paid_on": "2025-01-02",
                                           "method": "transfer", "note": NUL,
                                           "version": version}}),
        ("login username", "POST", {"url": "/api/auth/login",
                                    "json": {"username": "t.staff\u0000", "password": "x"}}),
        ("token username", "POST", {"url": "/api/auth/token",
                                    "json": {"username": "\u0000", "password": PASSWORD}}),
        ("login page form", "POST", {"url": "/login",
                                     "data": {"username": "a\u0000b", "password": "x"}}),
        ("case search", "GET", {"url": "/api/cases?q=Nguy%00n", "headers": staff}),
        ("parcel search", "GET", {"url": "/api/parcels?sheet=1&parcel=%007", "headers": staff}),
        ("field note", "POST", {"url": f"/field/api/cases/{case_id}/notes", "headers": field,
                                "json": {"note": NUL}}),
        ("user full name", "POST", {"url": "/api/users", "headers": admin,
                                    "json": {"username": "nul.user", "role": "staff",
                                             "password": "mat-khau-dai-du", "full_name": NUL}}),
        ("path", "GET", {"url": "/api/cases/%00", "headers": staff}),
    ]


def test_nul_is_refused_with_one_clear_422_and_nothing_written(client: TestClient,
                                                                world: ApiWorld) -> None:
    before = _counts(world)
    for name, method, kwargs in _nul_requests(world):
        res = client.request(method, **kwargs)
        assert res.status_code == 422, (name, res.status_code, res.text)
        body = res.json()
        assert body["code"] == "invalid_text", (name, body)
        assert "U+0000" in body["title"], name
    assert _counts(world) == before


def test_nul_in_a_multipart_field_is_refused_at_the_database_boundary(
        client: TestClient, world: ApiWorld) -> None:
    """Multipart bodies pass the edge (files hold NUL bytes); the text fields that reach
    PostgreSQL are refused there, the same way."""
    case_id, _ = _case(world)
    before = _counts(world)
    jpeg = io.BytesIO(b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9")
    signed_in = client.post("/api/auth/login", json={"username": "t.staff",
                                                     "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    res = client.post(f"/field/api/cases/{case_id}/photos",
                      headers={"X-CSRF-Token": client.cookies["gpmb_csrf"]},
                      files={"photo": ("a.jpg", jpeg, "image/jpeg")}, data={"note": NUL})
    assert res.status_code == 422, res.text
    assert res.json()["code"] == "invalid_text"
    assert _counts(world) == before


def test_nul_refusal_is_html_for_pages(client: TestClient) -> None:
    res = client.post("/login", data={"username": "a\u0000", "password": "x"},
                      headers={"Accept": "text/html"})
    assert res.status_code == 422
    assert res.headers["content-type"].startswith("text/html")
    assert "ký tự NUL" in res.text


@pytest.mark.parametrize("path", ["/login", "/health", "/api/auth/me", "/static/gpmb.css"])
def test_security_headers_on_every_answer(client: TestClient, path: str) -> None:
    res = client.get(path)
    csp = res.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'self'" in csp
    assert "object-src 'none'" in csp
    assert res.headers["x-content-type-options"] == "nosniff"
    assert res.headers["x-frame-options"] == "SAMEORIGIN"
    assert res.headers["referrer-policy"] == "same-origin"


def test_personal_data_is_not_cached(client: TestClient, world: ApiWorld) -> None:
    res = client.get("/api/cases?limit=1", headers=world.auth("staff"))
    assert res.status_code == 200
    assert res.headers["cache-control"] == "no-store"
    page = client.get("/login")
    assert page.headers["cache-control"] == "no-store"
    static = client.get("/static/gpmb.css")
    assert "no-store" not in static.headers.get("cache-control", "")


def test_cookies_are_secure_over_https(api_engine: Engine, test_settings: Settings) -> None:
    with TestClient(create_app(test_settings, engine=api_engine),
                    base_url="https://testserver") as c:
        res = c.post("/api/auth/login", json={"username": "t.staff", "password": PASSWORD})
        assert res.status_code == 200, res.text
        cookies = res.headers.get_list("set-cookie")
        assert cookies and all("Secure" in cookie for cookie in cookies)
    with TestClient(create_app(test_settings, engine=api_engine)) as c:
        res = c.post("/api/auth/login", json={"username": "t.staff", "password": PASSWORD})
        assert all("Secure" not in cookie for cookie in res.headers.get_list("set-cookie"))


def test_health_answers_while_the_request_pool_is_exhausted(
        api_engine: Engine, test_settings: Settings, world: ApiWorld) -> None:
    """Every connection of the app's pool held: requests are shed with 503 + Retry-After
    within the pool timeout, and /health still answers from its own connection."""
    from gis.db.engine import make_engine

    settings = test_settings.model_copy(update={"db_pool_size": 1, "db_pool_timeout_s": 0.5})
    engine = make_engine(api_engine.url.render_as_string(hide_password=False), settings,
                         serving=True)
    held = [engine.connect(), engine.connect()]  # pool_size 1 + overflow 1
    try:
        with TestClient(create_app(settings, engine=engine)) as c:
            res = c.get("/api/cases?limit=1", headers=world.auth("staff"))
            assert res.status_code == 503, res.text
            assert res.json()["code"] == "db_busy"
            assert res.headers["retry-after"] == "2"
            health = c.get("/health")
            assert health.status_code == 200, health.text
    finally:
        for conn in held:
            conn.close()
        engine.dispose()


def test_no_database_call_on_the_event_loop(api_engine: Engine, test_settings: Settings,
                                            world: ApiWorld) -> None:
    """The guard the whole suite runs under: a connection checked out on the event-loop
    thread raises in tests (this is what stalled the server at 24+ clients)."""
    import asyncio

    from gis.db.engine import BlockingCallOnEventLoop, forbid_event_loop_checkout, serving_loop

    forbid_event_loop_checkout(api_engine, strict=True)

    async def on_the_loop() -> None:
        with serving_loop(), api_engine.connect():
            pass

    async def another_loop() -> None:  # e.g. Playwright's driver in a test: not the app's
        with api_engine.connect():
            pass

    with pytest.raises(BlockingCallOnEventLoop):
        asyncio.run(on_the_loop())
    asyncio.run(another_loop())
    done = threading.Event()

    def in_a_thread() -> None:
        with api_engine.connect():
            done.set()

    worker = threading.Thread(target=in_a_thread)
    worker.start()
    worker.join()
    assert done.is_set()


def test_api_docs_page_is_served_without_a_cdn(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn." not in page.text and "https://" not in page.text.replace(
        "https://swagger.io", "")
    for asset in ("/static/vendor/swagger-ui/swagger-ui-bundle.js",
                  "/static/vendor/swagger-ui/swagger-ui.css"):
        assert asset in page.text
        assert client.get(asset).status_code == 200
    assert client.get("/redoc").status_code == 404


def test_overload_is_shed_at_admission_not_queued(api_engine: Engine, test_settings: Settings,
                                                  world: ApiWorld) -> None:
    """With every worker busy, a request waits at most ``queue_wait_s`` for its turn, then
    is answered 503 ``server_busy`` with Retry-After; /health is not metered."""
    from concurrent.futures import ThreadPoolExecutor

    from gis.db.engine import make_engine

    settings = test_settings.model_copy(update={
        "db_pool_size": 1, "db_pool_timeout_s": 3.0, "web_workers": 2, "queue_wait_s": 0.5})
    engine = make_engine(api_engine.url.render_as_string(hide_password=False), settings,
                         serving=True)
    held = [engine.connect(), engine.connect()]  # the two workers will wait on the pool
    try:
        with TestClient(create_app(settings, engine=engine)) as c, \
                ThreadPoolExecutor(4) as pool:
            def get(_: int) -> tuple[int, str, str | None]:
                res = c.get("/api/cases?limit=1", headers=world.auth("staff"))
                return res.status_code, res.json()["code"], res.headers.get("retry-after")

            answers = list(pool.map(get, range(4)))
            assert c.get("/health").status_code == 200
    finally:
        for conn in held:
            conn.close()
        engine.dispose()
    codes = sorted(code for _, code, _ in answers)
    assert all(status == 503 for status, _, _ in answers), answers
    assert codes.count("server_busy") == 2 and codes.count("db_busy") == 2, codes
    assert {retry for _, code, retry in answers if code == "server_busy"} == {"1"}


# ---- one HTTP edge for the pages and the API ----------------------------------------------

CSRF_WRONG_VI = "Thiếu hoặc sai mã chống giả mạo (CSRF); hãy tải lại trang rồi thử lại."
CSRF_ORIGIN_VI = "Yêu cầu đến từ trang khác; đã bị chặn (CSRF)."


def test_the_error_table_is_one_read_only_literal() -> None:
    """Every status is in ``api.errors``'s table as soon as it is imported (413, 428
    included), and nothing adds to it when the app's modules are imported."""
    from api.errors import STATUS_BY_ERROR

    assert isinstance(STATUS_BY_ERROR, MappingProxyType)
    with pytest.raises(TypeError):
        STATUS_BY_ERROR[KeyError] = 400  # type: ignore[index]
    script = """
import sys
from api.errors import STATUS_BY_ERROR, PayloadTooLarge, PreconditionRequired, status_for
from gis.ingest.guards import UploadTooLarge
assert "api.http" not in sys.modules and "api.routers.documents" not in sys.modules
before = dict(STATUS_BY_ERROR)
assert before[PreconditionRequired] == 428, before
assert before[PayloadTooLarge] == 413 and before[UploadTooLarge] == 413, before
assert status_for(UploadTooLarge("too big")) == 413
import api.app, api.http, api.routers.documents, api.routers.imports, web.routes
assert dict(STATUS_BY_ERROR) == before, "a module changed the table when imported"
assert api.http.PreconditionRequired is PreconditionRequired
assert api.routers.documents.PayloadTooLarge is PayloadTooLarge
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[2],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr


def _sign_in_staff(client: TestClient) -> str:
    signed_in = client.post("/api/auth/login", json={"username": "t.staff",
                                                     "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    return str(client.cookies["gpmb_csrf"])


def test_a_wrong_csrf_token_is_refused_alike_by_the_pages_and_the_api(
        client: TestClient, world: ApiWorld) -> None:
    """One CSRF check: a page form post gets the page's Vietnamese message, an API or field
    write the 403 problem with the check's reason, for a wrong token and for a foreign
    origin alike; nothing is written."""
    case_id, version = _case(world)
    csrf = _sign_in_staff(client)
    today = local_today().isoformat()
    note = {"kind": "note", "occurred_on": today, "note": "kiểm tra CSRF"}
    before = _counts(world)
    html_page = {"Accept": "text/html"}
    foreign = {"Origin": "https://trang-khac.example"}
    for sent, headers, message, reason in (("sai-ma", {}, CSRF_WRONG_VI, "csrf_token"),
                                           (csrf, foreign, CSRF_ORIGIN_VI, "csrf_origin")):
        page_posts = [
            (f"/cases/{case_id}/side-events",
             {**note, "version": str(version), "csrf_token": sent}),
            ("/committee/register/2025", {"form": "register-add", "csrf_token": sent}),
            ("/field/conflicts/2147483000", {"decision": "discard", "csrf_token": sent}),
            ("/imports", {"survey": "thử", "csrf_token": sent}),
        ]
        for url, data in page_posts:
            page = client.post(url, data=data, headers={**html_page, **headers})
            assert page.status_code == 403, (url, page.status_code, page.text[:300])
            assert page.headers["content-type"].startswith("text/html"), url
            assert message in htmllib.unescape(page.text), url
        for url, body in ((f"/api/cases/{case_id}/events", {**note, "version": version}),
                          (f"/field/api/cases/{case_id}/notes", {"note": "kiểm tra CSRF"})):
            api = client.post(url, json=body, headers={"X-CSRF-Token": sent, **headers})
            assert api.status_code == 403, (url, api.text)
            problem = api.json()
            assert problem["code"] == "permission_denied", url
            assert problem["extra"]["reason"] == reason and problem["title"] == message, url
    assert _counts(world) == before


def test_a_domain_error_on_a_page_answers_the_api_status_as_a_page(
        client: TestClient, world: ApiWorld) -> None:
    """The same refusal (a note dated in the future: the workflow's ``InvalidTransition``)
    answers the same status on the case page (HTML, the message next to the form) as in
    the API (problem+json)."""
    case_id, version = _case(world)
    csrf = _sign_in_staff(client)
    future = (local_today() + dt.timedelta(days=5)).isoformat()
    note = {"kind": "note", "occurred_on": future, "note": "ngày sai"}
    before = _counts(world)
    api = client.post(f"/api/cases/{case_id}/events", json={**note, "version": version},
                      headers={"X-CSRF-Token": csrf})
    assert api.status_code == status_for(InvalidTransition()) == 409, api.text
    assert api.json()["extra"]["reason"] == "date_in_future"
    page = client.post(f"/cases/{case_id}/side-events",
                       data={**note, "version": str(version), "csrf_token": csrf},
                       headers={"Accept": "text/html"})
    assert page.status_code == api.status_code, page.text[:300]
    assert page.headers["content-type"].startswith("text/html")
    assert api.json()["title"] in htmllib.unescape(page.text)
    assert _counts(world) == before
