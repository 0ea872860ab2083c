"""The key-project register (danh mục dự án trọng điểm) of a year.

Every change is a new revision of a project's entry for the year: added to the list by a
document, its details changed (group, investor, responsible member and unit, communes),
or removed. The list as of day D holds, per project, its latest revision decided on or
before D, unless that revision removed it. Writers name the revision they started from
(0 for none); a stale one is a conflict.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from gis.capital.disbursement import refuse
from gis.committee.access import require_editor
from gis.committee.checks import (
    choice,
    communes_exist,
    document_no,
    member_exists,
    not_future,
    required_text,
    stale,
    unit_exists,
    year_of,
)
from gis.committee.vocab import ChangeAction, ProjectGroup
from gis.core.lookups import project_by_code
from gis.core.text import clean_text
from gis.models import CommitteeMember, CommitteeUnit, KeyProjectChange, Project


@dataclass(frozen=True)
class KeyProject:
    """A project on the year's list as of a day, with who answers for it."""

    project_id: int
    code: str
    name: str
    year: int
    revision: int
    group: ProjectGroup
    investor: str
    member_id: int | None
    member_name: str | None
    unit_id: int | None
    unit_name: str | None
    communes: list[str]
    decision_no: str
    decision_date: dt.date


def key_projects(session: Session, year: int, as_of: dt.date) -> list[KeyProject]:
    """The key projects of ``year`` as of the end of ``as_of``, ordered by group and code."""
    latest = (select(KeyProjectChange.project_id, func.max(KeyProjectChange.revision)
                     .label("rev"))
              .where(KeyProjectChange.year == year, KeyProjectChange.decision_date <= as_of)
              .group_by(KeyProjectChange.project_id).subquery())
    member, unit = aliased(CommitteeMember), aliased(CommitteeUnit)
    rows = session.execute(
        select(KeyProjectChange, Project.code, Project.name, member.full_name, unit.name)
        .join(latest, (latest.c.project_id == KeyProjectChange.project_id)
              & (latest.c.rev == KeyProjectChange.revision))
        .join(Project, Project.id == KeyProjectChange.project_id)
        .outerjoin(member, member.id == KeyProjectChange.member_id)
        .outerjoin(unit, unit.id == KeyProjectChange.unit_id)
        .where(KeyProjectChange.year == year,
               KeyProjectChange.action != ChangeAction.REMOVE.value)).all()
    order = {g: i for i, g in enumerate(ProjectGroup)}
    out = [KeyProject(c.project_id, code, name, c.year, c.revision, ProjectGroup(c.project_group),
                      c.investor, c.member_id, member_name, c.unit_id, unit_name,
                      list(c.commune_codes), c.decision_no, c.decision_date)
           for c, code, name, member_name, unit_name in rows]
    return sorted(out, key=lambda k: (order[k.group], k.code))


def register_history(session: Session, year: int) -> list[tuple[KeyProjectChange, str]]:
    """Every change of the year's list with its project code, oldest first."""
    return [(c, code) for c, code in session.execute(
        select(KeyProjectChange, Project.code).join(Project)
        .where(KeyProjectChange.year == year)
        .order_by(KeyProjectChange.decision_date, KeyProjectChange.id))]


@dataclass(frozen=True)
class EntryInput:
    """What a change says about the project (ignored for a removal)."""

    group: str | None = None
    investor: str | None = None
    member_id: int | None = None
    unit_id: int | None = None
    communes: tuple[str, ...] = ()


def record_change(session: Session, actor_id: int, *, project_code: str, year: int,
                  action: str, decision_no: str | None, decision_date: dt.date,
                  entry: EntryInput, version: int, today: dt.date,
                  note: str | None = None) -> KeyProjectChange:
    """Add a project to the year's list, change its entry, or remove it (a new revision).

    ``version`` is the revision the user started from (0: never on this year's list)."""
    actor = require_editor(session, actor_id)
    year = year_of(year)
    act = choice(ChangeAction, action, "action", "Loại thay đổi")
    number = document_no(decision_no, "decision_no", "Số văn bản", required=True)
    assert number is not None
    not_future(decision_date, today, "decision_date", "Ngày văn bản")
    project = project_by_code(session, project_code, lock=True)
    last = session.scalar(select(KeyProjectChange).where(
        KeyProjectChange.project_id == project.id, KeyProjectChange.year == year)
        .order_by(KeyProjectChange.revision.desc()).limit(1))
    current = last.revision if last else 0
    if version != current:
        raise stale("Danh mục dự án trọng điểm", current, version)
    on_list = last is not None and last.action != ChangeAction.REMOVE.value
    if act == ChangeAction.ADD and on_list:
        raise refuse("already on the list", "Dự án {project} đã có trong danh mục năm "
                     "{year}.", "already_key", {"project": project.code, "year": str(year)},
                     field="action")
    if act != ChangeAction.ADD and not on_list:
        raise refuse("not on the list", "Dự án {project} chưa có trong danh mục năm "
                     "{year}; hãy bổ sung trước.", "not_key",
                     {"project": project.code, "year": str(year)}, field="action")
    if last is not None and decision_date < last.decision_date:
        raise refuse("decision before the previous one", "Ngày văn bản {day}"
                     " trước văn bản lần trước ({previous} ngày {previous_day}).",
                     "decision_before_previous",
                     {"day": decision_date, "previous": last.decision_no,
                      "previous_day": last.decision_date}, field="decision_date")
    if act == ChangeAction.REMOVE:
        assert last is not None
        group, investor = last.project_group, last.investor
        member_id, unit_id, communes = last.member_id, last.unit_id, list(last.commune_codes)
    else:
        group = choice(ProjectGroup, entry.group, "group", "Nhóm dự án").value
        investor = required_text(entry.investor, "investor", "Chủ đầu tư")
        member_exists(session, entry.member_id)
        unit_exists(session, entry.unit_id)
        member_id, unit_id = entry.member_id, entry.unit_id
        communes = communes_exist(session, list(entry.communes))
    change = KeyProjectChange(
        project_id=project.id, year=year, revision=current + 1, action=act.value,
        project_group=group, investor=investor, member_id=member_id, unit_id=unit_id,
        commune_codes=communes, decision_no=number, decision_date=decision_date,
        note=clean_text(note, field="note", label_vi="Ghi chú"), recorded_by=actor.user_id)
    session.add(change)
    session.flush()
    return change
