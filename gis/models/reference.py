"""Reference tables: land-use codes and communes."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from gis.core.domain import UnitType
from gis.core.landuse import LandGroup
from gis.models.base import Base, Geom, geometry, pg_enum


class LandUseType(Base):
    """A land-use code of the 2024 list."""

    __tablename__ = "land_use_types"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name_vi: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    land_group: Mapped[LandGroup] = mapped_column(pg_enum(LandGroup, "land_group"))


class LandUseLegacyCode(Base):
    """A pre-2024 land-use code and the 2024 code it maps to."""

    __tablename__ = "land_use_legacy_codes"

    legacy_code: Mapped[str] = mapped_column(String(3), primary_key=True)
    code: Mapped[str] = mapped_column(String(3), ForeignKey("land_use_types.code"))


class Commune(Base):
    """A commune-level unit (xã/phường) after the 2025 merger."""

    __tablename__ = "communes"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    unit_type: Mapped[UnitType] = mapped_column(pg_enum(UnitType, "unit_type"))
    former_codes: Mapped[list[str]] = mapped_column(ARRAY(String(5)), server_default="{}")
    former_names: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    official_area_km2: Mapped[Decimal | None] = mapped_column(Numeric(9, 2))
    centre: Mapped[Geom] = geometry("POINT")
    boundary: Mapped[Geom | None] = geometry("MULTIPOLYGON", nullable=True)
    boundary_is_approximate: Mapped[bool] = mapped_column(server_default="true")
    boundary_source: Mapped[str | None] = mapped_column(Text)
