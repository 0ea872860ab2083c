"""Who answers for a case: the responsible officer and unit (revision 0010).

Set by staff on the case page, shown wherever a late case is listed (case list, export,
map panel), so "185 overdue" always comes with names to call.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from gis.core.errors import InvalidInput
from gis.models import ClearanceCase
from gis.workflow.boundary import act_as, check_version, lock_case

MAX_LENGTH = 200


def _clean(value: str | None, field: str) -> str | None:
    text = " ".join((value or "").split())
    if len(text) > MAX_LENGTH:
        raise InvalidInput(f"{field} longer than {MAX_LENGTH}", field=field,
                           reason="too_long",
                           message_vi="Tối đa {most} ký tự.", params={"most": MAX_LENGTH})
    return text or None


def assign_responsible(session: Session, case_id: int, *, officer: str | None,
                       unit: str | None, actor_id: int, expected_version: int | None
                       ) -> ClearanceCase:
    """Name the officer and unit responsible for ``case_id`` (empty clears them), in the
    caller's transaction; refused when the case changed since ``expected_version``."""
    case = lock_case(session, case_id)
    check_version(case, expected_version)
    act_as(session, actor_id, case)
    case.responsible_officer = _clean(officer, "responsible_officer")
    case.responsible_unit = _clean(unit, "responsible_unit")
    session.flush()
    return case
