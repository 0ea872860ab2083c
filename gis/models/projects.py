"""Projects, their milestones and alignments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gis.core.domain import InvestmentForm
from gis.models.base import (
    Base,
    Geom,
    Vnd,
    created_at,
    geometry,
    pg_enum,
    updated_at,
    version_column,
)


class Project(Base):
    """A public project that needs land (expressway, police HQ, urban area…)."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(Text)
    investment_form: Mapped[InvestmentForm] = mapped_column(
        pg_enum(InvestmentForm, "investment_form")
    )
    owner: Mapped[str] = mapped_column(Text)
    contracting_authority: Mapped[str | None] = mapped_column(Text)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    compensation_budget_vnd: Mapped[Vnd]
    start_date: Mapped[dt.date | None]
    is_demo: Mapped[bool] = mapped_column(server_default="false")
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = updated_at()
    version: Mapped[int] = version_column()

    milestones: Mapped[list[ProjectMilestone]] = relationship(
        back_populates="project", order_by="ProjectMilestone.due_date"
    )
    alignments: Mapped[list[Alignment]] = relationship(
        back_populates="project", order_by="Alignment.code"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ProjectMilestone(Base):
    """A target the province set, e.g. "hand over all land by 2025-03-31"."""

    __tablename__ = "project_milestones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    due_date: Mapped[dt.date]
    target_share: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    note: Mapped[str | None] = mapped_column(Text)

    project: Mapped[Project] = relationship(back_populates="milestones")


class Alignment(Base):
    """A project's alignment: centreline with chainage, right-of-way and footprint."""

    __tablename__ = "alignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(Text)
    centreline: Mapped[Geom | None] = geometry("LINESTRING", nullable=True)
    start_chainage_m: Mapped[Decimal] = mapped_column(Numeric(10, 2), server_default="0")
    row_width_m: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    footprint: Mapped[Geom] = geometry("MULTIPOLYGON")

    project: Mapped[Project] = relationship(back_populates="alignments")
