"""Committee tests run on the demo database, each in a transaction rolled back after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gis.access.accounts import create_user
from gis.core.domain import Role
from gis.models import CommitteeUnit, CommitteeUnitUser
from tests.support import rolled_back


@pytest.fixture
def demo_session(demo_engine: Engine) -> Iterator[Session]:
    """A session on the demo database whose changes are rolled back."""
    with rolled_back(demo_engine) as s:
        yield s


def unit_id(session: Session, code: str) -> int:
    """The id of a demo unit."""
    found = session.scalar(select(CommitteeUnit.id).where(CommitteeUnit.code == code))
    assert found is not None
    return found


def user_for_unit(session: Session, username: str, code: str, role: Role = Role.FIELD) -> int:
    """A new account acting for the unit ``code``."""
    user = create_user(session, username, role, "mat-khau-kiem-thu-2026")
    session.add(CommitteeUnitUser(unit_id=unit_id(session, code), user_id=user.id))
    session.flush()
    return user.id


@pytest.fixture
def standing(demo_session: Session) -> int:
    """A user of the standing agency (Sở Tài chính): may edit."""
    return user_for_unit(demo_session, "stc.chuyenvien", "STC", Role.STAFF)
