"""The app on the demo database: health, projects, error bodies, the overview page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.routers.health import Health
from api.routers.projects import ProjectOut
from gis.settings import Settings


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
    assert body.demo_project is not None
    assert body.demo_project.code == "CT-HNCL"
    assert "Hữu Nghị" in body.demo_project.name
    assert body.demo_project.cases > 100


def test_projects_api(client: TestClient) -> None:
    res = client.get("/api/projects")
    assert res.status_code == 200
    projects = [ProjectOut.model_validate(p) for p in res.json()]
    codes = [p.code for p in projects]
    assert codes[:2] == ["CA-LSN", "CT-HNCL"] or set(codes) >= {"CA-LSN", "CT-HNCL"}
    expressway = next(p for p in projects if p.code == "CT-HNCL")
    assert 0 < expressway.handed_over < expressway.cases
    assert 0 < expressway.paid_vnd <= expressway.approved_vnd


def test_unknown_route_is_a_problem_json(client: TestClient) -> None:
    res = client.get("/api/khong-co")
    assert res.status_code == 404
    assert res.headers["content-type"].startswith("application/problem+json")
    assert res.json()["code"] == "http_404"


def test_overview_page_is_vietnamese(client: TestClient) -> None:
    res = client.get("/")
    assert res.status_code == 200
    assert "Tiến độ giải phóng mặt bằng" in res.text
    assert "Cao tốc Hữu Nghị – Chi Lăng" in res.text
    assert "http://" not in res.text.replace("http://127.0.0.1", "")
