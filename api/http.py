"""Small HTTP helpers shared by the routers: GeoJSON responses, ETag/If-Match, paging."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Header, Path, Query
from fastapi.responses import JSONResponse

from api.errors import PreconditionRequired
from gis.core.errors import InvalidInput

GEO_JSON = "application/geo+json"
ETAG_RE = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')


class GeoJSONResponse(JSONResponse):
    """A JSON body served as ``application/geo+json`` (RFC 7946)."""

    media_type = GEO_JSON


def etag(version: int) -> str:
    """The strong ETag of a case version."""
    return f'"{version}"'


def version_from(if_match: str | None, body_version: int | None, *,
                 required: bool) -> int | None:
    """The version a change is based on: ``If-Match`` first, then the body's ``version``."""
    if if_match is not None:
        found = ETAG_RE.match(if_match)
        if found is None:
            raise InvalidInput(f"bad If-Match {if_match!r}", message_vi="Tiêu đề If-Match phải "
                               'là ETag của hồ sơ, ví dụ "3".', reason="bad_if_match")
        return int(found[1])
    if body_version is None and required:
        raise PreconditionRequired("If-Match or version required", reason="version_required")
    return body_version


IfMatch = Annotated[str | None, Header(alias="If-Match", description='ETag, e.g. "3"')]
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", max_length=200,
    description="Repeat a request safely: the same key never records twice")]
Limit = Annotated[int, Query(ge=1, le=500, description="page size")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="rows to skip")]


def geojson(body: Any, status_code: int = 200) -> GeoJSONResponse:
    """Serve ``body`` (already a GeoJSON dict) as application/geo+json."""
    return GeoJSONResponse(body, status_code=status_code)

MAX_ID = 2_147_483_647
Id = Annotated[int, Path(ge=1, le=MAX_ID, description="record id")]
