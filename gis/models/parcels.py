"""Cadastral surveys, parcels and the people who hold them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Integer, Numeric, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gis.core.domain import LandUserKind
from gis.models.base import Base, Geom, created_at, geometry, pg_enum, updated_at, version_column


class Survey(Base):
    """A cadastral survey / map set that parcels were imported from."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    source: Mapped[str | None] = mapped_column(Text)
    surveyed_on: Mapped[dt.date | None]
    created_at: Mapped[dt.datetime] = created_at()


class Parcel(Base):
    """A land parcel (thửa đất): commune + map sheet (số tờ) + parcel number (số thửa)."""

    __tablename__ = "parcels"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    commune_code: Mapped[str] = mapped_column(String(5), ForeignKey("communes.code"))
    sheet_commune_code: Mapped[str] = mapped_column(String(5))
    sheet_no: Mapped[int]
    parcel_no: Mapped[int]
    land_use_code: Mapped[str] = mapped_column(String(3), ForeignKey("land_use_types.code"))
    land_use_code_source: Mapped[str | None] = mapped_column(String(16))
    legal_area_m2: Mapped[Decimal] = mapped_column(Numeric(14, 1))
    address: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[Geom] = geometry("MULTIPOLYGON")
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = updated_at()
    version: Mapped[int] = version_column()

    holders: Mapped[list[ParcelLandUser]] = relationship(back_populates="parcel")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class LandUser(Base):
    """A land user: household, individual, organisation or community."""

    __tablename__ = "land_users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[LandUserKind] = mapped_column(
        pg_enum(LandUserKind, "land_user_kind"), server_default="household"
    )
    full_name: Mapped[str] = mapped_column(Text)
    citizen_id: Mapped[str | None] = mapped_column(String(12), unique=True)
    phone: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(Text)
    commune_code: Mapped[str | None] = mapped_column(String(5), ForeignKey("communes.code"))
    created_at: Mapped[dt.datetime] = created_at()

    parcels: Mapped[list[ParcelLandUser]] = relationship(back_populates="land_user")


class ParcelLandUser(Base):
    """Who holds a parcel, and with what share (a parcel can have several holders)."""

    __tablename__ = "parcel_land_users"

    parcel_id: Mapped[int] = mapped_column(ForeignKey("parcels.id"), primary_key=True)
    land_user_id: Mapped[int] = mapped_column(ForeignKey("land_users.id"), primary_key=True)
    share_pct: Mapped[int] = mapped_column(SmallInteger, server_default="100")

    parcel: Mapped[Parcel] = relationship(back_populates="holders")
    land_user: Mapped[LandUser] = relationship(back_populates="parcels")
