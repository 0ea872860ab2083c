"""Property-based conformance of the OpenAPI document (schemathesis, in-process ASGI).

Every operation is called with generated data as the admin (bearer token), and the
answers must be no server error, with a documented status code, a documented content type
and a body matching the documented schema. Bounded: a few examples per operation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine

from api.app import create_app
from gis.core.settings import Settings
from tests.api.conftest import ApiWorld

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture(scope="module")
def app(api_engine: Engine, test_settings: Settings) -> Iterator[FastAPI]:
    """The app with its lifespan running for the whole module."""
    application = create_app(test_settings, engine=api_engine)
    with TestClient(application):
        yield application


def _operations(app: FastAPI) -> list[Any]:
    # The app's own document, minus sign-out (it would revoke the test token).
    loaded = schemathesis.openapi.from_asgi("/openapi.json", app)
    loaded = loaded.exclude(path="/api/auth/logout")
    return [result.ok() for result in loaded.get_all_operations()]


def test_api_conforms_to_its_openapi(app: FastAPI, world: ApiWorld) -> None:
    # Driven by hand (not schemathesis' pytest plugin, which lags pytest 9): one bounded
    # hypothesis run per operation; every failure is collected, then reported together.
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    operations = _operations(app)
    assert len(operations) >= 25
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            response = case.call_and_validate(headers=world.auth("admin"), checks=CHECKS)
            statuses[response.status_code] += 1

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert failures == []
    assert statuses[200] > 50 and statuses[422] > 10, statuses  # it really ran
