"""The steering committee for key projects (revision 0014): units, members, the key-project
register, plans by month, meetings and their tasks. The register, the plans and the task
updates are append-only; a task row holds its current state (version-checked)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gis.models.base import Base, created_at, updated_at, version_column


class CommitteeUnit(Base):
    """A unit answering to the committee: the standing agency, an investor, a land fund
    centre, a department or a commune."""

    __tablename__ = "committee_units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = created_at()


class CommitteeMember(Base):
    """A member of the steering committee (chair, vice chair or member)."""

    __tablename__ = "committee_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    full_name: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    position: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("committee_units.id"))
    user_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"), unique=True)
    created_at: Mapped[dt.datetime] = created_at()


class CommitteeUnitUser(Base):
    """A user who acts for a unit (updates its tasks)."""

    __tablename__ = "committee_unit_users"

    unit_id: Mapped[int] = mapped_column(
        ForeignKey("committee_units.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class KeyProjectChange(Base):
    """One dated change of a year's key-project list (add, change or remove)."""

    __tablename__ = "key_project_changes"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    project_id: Mapped[int] = mapped_column(Integer, ForeignKey("projects.id"))
    year: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(Text)
    project_group: Mapped[str] = mapped_column(Text)
    investor: Mapped[str] = mapped_column(Text)
    member_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("committee_members.id"))
    unit_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("committee_units.id"))
    commune_codes: Mapped[list[str]] = mapped_column(ARRAY(String(5)), server_default="{}")
    decision_no: Mapped[str] = mapped_column(Text)
    decision_date: Mapped[dt.date]
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = created_at()


class CommitteePlan(Base):
    """A revision of a key project's monthly plan for a year."""

    __tablename__ = "committee_plans"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    project_id: Mapped[int] = mapped_column(Integer, ForeignKey("projects.id"))
    year: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    submitted_on: Mapped[dt.date]
    document_no: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = created_at()


class CommitteePlanMonth(Base):
    """Cumulative targets to the end of one month of a plan revision."""

    __tablename__ = "committee_plan_months"

    plan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("committee_plans.id"),
                                         primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    handed_over_ha: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    households_paid: Mapped[int] = mapped_column(Integer)
    households_handed_over: Mapped[int] = mapped_column(Integer)
    disbursed_vnd: Mapped[int] = mapped_column(BigInteger)


class CommitteeMeeting(Base):
    """A committee meeting and its conclusion notice."""

    __tablename__ = "committee_meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    held_on: Mapped[dt.date]
    kind: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    chair_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("committee_members.id"))
    notice_no: Mapped[str | None] = mapped_column(Text)
    notice_date: Mapped[dt.date | None]
    recorded_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = created_at()


class CommitteeTask(Base):
    """A meeting conclusion assigned to a unit (and member) with a deadline."""

    __tablename__ = "committee_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(Integer, ForeignKey("committee_meetings.id"))
    seq: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    project_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("projects.id"))
    unit_id: Mapped[int] = mapped_column(Integer, ForeignKey("committee_units.id"))
    member_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("committee_members.id"))
    due_on: Mapped[dt.date]
    case_list: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    done_on: Mapped[dt.date | None]
    evidence_no: Mapped[str | None] = mapped_column(Text)
    evidence_date: Mapped[dt.date | None]
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = updated_at()
    version: Mapped[int] = version_column()

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class CommitteeTaskUpdate(Base):
    """A progress note, the completion (with evidence) or a reopening of a task."""

    __tablename__ = "committee_task_updates"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    task_id: Mapped[int] = mapped_column(Integer, ForeignKey("committee_tasks.id"))
    kind: Mapped[str] = mapped_column(Text)
    occurred_on: Mapped[dt.date]
    note: Mapped[str | None] = mapped_column(Text)
    evidence_no: Mapped[str | None] = mapped_column(Text)
    evidence_date: Mapped[dt.date | None]
    recorded_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = created_at()
