"""Versioned legal time limits (rule sets and their limits), seeded by revision 0002."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from gis.core.landuse import LandGroup
from gis.models.base import Base, created_at, pg_enum


class RuleSet(Base):
    """A version of the time-limit rules, in force from ``effective_from`` until the next."""

    __tablename__ = "rule_sets"

    version: Mapped[str] = mapped_column(Text, primary_key=True)
    effective_from: Mapped[dt.date] = mapped_column(Date, unique=True)
    title_vi: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = created_at()


class TimeLimit(Base):
    """One time limit of a rule set, for one land category or (NULL) for every category."""

    __tablename__ = "time_limits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_version: Mapped[str] = mapped_column(Text, ForeignKey("rule_sets.version"))
    rule_key: Mapped[str] = mapped_column(Text)
    land_category: Mapped[LandGroup | None] = mapped_column(pg_enum(LandGroup, "land_group"))
    amount: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(Text, server_default="day")
    legal_reference: Mapped[str] = mapped_column(Text)
