"""Who may do what on the committee's records.

Roles stay the four account roles (``gis.core.domain.Role``); the committee adds links, not roles:
a user may *be* a committee member (``committee_members.user_id``) and may *act for* units
(``committee_unit_users``). From these:

- read everything: admin, staff and leader accounts, committee members and units' users;
- edit the register, the plans, meetings and tasks: admin, and whoever acts for the standing
  agency (the unit of kind ``standing_agency``, Sở Tài chính) or is a member from it;
- update a task (progress, done with evidence, reopen): the editors, and the users of the
  task's unit or the member it names.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gis.access.scope import OFFICE_ROLES
from gis.committee.vocab import UnitKind
from gis.core.domain import Role
from gis.core.errors import PermissionDenied
from gis.models import CommitteeMember, CommitteeTask, CommitteeUnit, CommitteeUnitUser, User

READER_ROLES = OFFICE_ROLES | {Role.LEADER}


@dataclass(frozen=True)
class CommitteeActor:
    """A user as the committee sees them."""

    user_id: int
    username: str
    role: Role
    member_id: int | None
    unit_ids: frozenset[int]
    standing: bool

    @property
    def can_read(self) -> bool:
        """Committee members, units' users and admin/staff/leader accounts read everything."""
        return self.role in READER_ROLES or self.member_id is not None or bool(self.unit_ids)

    @property
    def can_edit(self) -> bool:
        """Admin and the standing agency edit the register, plans, meetings and tasks."""
        return self.role == Role.ADMIN or self.standing

    def can_update(self, task: CommitteeTask) -> bool:
        """Editors, the task's unit and its named member update the task."""
        return self.may_update(task.unit_id, task.member_id)

    def may_update(self, unit_id: int, member_id: int | None) -> bool:
        """Whether a task of this unit (and member) is one the actor may update."""
        return (self.can_edit or unit_id in self.unit_ids
                or (member_id is not None and member_id == self.member_id))


def committee_actor(session: Session, user_id: int) -> CommitteeActor:
    """The committee links of an active user (``PermissionDenied`` if none or disabled)."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise PermissionDenied(f"user {user_id} unknown or disabled", message_vi="Tài khoản "
                               "không tồn tại hoặc đã bị khoá.", reason="inactive_actor")
    member = session.execute(select(CommitteeMember.id, CommitteeMember.unit_id).where(
        CommitteeMember.user_id == user_id)).first()
    units = set(session.scalars(select(CommitteeUnitUser.unit_id).where(
        CommitteeUnitUser.user_id == user_id)))
    standing_id = session.scalar(select(CommitteeUnit.id).where(
        CommitteeUnit.kind == UnitKind.STANDING_AGENCY.value))
    standing = standing_id is not None and (
        standing_id in units or (member is not None and member.unit_id == standing_id))
    return CommitteeActor(user.id, user.username, user.role,
                          member.id if member else None, frozenset(units), standing)


def require_reader(session: Session, user_id: int) -> CommitteeActor:
    """The actor, if they may read the committee's records."""
    actor = committee_actor(session, user_id)
    if not actor.can_read:
        raise PermissionDenied("not a committee reader", message_vi="Tài khoản của bạn không "
                               "được xem trang Ban Chỉ đạo.", reason="committee_read")
    return actor


def require_editor(session: Session, user_id: int) -> CommitteeActor:
    """The actor, if they may edit; names them for the audit trigger."""
    actor = committee_actor(session, user_id)
    if not actor.can_edit:
        raise PermissionDenied("not the standing agency", message_vi="Chỉ cơ quan thường trực "
                               "Ban Chỉ đạo (Sở Tài chính) được cập nhật danh mục, kế hoạch và "
                               "nhiệm vụ.", reason="committee_edit")
    act_for_audit(session, actor)
    return actor


def require_task_updater(session: Session, user_id: int, task: CommitteeTask
                         ) -> CommitteeActor:
    """The actor, if they may update this task; names them for the audit trigger."""
    actor = committee_actor(session, user_id)
    if not actor.can_update(task):
        raise PermissionDenied(f"task {task.id} is not the user's", message_vi="Nhiệm vụ này "
                               "không giao cho đơn vị của bạn; chỉ đơn vị được giao hoặc cơ "
                               "quan thường trực được cập nhật.", reason="task_not_yours")
    act_for_audit(session, actor)
    return actor


def act_for_audit(session: Session, actor: CommitteeActor) -> None:
    """Name the actor in ``gpmb.actor`` for this transaction's audit rows."""
    session.execute(text("SELECT set_config('gpmb.actor', :u, true)"), {"u": actor.username})
