"""The app on the demo database: health, projects, error bodies, the overview page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.routers.health import Health
from gis.core.settings import Settings


@pytest.fixture(scope="module")
def client(demo_engine: Engine, test_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(test_settings, engine=demo_engine)) as c:
        yield c


def test_health_reports_versions_and_demo_project(client: TestClient) -> None:
    res = client.get("/health")
    assert res.status_code == 200
    body = Health.model_validate(res.json())
    assert body.status == "ok"
    assert body.database.postgresql.startswith("15")
    assert body.database.postgis.startswith("3.")
    assert body.database.schema_revision == body.database.schema_head
    assert body.database.parcels and body.database.parcels > 1000
    assert body.database.parcels_exact  # the demo is small: counted, not estimated
    assert body.demo_project is not None
    assert body.demo_project.code == "CT-HNCL"
    assert "Hữu Nghị" in body.demo_project.name
    assert body.demo_project.cases > 100


def test_large_tables_report_the_planner_estimate(demo_engine: Engine,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import text

    from gis.db import status

    with demo_engine.connect() as conn:
        exact = conn.execute(text("SELECT count(*) FROM parcels")).scalar_one()
        assert status.parcel_count(conn) == (exact, True)
        analysed = conn.execute(text("SELECT reltuples >= 0 FROM pg_class"
                                     " WHERE oid = 'parcels'::regclass")).scalar_one()
        monkeypatch.setattr(status, "EXACT_BELOW", 0)
        estimate, is_exact = status.parcel_count(conn)
    if analysed:  # else there is no estimate and it is counted
        assert not is_exact and abs(estimate - exact) <= 0.1 * exact
    else:
        assert (estimate, is_exact) == (exact, True)


def test_projects_api_needs_sign_in(client: TestClient) -> None:
    # the figures themselves are checked in test_cases_api on a writable copy of the demo
    res = client.get("/api/projects")
    assert res.status_code == 401
    assert res.headers["content-type"].startswith("application/problem+json")


def test_unknown_route_is_a_problem_json(client: TestClient) -> None:
    res = client.get("/api/khong-co")
    assert res.status_code == 404
    assert res.headers["content-type"].startswith("application/problem+json")
    assert res.json()["code"] == "http_404"


def test_pages_need_a_signed_in_user(client: TestClient) -> None:
    client.cookies.clear()
    res = client.get("/", headers={"accept": "text/html"}, follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/login?next=/"
    data = client.get("/projects/CT-HNCL/map/search", params={"q": "1/1"})
    assert data.status_code == 401
    assert data.headers["content-type"].startswith("application/problem+json")


def test_overview_page_is_vietnamese(client: TestClient,
                                     viewer_account: tuple[str, str]) -> None:
    login = client.post("/api/auth/login", json={"username": viewer_account[0],
                                                 "password": viewer_account[1]})
    assert login.status_code == 200
    res = client.get("/")
    assert res.status_code == 200
    assert "Tiến độ giải phóng mặt bằng" in res.text
    assert "Cao tốc Hữu Nghị – Chi Lăng" in res.text
    assert "http://" not in res.text.replace("http://127.0.0.1", "")
