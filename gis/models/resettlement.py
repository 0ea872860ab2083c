"""Resettlement areas, their plots and the allocation of plots to cases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gis.models.base import Base, Geom, created_at, geometry


class ResettlementArea(Base):
    """A resettlement area (khu tái định cư)."""

    __tablename__ = "resettlement_areas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(Text)
    commune_code: Mapped[str | None] = mapped_column(String(5), ForeignKey("communes.code"))
    geom: Mapped[Geom] = geometry("MULTIPOLYGON")


class ResettlementPlot(Base):
    """A plot (lô đất) in a resettlement area, with its price."""

    __tablename__ = "resettlement_plots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("resettlement_areas.id"))
    code: Mapped[str] = mapped_column(String(32))
    area_m2: Mapped[Decimal] = mapped_column(Numeric(10, 1))
    price_vnd: Mapped[int] = mapped_column(BigInteger)
    geom: Mapped[Geom] = geometry("POLYGON")


class ResettlementAllocation(Base):
    """One plot allocated to one case; released allocations stay as history."""

    __tablename__ = "resettlement_allocations"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    plot_id: Mapped[int] = mapped_column(ForeignKey("resettlement_plots.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("clearance_cases.id"))
    allocated_on: Mapped[dt.date]
    decision_no: Mapped[str | None] = mapped_column(Text)
    released_on: Mapped[dt.date | None]
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = created_at()
