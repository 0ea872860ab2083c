"""Reference data every installation needs: Lạng Sơn's communes (idempotent)."""

from __future__ import annotations

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from gis.core.crs import STORAGE_SRID, to_storage
from gis.core.domain import UnitType
from gis.demo.communes import approximate_boundaries, load_communes
from gis.models import Commune

APPROXIMATE_SOURCE = (
    "Ranh giới gần đúng (Voronoi từ tâm xã/phường, không phải ranh giới pháp lý); "
    "nhập ranh giới chính thức khi có."
)


def seed_reference(session: Session) -> int:
    """Insert the 65 communes (with approximate boundaries) that are missing; returns count."""
    existing = set(session.scalars(select(Commune.code)))
    communes = load_communes()
    if existing.issuperset(c.code for c in communes):
        return 0
    boundaries = approximate_boundaries(communes)
    rows = [
        {
            "code": c.code,
            "name": c.name,
            "unit_type": UnitType(c.unit_type),
            "former_codes": list(c.former_codes),
            "former_names": list(c.former_names),
            "official_area_km2": c.area_km2,
            "centre": from_shape(Point(*to_storage(c.lon, c.lat)), srid=STORAGE_SRID),
            "boundary": from_shape(boundaries[c.code], srid=STORAGE_SRID),
            "boundary_is_approximate": True,
            "boundary_source": APPROXIMATE_SOURCE,
        }
        for c in communes
        if c.code not in existing
    ]
    session.execute(insert(Commune).on_conflict_do_nothing(index_elements=["code"]), rows)
    return len(rows)
