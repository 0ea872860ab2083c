"""The API contract at the mechanism: malformed bodies, Allow, 405 for a literal path,
and the documented limits of query and form fields."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ApiWorld

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def document(api_app_client: TestClient) -> dict[str, Any]:
    """The app's OpenAPI document."""
    return api_app_client.get("/openapi.json").json()  # type: ignore[no-any-return]


@pytest.mark.parametrize("body", [b"{", b"[1, 2", b"\xff\xfe{}", b'{"username": "a",}'])
def test_a_body_that_is_not_json_is_a_documented_400(
        client: TestClient, world: ApiWorld, document: dict[str, Any], body: bytes) -> None:
    for path, headers in (("/api/auth/token", {}), ("/api/cases/1/events",
                                                   world.auth("staff"))):
        res = client.post(path, content=body,
                          headers={**headers, "content-type": "application/json"})
        assert res.status_code == 400, (path, res.text)
        assert res.headers["content-type"] == "application/problem+json"
        assert res.json()["code"] == "malformed_body"
    with_body = [(path, method, op) for path, item in document["paths"].items()
                 for method, op in item.items() if "requestBody" in op]
    assert len(with_body) >= 12
    for path, method, op in with_body:
        assert "application/problem+json" in op["responses"]["400"]["content"], (path, method)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_options_allow_lists_exactly_the_documented_methods(
        client: TestClient, document: dict[str, Any]) -> None:
    checked = 0
    for path, item in document["paths"].items():
        documented = {m.upper() for m in item if m in METHODS}
        res = client.options(_concrete(path))
        assert res.status_code == 204, (path, res.status_code)
        allow = {m.strip() for m in res.headers["allow"].split(",")}
        assert allow - {"HEAD", "OPTIONS"} == documented, path
        checked += 1
    assert checked >= 30


def test_get_on_a_post_only_literal_path_is_405(client: TestClient, world: ApiWorld) -> None:
    res = client.request("GET", "/api/cases/bulk-steps", content=b'{"a": 1}',
                         headers={**world.auth("staff"), "content-type": "application/json"})
    assert res.status_code == 405, res.text
    assert res.headers["allow"] == "POST, OPTIONS"
    assert res.headers["content-type"] == "application/problem+json"
    put = client.put("/api/auth/token", json={})
    assert put.status_code == 405 and put.headers["allow"] == "POST, OPTIONS"
    # a case id that is not a number is still an invalid id, not a wrong method
    assert client.get("/api/cases/abc", headers=world.auth("staff")).status_code == 422


@pytest.mark.parametrize("as_of", ["0", "1700000000", "2025-03-05T00:00:00", "20250305"])
def test_as_of_must_be_a_calendar_date(client: TestClient, world: ApiWorld, as_of: str
                                       ) -> None:
    url = f"/api/projects/{world.project_id}/disbursement"
    assert client.get(url, headers=world.auth("leader")).status_code == 200
    res = client.get(url, params={"as_of": as_of}, headers=world.auth("leader"))
    assert res.status_code == 422, res.text
    assert res.json()["errors"][0]["loc"] == ["query", "as_of"]


def test_an_over_long_survey_name_is_refused(client: TestClient, world: ApiWorld) -> None:
    res = client.post("/api/imports", headers=world.auth("staff"),
                      files={"file": ("a.geojson", b'{"type": "FeatureCollection", '
                                      b'"features": []}', "application/geo+json")},
                      data={"survey": "Đợt " + "x" * 200})
    assert res.status_code == 422, res.text
    assert res.json()["errors"][0]["loc"] == ["body", "survey"]
