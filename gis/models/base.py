"""Declarative base and column helpers shared by the ORM models."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import BigInteger, DateTime, Enum, Integer, MetaData, func
from sqlalchemy.orm import DeclarativeBase, mapped_column

from gis.core.crs import STORAGE_SRID

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every GPMB table (schema owned by Alembic revision SQL)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: DateTime(timezone=True)}  # noqa: RUF012


Vnd = Annotated[int, mapped_column(BigInteger, nullable=False, default=0)]
"""An amount of money in whole Vietnamese đồng (never a float)."""

Geom = WKBElement


def geometry(kind: str, *, nullable: bool = False) -> Any:
    """A geometry column in the storage CRS (EPSG:9215); indexes live in the migration."""
    return mapped_column(
        Geometry(kind, srid=STORAGE_SRID, spatial_index=False), nullable=nullable
    )


def pg_enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    """Map a Python StrEnum onto the PostgreSQL enum type created by the migration."""
    return Enum(
        enum_cls,
        name=name,
        create_type=False,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def created_at() -> Any:
    """``created_at timestamptz DEFAULT now()``."""
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


def updated_at() -> Any:
    """``updated_at`` set by the database on insert and by the ORM on update."""
    return mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )


def version_column() -> Any:
    """Optimistic-locking counter (ETag): stale updates fail instead of overwriting."""
    return mapped_column(Integer, nullable=False, server_default="1")
