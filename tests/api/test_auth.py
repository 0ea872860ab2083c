"""Signing in: cookie sessions with CSRF, bearer tokens, lockout, the login page."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.routers.auth import Me, SessionOut, TokenOut
from gis.core.settings import Settings
from tests.api.conftest import PASSWORD, ApiWorld, fresh_client


def test_anonymous_is_401_problem(client: TestClient, world: ApiWorld) -> None:
    res = client.get("/api/auth/me")
    assert res.status_code == 401
    assert res.headers["content-type"].startswith("application/problem+json")
    assert res.headers["www-authenticate"].startswith("Bearer")
    body = res.json()
    assert body["code"] == "authentication_failed"
    assert body["extra"]["reason"] == "not_authenticated"
    assert "đăng nhập" in body["title"]


def test_bearer_token_identifies_the_user(client: TestClient, world: ApiWorld) -> None:
    res = client.get("/api/auth/me", headers=world.auth("leader"))
    assert res.status_code == 200
    me = Me.model_validate(res.json())
    assert (me.username, me.role, me.via) == ("t.leader", "leader", "bearer")
    bad = client.get("/api/auth/me", headers={"Authorization": "Bearer khong-hop-le"})
    assert bad.status_code == 401


def test_cookie_session_and_csrf(api_engine: Engine, test_settings: Settings,
                                 world: ApiWorld) -> None:
    with fresh_client(api_engine, test_settings) as c:
        res = c.post("/api/auth/login", json={"username": "t.staff", "password": PASSWORD})
        assert res.status_code == 200, res.text
        out = SessionOut.model_validate(res.json())
        cookies = res.headers.get_list("set-cookie")
        session_cookie = next(h for h in cookies if h.startswith("gpmb_session="))
        assert "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie
        assert "Secure" not in session_cookie  # plain HTTP in tests
        assert c.get("/api/auth/me").json()["via"] == "session"
        # An unsafe request with the cookie but no CSRF token is refused…
        note = {"kind": "note", "occurred_on": "2026-01-05", "note": "Kiểm tra"}
        case_id = world.scalar("SELECT min(id) FROM clearance_cases")
        refused = c.post(f"/api/cases/{case_id}/events", json=note)
        assert refused.status_code == 403
        assert refused.json()["extra"]["reason"] == "csrf_token"
        wrong = c.post(f"/api/cases/{case_id}/events", json=note,
                       headers={"X-CSRF-Token": "sai"})
        assert wrong.status_code == 403
        # …and so is one from another site, even with the token.
        foreign = c.post(f"/api/cases/{case_id}/events", json=note,
                         headers={"X-CSRF-Token": out.csrf_token,
                                  "Origin": "https://evil.example"})
        assert foreign.json()["extra"]["reason"] == "csrf_origin"
        ok = c.post(f"/api/cases/{case_id}/events", json=note,
                    headers={"X-CSRF-Token": out.csrf_token})
        assert ok.status_code == 201, ok.text
        # Logging out needs the token too; afterwards the cookie is dead.
        assert c.post("/api/auth/logout").status_code == 403
        assert c.post("/api/auth/logout",
                      headers={"X-CSRF-Token": out.csrf_token}).status_code == 204
        assert c.get("/api/auth/me").status_code == 401


def test_secure_cookies_in_production_and_https(api_engine: Engine, test_settings: Settings,
                                                world: ApiWorld) -> None:
    with TestClient(fresh_client(api_engine, test_settings).app,
                    base_url="https://gpmb.test") as c:
        res = c.post("/api/auth/login", json={"username": "t.leader", "password": PASSWORD})
        assert all("Secure" in h for h in res.headers.get_list("set-cookie"))


def test_lockout_after_five_failures(client: TestClient, api_engine: Engine,
                                     world: ApiWorld) -> None:
    from gis.access.accounts import create_user
    from gis.core.domain import Role
    from gis.db.engine import session_factory

    with session_factory(api_engine).begin() as s:
        create_user(s, "t.lockme", Role.LEADER, PASSWORD)
    for _ in range(5):
        res = client.post("/api/auth/token", json={"username": "t.lockme", "password": "sai"})
        assert res.status_code == 401
    locked = client.post("/api/auth/token", json={"username": "t.lockme",
                                                  "password": PASSWORD})
    assert locked.status_code == 429
    assert locked.json()["extra"]["reason"] == "account_locked"
    assert int(locked.headers["retry-after"]) > 800
    assert "khoá" in locked.json()["detail"]
    assert world.scalar("SELECT failed_logins FROM users WHERE username = 't.lockme'") == 5


def test_ip_rate_limit(client: TestClient, world: ApiWorld) -> None:
    from gis.access.logins import LoginPolicy

    app = client.app
    saved = app.state.login_policy  # type: ignore[attr-defined]
    app.state.login_policy = LoginPolicy(ip_max_failures=3)  # type: ignore[attr-defined]
    try:
        for i in range(3):
            client.post("/api/auth/token", json={"username": f"khong.co.{i}", "password": "x"})
        res = client.post("/api/auth/token", json={"username": "t.staff", "password": PASSWORD})
        assert res.status_code == 429
        assert res.json()["extra"]["reason"] == "ip_throttled"
    finally:
        app.state.login_policy = saved  # type: ignore[attr-defined]
    from sqlalchemy import text

    with world.engine.begin() as conn:  # forget them, other tests log in from here too
        conn.execute(text("DELETE FROM login_attempts"))


def test_token_response_and_disabled_account(client: TestClient, api_engine: Engine,
                                             world: ApiWorld) -> None:
    from gis.access.accounts import create_user, set_active
    from gis.core.domain import Role
    from gis.db.engine import session_factory

    with session_factory(api_engine).begin() as s:
        create_user(s, "t.leaving", Role.STAFF, PASSWORD)
    res = client.post("/api/auth/token", json={"username": "t.leaving", "password": PASSWORD})
    token = TokenOut.model_validate(res.json())
    headers = {"Authorization": f"Bearer {token.access_token}"}
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    with session_factory(api_engine).begin() as s:
        set_active(s, "t.leaving", active=False)
    assert client.get("/api/auth/me", headers=headers).status_code == 401
    stored = world.scalar("SELECT token_hash FROM auth_tokens ORDER BY id DESC LIMIT 1")
    assert stored != token.access_token and len(str(stored)) == 64


def test_login_page(api_engine: Engine, test_settings: Settings, world: ApiWorld) -> None:
    with fresh_client(api_engine, test_settings) as c:
        page = c.get("/login?next=/cases")
        assert page.status_code == 200 and "Đăng nhập" in page.text
        assert 'value="/cases"' in page.text and "http" not in page.text.lower().replace(
            "http-equiv", "")
        wrong = c.post("/login", data={"username": "t.staff", "password": "sai"})
        assert wrong.status_code == 401 and "không đúng" in wrong.text
        evil = c.post("/login", data={"username": "t.staff", "password": PASSWORD,
                                      "next": "//evil.example"}, follow_redirects=False)
        assert evil.status_code == 303 and evil.headers["location"] == "/"
        assert c.get("/api/auth/me").json()["username"] == "t.staff"
        foreign = c.post("/login", data={"username": "t.staff", "password": PASSWORD},
                         headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403
