"""Creating and editing projects and the deadlines the province set for them (admin work).

Each function runs in the caller's transaction and never commits. Edits carry the version
the form was drawn from, so a concurrent edit is refused (``Conflict``), never overwritten.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.core.domain import InvestmentForm
from gis.core.errors import Conflict, InvalidInput, NotFound
from gis.core.lookups import project_by_code
from gis.models import Project, ProjectMilestone

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,31}$")
MILESTONE_KINDS_VI: dict[str, str] = {
    "handover_all": "Bàn giao toàn bộ mặt bằng",
    "handover_share": "Bàn giao một phần mặt bằng (tỷ lệ diện tích)",
    "payment_all": "Chi trả bồi thường",
    "plan_approval": "Phê duyệt phương án bồi thường",
    "other": "Mốc khác (theo diện tích bàn giao)",
}
"""The kinds the schema allows, with how the dashboard judges them."""


@dataclass(frozen=True)
class ProjectFields:
    """What a person fills in for a project."""

    name: str
    investment_form: InvestmentForm
    owner: str
    contracting_authority: str | None = None
    legal_basis: str | None = None
    compensation_budget_vnd: int = 0
    start_date: dt.date | None = None


@dataclass(frozen=True)
class MilestoneFields:
    """A deadline: what, by when, and the share to reach (1 = all)."""

    kind: str
    title: str
    due_date: dt.date
    target_share: Decimal | None = None
    note: str | None = None


def _bad(name: str, message: str) -> InvalidInput:
    return InvalidInput(f"{name}: {message}", message_vi=message, reason="bad_form_value",
                        field=name)


def _check(fields: ProjectFields) -> None:
    if not fields.name.strip():
        raise _bad("name", "Cần nhập tên dự án.")
    if not fields.owner.strip():
        raise _bad("owner", "Cần nhập chủ đầu tư.")
    if fields.compensation_budget_vnd < 0:
        raise _bad("compensation_budget_vnd", "Kinh phí bồi thường không được âm.")


def create_project(session: Session, code: str, fields: ProjectFields) -> Project:
    """A new project; its code (upper case, digits, ``-``/``_``) is fixed from then on."""
    code = code.strip().upper()
    if not CODE_RE.match(code):
        raise _bad("code", "Mã dự án gồm 2–32 ký tự chữ in hoa, số, '-' hoặc '_', "
                   "ví dụ DT-4B.")
    _check(fields)
    if session.scalar(select(Project.id).where(Project.code == code)) is not None:
        raise Conflict(f"project {code!r} exists", reason="duplicate_project", field="code",
                       message_vi="Đã có dự án mã '{code}'.", params={"code": code})
    project = Project(code=code, name=fields.name.strip(), owner=fields.owner.strip(),
                      investment_form=fields.investment_form,
                      contracting_authority=fields.contracting_authority,
                      legal_basis=fields.legal_basis,
                      compensation_budget_vnd=fields.compensation_budget_vnd,
                      start_date=fields.start_date)
    session.add(project)
    session.flush()
    return project


def _expect(project: Project, version: int) -> None:
    if project.version != version:
        raise Conflict(f"project {project.code} is at version {project.version}, not {version}",
                       reason="stale_version", current_version=project.version,
                       expected_version=version,
                       message_vi="Dự án vừa được người khác sửa; trang đã hiện bản mới nhất, "
                       "hãy kiểm tra rồi sửa lại.")


def update_project(session: Session, code: str, fields: ProjectFields, *, version: int
                   ) -> Project:
    """Change a project's details, if nobody changed it since ``version``."""
    project = project_by_code(session, code, reason="unknown_project")
    _expect(project, version)
    _check(fields)
    project.name, project.owner = fields.name.strip(), fields.owner.strip()
    project.investment_form = fields.investment_form
    project.contracting_authority = fields.contracting_authority
    project.legal_basis = fields.legal_basis
    project.compensation_budget_vnd = fields.compensation_budget_vnd
    project.start_date = fields.start_date
    session.flush()
    return project


def _check_milestone(fields: MilestoneFields) -> None:
    if fields.kind not in MILESTONE_KINDS_VI:
        raise _bad("kind", "Chọn loại mốc trong danh sách.")
    if not fields.title.strip():
        raise _bad("title", "Cần nhập tên mốc tiến độ.")
    share = fields.target_share
    if share is not None and not Decimal(0) < share <= Decimal(1):
        raise _bad("target_share", "Tỷ lệ mục tiêu phải lớn hơn 0 % và không quá 100 %.")


def _milestone(session: Session, project: Project, milestone_id: int) -> ProjectMilestone:
    found = session.get(ProjectMilestone, milestone_id)
    if found is None or found.project_id != project.id:
        raise NotFound(f"milestone {milestone_id} not in {project.code}",
                       message_vi="Không tìm thấy mốc tiến độ này của dự án.")
    return found


def add_milestone(session: Session, code: str, fields: MilestoneFields, *, version: int
                  ) -> ProjectMilestone:
    """Add a deadline to the project (its version moves on, so open forms see it)."""
    project = project_by_code(session, code, reason="unknown_project")
    _expect(project, version)
    _check_milestone(fields)
    milestone = ProjectMilestone(project_id=project.id, kind=fields.kind,
                                 title=fields.title.strip(), due_date=fields.due_date,
                                 target_share=fields.target_share, note=fields.note)
    session.add(milestone)
    _touch(project)
    session.flush()
    return milestone


def update_milestone(session: Session, code: str, milestone_id: int, fields: MilestoneFields,
                     *, version: int) -> ProjectMilestone:
    """Change a deadline of the project."""
    project = project_by_code(session, code, reason="unknown_project")
    _expect(project, version)
    _check_milestone(fields)
    milestone = _milestone(session, project, milestone_id)
    milestone.kind, milestone.title = fields.kind, fields.title.strip()
    milestone.due_date, milestone.target_share = fields.due_date, fields.target_share
    milestone.note = fields.note
    _touch(project)
    session.flush()
    return milestone


def delete_milestone(session: Session, code: str, milestone_id: int, *, version: int) -> None:
    """Remove a deadline (the audit log keeps its last state)."""
    project = project_by_code(session, code, reason="unknown_project")
    _expect(project, version)
    session.delete(_milestone(session, project, milestone_id))
    _touch(project)
    session.flush()


def _touch(project: Project) -> None:
    """Milestones live in their own table; bump the project's version with them."""
    project.updated_at = dt.datetime.now(dt.UTC)
