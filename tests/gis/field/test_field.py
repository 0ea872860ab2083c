"""The field view's SQL on the demo: the parcel under a GPS point, nearby parcels in order
(checked against a brute-force distance over every case), look-up by commune/sheet/parcel,
the GiST index in the plans, and the parcel card's rights (handover, notes, phone numbers).
Every test runs in a transaction that is rolled back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from shapely.geometry import Point, shape
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from gis.access.accounts import create_user
from gis.access.scope import PROVINCE
from gis.core.calendar import local_today
from gis.core.domain import CaseStep, Role
from gis.core.errors import InvalidInput, NotFound
from gis.field import site as field
from gis.models import ClearanceCase, Project, User
from gis.workflow.service import record_note
from tests.support import rolled_back

PROJECT = "CT-HNCL"


@pytest.fixture
def demo(demo_engine: Engine) -> Iterator[Session]:
    with rolled_back(demo_engine) as s:
        yield s


def _project_id(session: Session, code: str = PROJECT) -> int:
    pid = session.scalar(select(Project.id).where(Project.code == code))
    assert pid is not None
    return pid


def _case(session: Session, where: str = "true") -> dict[str, Any]:
    """A case of the expressway (matching ``where``) with an inside point of its parcel."""
    row = session.execute(text(f"""
        SELECT c.id AS case_id, c.parcel_id, c.step::text AS step, p.commune_code,
               p.sheet_no, p.parcel_no, ST_X(pt) AS lon, ST_Y(pt) AS lat
        FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
        JOIN projects j ON j.id = c.project_id
        CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(p.geom), 4326) AS pt) g
        WHERE j.code = :code AND {where}
        ORDER BY p.legal_area_m2 DESC, c.id LIMIT 1"""), {"code": PROJECT}).mappings().first()
    assert row is not None, f"the demo has no {PROJECT} case where {where}"
    return dict(row)


def _user(session: Session, role: Role, *, projects: list[str] | None = None) -> User:
    user = create_user(session, f"field.{role.value}.{len(projects or [])}", role,
                       "mat-khau-thu-nghiem-2026", full_name=f"Kiểm thử {role.value}",
                       projects=projects)
    session.flush()
    return user


def test_parcel_under_a_point_is_found_with_its_outline(demo: Session) -> None:
    case = _case(demo)
    hit = field.parcel_at(demo, case["lat"], case["lon"], project_id=_project_id(demo),
                          scope=PROVINCE)
    assert hit is not None
    assert hit["parcel_id"] == case["parcel_id"] and hit["case_id"] == case["case_id"]
    assert (hit["sheet"], hit["parcel"]) == (case["sheet_no"], case["parcel_no"])
    assert hit["step"] == case["step"] and hit["step_label"]
    outline = shape(hit["outline"])
    assert outline.geom_type in {"Polygon", "MultiPolygon"}
    assert outline.buffer(1e-6).contains(Point(case["lon"], case["lat"]))


def test_point_on_no_parcel_finds_nothing(demo: Session) -> None:
    xmin, ymin, xmax, ymax = demo.execute(text(
        "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM ("
        " SELECT ST_Transform(ST_SetSRID(ST_Extent(geom), 9215), 4326)::box2d AS b"
        " FROM parcels) s")).one()
    lat, lon = field.LAT_RANGE[0] + 0.05, field.LON_RANGE[0] + 0.05
    assert not (ymin <= lat <= ymax and xmin <= lon <= xmax)
    assert field.parcel_at(demo, lat, lon, scope=PROVINCE) is None
    assert field.nearby_parcels(demo, lat, lon, scope=PROVINCE) == []


def test_nearby_parcels_match_a_brute_force_ordering(demo: Session) -> None:
    case = _case(demo)
    pid = _project_id(demo)
    near = field.nearby_parcels(demo, case["lat"], case["lon"], project_id=pid,
                                radius_m=120, limit=50, scope=PROVINCE)
    assert near and near[0]["parcel_id"] == case["parcel_id"] and near[0]["distance_m"] == 0
    distances = [n["distance_m"] for n in near]
    assert distances == sorted(distances) and distances[-1] <= 120
    brute = demo.execute(text("""
        SELECT p.id, ST_Distance(p.geom, ST_Transform(
                   ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 9215)) AS d
        FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
        WHERE c.project_id = :pid ORDER BY d, p.id"""),
        {"lon": case["lon"], "lat": case["lat"], "pid": pid}).all()
    expected = [(r.id, round(r.d, 1)) for r in brute if r.d <= 120][:50]
    assert [(n["parcel_id"], n["distance_m"]) for n in near] == expected
    assert len(near) > 1, "the demo corridor should have neighbours within 120 m"
    assert all(n["case_id"] is not None and n["holders"] is not None for n in near)


def test_nearby_without_project_and_the_limit(demo: Session) -> None:
    case = _case(demo)
    near = field.nearby_parcels(demo, case["lat"], case["lon"], radius_m=300, limit=3,
                                scope=PROVINCE)
    assert len(near) <= 3 and near[0]["parcel_id"] == case["parcel_id"]


@pytest.mark.parametrize(("lat", "lon"), [(106.76, 21.85), (0.0, 0.0), (21.85, 110.0)])
def test_points_outside_the_province_are_refused(demo: Session, lat: float, lon: float) -> None:
    with pytest.raises(InvalidInput) as err:
        field.parcel_at(demo, lat, lon, scope=PROVINCE)
    assert "ngoài khu vực Lạng Sơn" in err.value.message_vi


def test_bad_radius_is_refused(demo: Session) -> None:
    case = _case(demo)
    with pytest.raises(InvalidInput):
        field.nearby_parcels(demo, case["lat"], case["lon"], radius_m=5000, scope=PROVINCE)


def test_lookup_by_commune_sheet_and_parcel(demo: Session) -> None:
    case = _case(demo)
    hits = field.lookup_parcel(demo, case["commune_code"], case["sheet_no"], case["parcel_no"],
                               project_id=_project_id(demo), scope=PROVINCE)
    # Merged communes keep their former sheets' numbering: a number may occur twice.
    by_id = {h["parcel_id"]: h for h in hits}
    assert case["parcel_id"] in by_id
    assert all((h["commune_code"], h["sheet"], h["parcel"]) == (
        case["commune_code"], case["sheet_no"], case["parcel_no"]) for h in hits)
    with_case = [h["case_id"] is not None for h in hits]
    assert with_case == sorted(with_case, reverse=True)
    outline = shape(by_id[case["parcel_id"]]["outline"])
    assert outline.buffer(1e-6).contains(Point(case["lon"], case["lat"]))
    assert field.lookup_parcel(demo, case["commune_code"], case["sheet_no"], 999_999,
                               scope=PROVINCE) == []
    communes = dict(field.communes_for(demo, _project_id(demo), PROVINCE))
    assert case["commune_code"] in communes


@pytest.mark.parametrize("sql", [field.PARCEL_AT_SQL, field.NEARBY_SQL])
def test_spatial_queries_use_the_gist_index(demo: Session, sql: str) -> None:
    case = _case(demo)
    demo.execute(text("SET LOCAL enable_seqscan = off"))  # tiny demo table: force the choice
    plan = "\n".join(demo.scalars(text("EXPLAIN " + sql), {
        "lat": case["lat"], "lon": case["lon"], "project_id": _project_id(demo),
        "tolerance": 0.2, "radius": 150.0, "limit": 10,
        **PROVINCE.sql_params()}))
    assert "ix_parcels_geom" in plan, plan


def test_card_lets_an_assigned_field_user_hand_over_a_paid_and_decided_case(
        demo: Session) -> None:
    case = _case(demo, "c.step = 'decided_paid'")
    assigned = _user(demo, Role.FIELD, projects=[PROJECT])
    card = field.parcel_card(demo, case["parcel_id"], project_id=_project_id(demo),
                             user=assigned, today=local_today())
    assert card["case"]["id"] == case["case_id"] and card["step"] == "decided_paid"
    assert card["case"]["handover"] == {"allowed": True, "reason": None}
    assert card["case"]["may_write"] is True
    assert all("phone" not in h and "citizen_id" not in h for h in card["holders"])
    outsider = _user(demo, Role.FIELD, projects=[])  # no assignment: sees nothing
    with pytest.raises(NotFound):
        field.parcel_card(demo, case["parcel_id"], project_id=None, user=outsider,
                          today=local_today())


def test_card_says_why_handover_is_not_possible_yet(demo: Session) -> None:
    case = _case(demo, "c.step IN ('notified', 'inventoried', 'plan_posted')")
    assigned = _user(demo, Role.FIELD, projects=[PROJECT])
    card = field.parcel_card(demo, case["parcel_id"], project_id=_project_id(demo),
                             user=assigned, today=local_today())["case"]
    assert card["handover"]["allowed"] is False
    assert "Chưa thể chuyển sang bước 'Đã bàn giao mặt bằng'" in card["handover"]["reason"]
    assert card["may_write"] is True
    leader = _user(demo, Role.LEADER)
    read_only = field.parcel_card(demo, case["parcel_id"], project_id=None, user=leader,
                                  today=local_today())["case"]
    assert read_only["handover"]["reason"] == field.LEADER_READ_ONLY_VI
    assert read_only["may_write"] is False


def test_card_shows_phone_numbers_only_to_staff(demo: Session) -> None:
    row = demo.execute(text("""
        SELECT c.parcel_id FROM clearance_cases c
        JOIN parcel_land_users pu ON pu.parcel_id = c.parcel_id
        JOIN land_users u ON u.id = pu.land_user_id
        JOIN projects j ON j.id = c.project_id
        WHERE u.phone IS NOT NULL AND j.code = :p ORDER BY c.id LIMIT 1"""),
        {"p": PROJECT}).scalar_one()
    staff = _user(demo, Role.STAFF)
    fielder = _user(demo, Role.FIELD, projects=[PROJECT])
    today = local_today()
    with_phone = field.parcel_card(demo, row, project_id=None, user=staff, today=today)
    assert any("phone" in h for h in with_phone["holders"])
    without = field.parcel_card(demo, row, project_id=None, user=fielder, today=today)
    assert [h["name"] for h in without["holders"]] == [h["name"] for h in with_phone["holders"]]
    assert all("phone" not in h for h in without["holders"])


def test_card_history_shows_a_new_note_first_and_the_outstanding_money(demo: Session) -> None:
    case = _case(demo, "c.step <> 'handed_over'")
    assigned = _user(demo, Role.FIELD, projects=[PROJECT])
    record_note(demo, case["case_id"], "Hộ dân hẹn bàn giao sau thu hoạch", actor_id=assigned.id)
    card = field.parcel_card(demo, case["parcel_id"], project_id=_project_id(demo),
                             user=assigned, today=local_today())
    first = card["case"]["history"][0]
    assert first["kind"] == "note" and first["note"] == "Hộ dân hẹn bàn giao sau thu hoạch"
    assert first["by"] == assigned.full_name
    stored = demo.get(ClearanceCase, case["case_id"])
    assert stored is not None
    assert card["case"]["outstanding_vnd"] == max(
        stored.approved_total_vnd - stored.paid_vnd, 0)
    assert len(card["case"]["history"]) <= field.HISTORY_LIMIT


def test_card_of_a_parcel_without_case_and_of_no_parcel(demo: Session) -> None:
    bare = demo.execute(text("""
        SELECT p.id FROM parcels p WHERE NOT EXISTS (
            SELECT 1 FROM clearance_cases c WHERE c.parcel_id = p.id) ORDER BY p.id LIMIT 1
    """)).scalar()
    leader = _user(demo, Role.LEADER)
    if bare is not None:
        card = field.parcel_card(demo, bare, project_id=None, user=leader, today=local_today())
        assert card["case"] is None and card["step"] is None
    with pytest.raises(NotFound):
        field.parcel_card(demo, -1, project_id=None, user=leader, today=local_today())
    assert CaseStep.HANDED_OVER.value == "handed_over"
