"""A small world for workflow tests: a commune, a project, two parcels (rice land and rural
residential land) each held by one household, a case and a household record on each, and a
staff, a leader and a field account."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.compensation.records import ensure_case_households
from tests.gis.workflow.helpers import World, square


def _user(session: Session, name: str, role: str) -> int:
    return int(session.execute(text(
        "INSERT INTO users (username, role, password_hash) VALUES (:u, :r, 'x') RETURNING id"),
        {"u": name, "r": role}).scalar_one())


@pytest.fixture
def world(session: Session) -> World:
    """Fresh rows inside the test's rolled-back transaction."""
    session.execute(text(
        "INSERT INTO communes (code, name, unit_type, centre) VALUES "
        "('99997', 'Xã Thử Nghiệm', 'xa', 'SRID=9215;POINT(450000 2417000)')"))
    survey = session.execute(text(
        "INSERT INTO surveys (name) VALUES ('Đo đạc quy trình') RETURNING id")).scalar_one()
    project = session.execute(text(
        "INSERT INTO projects (code, name, investment_form, owner) VALUES "
        "('WF-1', 'Dự án quy trình', 'public_budget', 'Sở Xây dựng') RETURNING id")).scalar_one()
    cases = []
    for no, code, x in ((1, "LUC", 450000), (2, "ONT", 450100)):
        parcel = session.execute(text(
            "INSERT INTO parcels (survey_id, commune_code, sheet_commune_code, sheet_no,"
            " parcel_no, land_use_code, legal_area_m2, geom) VALUES (:s, '99997', '99997', 7,"
            " :no, :lu, 2500, :g) RETURNING id"),
            {"s": survey, "no": no, "lu": code, "g": square(x, 2417000)}).scalar_one()
        holder = session.execute(text(
            "INSERT INTO land_users (full_name) VALUES (:n) RETURNING id"),
            {"n": f"Hộ ông Hoàng Văn {'Ba' if no == 1 else 'Tư'}"}).scalar_one()
        session.execute(text("INSERT INTO parcel_land_users (parcel_id, land_user_id)"
                             " VALUES (:q, :u)"), {"q": parcel, "u": holder})
        cases.append(session.execute(text(
            "INSERT INTO clearance_cases (project_id, parcel_id, recovered_geom,"
            " recovered_area_m2) VALUES (:p, :q, :g, 2500) RETURNING id"),
            {"p": project, "q": parcel, "g": square(x, 2417000)}).scalar_one())
        ensure_case_households(session, cases[-1])
    staff, leader = _user(session, "wf.staff", "staff"), _user(session, "wf.leader", "leader")
    field, outsider = _user(session, "wf.field", "field"), _user(session, "wf.outsider", "field")
    session.execute(text("INSERT INTO user_projects (user_id, project_id) VALUES (:u, :p)"),
                    {"u": field, "p": project})
    return World(session, project, cases[0], cases[1], staff, leader, field, outsider)
