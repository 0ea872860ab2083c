"""Parcels as GeoJSON: by id, or by commune + map sheet + parcel number."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import CurrentUser, Principal, SessionDep
from api.errors import problems
from api.http import GeoJSONResponse, Id, geojson
from api.schemas import Feature, FeatureCollection
from gis.maps.geodata import find_parcels, parcel_feature

router = APIRouter(prefix="/api/parcels", tags=["parcels"])
PERSONAL_KEYS = ("citizen_id", "phone")


def redact_holder(holder: dict[str, Any], user: Principal) -> dict[str, Any]:
    """Blank citizen ID and phone unless ``user`` may see them (staff, admin)."""
    out = dict(holder)
    out["personal_data_redacted"] = not user.sees_personal_data
    if not user.sees_personal_data:
        for key in PERSONAL_KEYS:
            out[key] = None
    return out


def _redacted(feature: dict[str, Any], user: Principal) -> dict[str, Any]:
    props = feature["properties"]
    props["holders"] = [redact_holder(h, user) for h in props["holders"]]
    return feature


@router.get("", response_model=FeatureCollection, response_class=GeoJSONResponse,
            responses=problems(401, 422), summary="Find a parcel by commune, sheet and number")
def lookup(user: CurrentUser, session: SessionDep,
           commune: Annotated[str, Query(pattern=r"^[0-9]{5}$", description="commune code")],
           sheet: Annotated[int, Query(ge=1, le=2_147_483_647, description="số tờ")],
           parcel: Annotated[int, Query(ge=1, le=2_147_483_647, description="số thửa")],
           ) -> GeoJSONResponse:
    """Parcels with this commune code, map sheet (số tờ) and parcel number (số thửa); one per
    survey, usually one."""
    features = [_redacted(f, user) for f in find_parcels(session, commune, sheet, parcel,
                                                        scope=user.scope)]
    return geojson({"type": "FeatureCollection", "features": features})


@router.get("/{parcel_id}", response_model=Feature, response_class=GeoJSONResponse,
            responses=problems(401, 404, 422), summary="A parcel as a GeoJSON feature")
def parcel(parcel_id: Id, user: CurrentUser, session: SessionDep) -> GeoJSONResponse:
    """The parcel's boundary (WGS84), land use, legal area, holders and cases."""
    return geojson(_redacted(parcel_feature(session, parcel_id, scope=user.scope), user))
