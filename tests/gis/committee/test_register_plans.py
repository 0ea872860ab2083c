"""The key-project register and plan revisions on the real demo database."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from gis.access.accounts import create_user
from gis.committee.plans import plans_in_force, record_plan
from gis.committee.register import EntryInput, key_projects, record_change
from gis.committee.vocab import ProjectGroup
from gis.core.domain import Role
from gis.core.errors import Conflict, InvalidInput, PermissionDenied
from gis.demo.committee_specs import CHANGE_DECISION, KEY_PROJECTS, LIST_DECISION, REMOVED

TODAY = dt.date(2026, 11, 21)


def _months(scale: float) -> list[dict[str, object]]:
    return [{"month": m, "handed_over_ha": round(m * scale, 2), "households_paid": 10 * m,
             "households_handed_over": 8 * m, "disbursed_vnd": m * 1_000_000_000}
            for m in range(1, 13)]


def test_demo_list_has_22_projects_in_three_groups(demo_session: Session) -> None:
    keys = key_projects(demo_session, 2026, TODAY)
    assert len(keys) == 22
    groups = {g: sum(1 for k in keys if k.group == g) for g in ProjectGroup}
    assert groups == {ProjectGroup.STATE_BUDGET: 5, ProjectGroup.PPP: 4,
                      ProjectGroup.NON_BUDGET: 13}
    codes = {k.code for k in keys}
    assert "CT-HNCL" in codes and REMOVED.code not in codes
    assert all(k.member_name and k.unit_name and k.communes for k in keys)


def test_register_as_of_follows_dated_changes(demo_session: Session) -> None:
    before = {k.code for k in key_projects(demo_session, 2026, CHANGE_DECISION[1]
                                           - dt.timedelta(days=1))}
    after = {k.code for k in key_projects(demo_session, 2026, CHANGE_DECISION[1])}
    assert REMOVED.code in before and REMOVED.code not in after
    assert KEY_PROJECTS[-1].code in after - before
    assert key_projects(demo_session, 2026, LIST_DECISION[1] - dt.timedelta(days=1)) == []


def test_record_change_checks_and_history(demo_session: Session, standing: int) -> None:
    entry = EntryInput(group="non_budget", investor="Nhà đầu tư mới", communes=("05977",))
    change = record_change(demo_session, standing, project_code=REMOVED.code, year=2026,
                           action="add", decision_no="1020/qđ-ubnd",
                           decision_date=dt.date(2026, 9, 1), entry=entry, version=2,
                           today=TODAY)
    assert change.revision == 3 and change.decision_no == "1020/QĐ-UBND"
    assert REMOVED.code in {k.code for k in key_projects(demo_session, 2026, TODAY)}
    with pytest.raises(Conflict) as stale:
        record_change(demo_session, standing, project_code=REMOVED.code, year=2026,
                      action="remove", decision_no="1021/QĐ-UBND",
                      decision_date=dt.date(2026, 9, 2), entry=EntryInput(), version=2,
                      today=TODAY)
    assert stale.value.extra["current_version"] == 3
    cases: list[tuple[dict[str, object], str]] = [
        ({"action": "add", "version": 3}, "already_key"),
        ({"action": "change", "version": 3, "decision_no": "công văn"}, "bad_document_no"),
        ({"action": "change", "version": 3, "decision_date": dt.date(2026, 8, 1)},
         "decision_before_previous"),
        ({"action": "change", "version": 3, "decision_date": dt.date(2026, 12, 1)},
         "date_in_future"),
        ({"action": "bogus", "version": 3}, "bad_choice"),
    ]
    for args, reason in cases:
        kwargs: dict[str, object] = {"decision_no": "1022/QĐ-UBND",
                                     "decision_date": dt.date(2026, 9, 5), **args}
        with pytest.raises(InvalidInput) as refused:
            record_change(demo_session, standing, project_code=REMOVED.code, year=2026,
                          entry=entry, today=TODAY, **kwargs)  # type: ignore[arg-type]
        assert refused.value.extra["reason"] == reason, args
        assert refused.value.message_vi


def test_only_the_standing_agency_edits(demo_session: Session) -> None:
    leader = create_user(demo_session, "lanhdao.bcd", Role.LEADER, "mat-khau-kiem-thu-2026")
    with pytest.raises(PermissionDenied) as denied:
        record_plan(demo_session, leader.id, project_code="CT-HNCL", year=2026,
                    months=_months(1.0), submitted_on=TODAY, version=2, today=TODAY)
    assert denied.value.extra["reason"] == "committee_edit"


def test_plan_revisions_append_only_and_in_force_by_date(demo_session: Session,
                                                         standing: int) -> None:
    pid = demo_session.execute(text("SELECT id FROM projects WHERE code = 'DT-QL4B'")
                               ).scalar_one()
    first = plans_in_force(demo_session, 2026, TODAY, [pid])[pid]
    assert first.revision == 1
    plan = record_plan(demo_session, standing, project_code="DT-QL4B", year=2026,
                       months=_months(2.0), submitted_on=dt.date(2026, 10, 1), version=1,
                       today=TODAY, document="77/kh-bql")
    assert plan.revision == 2 and plan.document_no == "77/KH-BQL"
    in_force = plans_in_force(demo_session, 2026, TODAY, [pid])[pid]
    assert in_force.revision == 2 and float(in_force.months[6].handed_over_ha) == 12.0
    earlier = plans_in_force(demo_session, 2026, dt.date(2026, 9, 30), [pid])[pid]
    assert earlier.revision == 1 and earlier.months == first.months
    with pytest.raises(Conflict):
        record_plan(demo_session, standing, project_code="DT-QL4B", year=2026,
                    months=_months(2.0), submitted_on=TODAY, version=1, today=TODAY)
    falling = _months(2.0)
    falling[5]["disbursed_vnd"] = 1
    with pytest.raises(InvalidInput) as refused:
        record_plan(demo_session, standing, project_code="DT-QL4B", year=2026,
                    months=falling, submitted_on=TODAY, version=2, today=TODAY)
    assert refused.value.extra["reason"] == "plan_not_cumulative"
    assert refused.value.extra["month"] == 6
    with pytest.raises(InvalidInput) as not_key:
        record_plan(demo_session, standing, project_code=REMOVED.code, year=2026,
                    months=_months(1.0), submitted_on=TODAY, version=0, today=TODAY)
    assert not_key.value.extra["reason"] == "not_key"
    with pytest.raises(DBAPIError) as append_only, demo_session.begin_nested():
        demo_session.execute(text("UPDATE committee_plan_months SET disbursed_vnd = 0"))
    assert getattr(append_only.value.orig, "sqlstate", None) == "GP001"
