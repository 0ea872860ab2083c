"""Read side of projects, alignments and parcels, with geometries as GeoJSON in WGS84.

Geometries are stored in EPSG:9215; GeoJSON (RFC 7946) is always EPSG:4326, so the
database transforms them (7 decimals ≈ 1 cm).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from gis.access.scope import Scope
from gis.core.errors import NotFound
from gis.models import Alignment, ClearanceCase, LandUser, Parcel, ParcelLandUser, Project

GeoJson = dict[str, Any]


def wgs84(column: Any) -> ColumnElement[str]:
    """``ST_AsGeoJSON(ST_Transform(column, 4326), 7)``."""
    return func.ST_AsGeoJSON(func.ST_Transform(column, 4326), 7)


def get_project(session: Session, project_id: int, *, scope: Scope) -> Project:
    """The project with its milestones and alignments, or NotFound (also when ``scope``
    does not include it)."""
    project = session.get(Project, project_id)
    if project is None or not scope.allows_project(project_id):
        raise NotFound(f"project {project_id} not found", message_vi=f"Không tìm thấy dự án số "
                       f"{project_id}.", reason="project_not_found")
    return project


def alignment_features(session: Session, *, scope: Scope, project_id: int | None = None,
                       alignment_id: int | None = None, part: str = "centreline"
                       ) -> list[GeoJson]:
    """Alignments as GeoJSON features: the centreline (the footprint when there is none) or,
    with ``part="footprint"``, the recovery footprint."""
    geom = Alignment.footprint if part == "footprint" else func.coalesce(
        Alignment.centreline, Alignment.footprint)
    stmt = select(Alignment, wgs84(geom), func.ST_Length(Alignment.centreline)).order_by(
        Alignment.project_id, Alignment.code)
    stmt = stmt.where(scope.project_clause(Alignment.project_id))
    if project_id is not None:
        get_project(session, project_id, scope=scope)
        stmt = stmt.where(Alignment.project_id == project_id)
    if alignment_id is not None:
        stmt = stmt.where(Alignment.id == alignment_id)
    features = []
    for a, geometry, length in session.execute(stmt):
        features.append({"type": "Feature", "id": a.id, "geometry": json.loads(geometry),
                         "properties": {
                             "id": a.id, "project_id": a.project_id, "code": a.code,
                             "name": a.name, "part": part,
                             "start_chainage_m": float(a.start_chainage_m),
                             "row_width_m": float(a.row_width_m) if a.row_width_m else None,
                             "length_m": round(float(length), 2) if length else None}})
    if alignment_id is not None and not features:
        raise NotFound(f"alignment {alignment_id} not found", message_vi=f"Không tìm thấy "
                       f"tuyến số {alignment_id}.", reason="alignment_not_found")
    return features


@dataclass(frozen=True)
class Holder:
    """A land user of a parcel, with the personal data the API may redact."""

    id: int
    kind: str
    full_name: str
    citizen_id: str | None
    phone: str | None
    address: str | None
    share_pct: int


def _parcel_feature(session: Session, parcel: Parcel, geometry: str, scope: Scope) -> GeoJson:
    holders = [Holder(u.id, u.kind.value, u.full_name, u.citizen_id, u.phone, u.address, share)
               for u, share in session.execute(
                   select(LandUser, ParcelLandUser.share_pct)
                   .join(ParcelLandUser, ParcelLandUser.land_user_id == LandUser.id)
                   .where(ParcelLandUser.parcel_id == parcel.id).order_by(LandUser.id))]
    cases = [{"id": c.id, "project_id": c.project_id, "step": c.step.value,
              "recovered_area_m2": float(c.recovered_area_m2), "version": c.version}
             for c in session.scalars(select(ClearanceCase)
                                      .where(ClearanceCase.parcel_id == parcel.id)
                                      .order_by(ClearanceCase.id))
             if scope.allows(c.project_id, parcel.commune_code)]
    return {"type": "Feature", "id": parcel.id, "geometry": json.loads(geometry),
            "properties": {
                "id": parcel.id, "survey_id": parcel.survey_id,
                "commune_code": parcel.commune_code, "sheet_no": parcel.sheet_no,
                "parcel_no": parcel.parcel_no, "land_use_code": parcel.land_use_code,
                "legal_area_m2": float(parcel.legal_area_m2), "address": parcel.address,
                "holders": [h.__dict__ for h in holders], "cases": cases,
                "version": parcel.version}}


def parcel_feature(session: Session, parcel_id: int, *, scope: Scope) -> GeoJson:
    """One parcel as a GeoJSON feature with its holders and cases (those in ``scope``), or
    NotFound (also outside ``scope``)."""
    row = session.execute(select(Parcel, wgs84(Parcel.geom))
                          .where(Parcel.id == parcel_id, scope.parcel_clause())).first()
    if row is None:
        raise NotFound(f"parcel {parcel_id} not found", message_vi=f"Không tìm thấy thửa đất số"
                       f" {parcel_id}.", reason="parcel_not_found")
    return _parcel_feature(session, row[0], row[1], scope)


def find_parcels(session: Session, commune_code: str, sheet_no: int, parcel_no: int, *,
                 scope: Scope) -> list[GeoJson]:
    """Parcels with this commune + sheet + parcel number (one per survey), in ``scope``."""
    rows = session.execute(select(Parcel, wgs84(Parcel.geom)).where(
        Parcel.commune_code == commune_code, Parcel.sheet_no == sheet_no,
        Parcel.parcel_no == parcel_no, scope.parcel_clause())
        .order_by(Parcel.survey_id, Parcel.id)).all()
    return [_parcel_feature(session, p, g, scope) for p, g in rows]
