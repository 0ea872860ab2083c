"""The database itself refuses what must never be wrong."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session


def _square(x0: float, y0: float, side: float = 50) -> str:
    ring = [(x0, y0), (x0 + side, y0), (x0 + side, y0 + side), (x0, y0 + side), (x0, y0)]
    return "SRID=9215;MULTIPOLYGON(((" + ",".join(f"{x} {y}" for x, y in ring) + ")))"


SQUARE = _square(450000, 2417000)
OTHER = _square(450100, 2417000)
BOWTIE = ("SRID=9215;MULTIPOLYGON(((450000 2417000,450050 2417050,450050 2417000,"
          "450000 2417050,450000 2417000)))")
WGS84 = "SRID=4326;MULTIPOLYGON(((106.7 21.8,106.71 21.8,106.71 21.81,106.7 21.81,106.7 21.8)))"


def rejects(session: Session, sql: str, params: dict[str, Any] | None = None) -> str:
    """Run ``sql`` in a savepoint and return the database's error message (it must fail)."""
    nested = session.begin_nested()
    with pytest.raises(DBAPIError) as info:
        session.execute(text(sql), params or {})
    nested.rollback()
    return str(info.value.orig)


@pytest.fixture
def world(session: Session) -> dict[str, int]:
    """A commune, survey, project, parcel and case to attach bad rows to."""
    session.execute(text(
        "INSERT INTO communes (code, name, unit_type, centre) VALUES "
        "('99999', 'Xã Thử Nghiệm', 'xa', 'SRID=9215;POINT(450000 2417000)')"))
    survey = session.execute(text(
        "INSERT INTO surveys (name) VALUES ('Đo đạc thử') RETURNING id")).scalar_one()
    project = session.execute(text(
        "INSERT INTO projects (code, name, investment_form, owner) VALUES "
        "('TEST-1', 'Dự án thử', 'public_budget', 'Sở Xây dựng') RETURNING id")).scalar_one()
    parcel = session.execute(text(
        "INSERT INTO parcels (survey_id, commune_code, sheet_commune_code, sheet_no, parcel_no,"
        " land_use_code, legal_area_m2, geom) VALUES (:s, '99999', '99999', 12, 345, 'LUC',"
        " 2500, :g) RETURNING id"), {"s": survey, "g": SQUARE}).scalar_one()
    case = session.execute(text(
        "INSERT INTO clearance_cases (project_id, parcel_id, recovered_geom, recovered_area_m2)"
        " VALUES (:p, :q, :g, 2500) RETURNING id"),
        {"p": project, "q": parcel, "g": SQUARE}).scalar_one()
    holder = session.execute(text("INSERT INTO land_users (full_name) VALUES ('Hộ thử')"
                                  " RETURNING id")).scalar_one()
    household = session.execute(text(
        "INSERT INTO compensation_households (project_id, land_user_id) VALUES (:p, :u)"
        " RETURNING id"), {"p": project, "u": holder}).scalar_one()
    payee = session.execute(text(
        "INSERT INTO compensation_payees (household_id, kind, land_user_id, full_name)"
        " VALUES (:h, 'land_user', :u, 'Hộ thử') RETURNING id"),
        {"h": household, "u": holder}).scalar_one()
    return {"survey": survey, "project": project, "parcel": parcel, "case": case,
            "household": household, "payee": payee}


PARCEL_SQL = (
    "INSERT INTO parcels (survey_id, commune_code, sheet_commune_code, sheet_no, parcel_no,"
    " land_use_code, legal_area_m2, geom) VALUES (:s, '99999', '99999', :sheet, :no, :lu,"
    " :area, :g)"
)


def _parcel(world: dict[str, int], **over: Any) -> dict[str, Any]:
    return {"s": world["survey"], "sheet": 12, "no": 346, "lu": "LUC", "area": 100,
            "g": OTHER} | over


def test_invalid_geometry_is_rejected(session: Session, world: dict[str, int]) -> None:
    assert "check constraint" in rejects(session, PARCEL_SQL, _parcel(world, g=BOWTIE))


def test_wrong_srid_is_rejected(session: Session, world: dict[str, int]) -> None:
    assert "SRID" in rejects(session, PARCEL_SQL, _parcel(world, g=WGS84))


def test_duplicate_parcel_in_survey_is_rejected(session: Session, world: dict[str, int]) -> None:
    assert "uq_parcels_identity" in rejects(session, PARCEL_SQL, _parcel(world, no=345))


def test_same_numbers_in_another_survey_are_fine(session: Session, world: dict[str, int]) -> None:
    other = session.execute(text("INSERT INTO surveys (name) VALUES ('Đo đạc 2026') "
                                 "RETURNING id")).scalar_one()
    session.execute(text(PARCEL_SQL), _parcel(world, s=other, no=345))


def test_unknown_land_use_and_commune_are_rejected(session: Session,
                                                  world: dict[str, int]) -> None:
    assert "foreign key" in rejects(session, PARCEL_SQL, _parcel(world, lu="XYZ"))
    assert "foreign key" in rejects(session, PARCEL_SQL.replace("'99999', '99999'",
                                                               "'12345', '12345'"), _parcel(world))


def test_non_positive_area_and_sheet_are_rejected(session: Session,
                                                 world: dict[str, int]) -> None:
    assert "check constraint" in rejects(session, PARCEL_SQL, _parcel(world, area=0))
    assert "check constraint" in rejects(session, PARCEL_SQL, _parcel(world, sheet=0))


def test_money_is_non_negative_integer_vnd(session: Session, world: dict[str, int]) -> None:
    sql = "UPDATE clearance_cases SET approved_land_vnd = :v WHERE id = :c"
    assert "check constraint" in rejects(session, sql, {"v": -1, "c": world["case"]})
    assert "bigint" in rejects(session, sql.replace(":v", "'12.5'"), {"c": world["case"]})


def test_one_case_per_project_and_parcel(session: Session, world: dict[str, int]) -> None:
    msg = rejects(session, "INSERT INTO clearance_cases (project_id, parcel_id, recovered_geom,"
                  " recovered_area_m2) VALUES (:p, :q, :g, 1)",
                  {"p": world["project"], "q": world["parcel"], "g": SQUARE})
    assert "uq_clearance_cases_project_parcel" in msg


def test_payments_keep_paid_total_and_reject_bad_amounts(session: Session,
                                                        world: dict[str, int]) -> None:
    pay = ("INSERT INTO payments (case_id, amount_vnd, paid_on, method, household_id, payee_id)"
           f" VALUES (:c, :a, '2025-03-01', 'transfer', {world['household']}, {world['payee']})"
           " RETURNING id")
    first = session.execute(text(pay), {"c": world["case"], "a": 150_000_000}).scalar_one()
    second = session.execute(text(pay), {"c": world["case"], "a": 50_000_000}).scalar_one()
    # every entry names a payee; a deposit is its own kind, with its account
    assert "ck_payments_payee" in rejects(session, "INSERT INTO payments (case_id, amount_vnd,"
                                          " paid_on, method) VALUES (:c, 1, '2025-03-01',"
                                          " 'cash')", {"c": world["case"]})
    deposit = pay.replace("'transfer'", "'treasury_deposit'")
    assert "ck_payments_kind_method" in rejects(session, deposit, {"c": world["case"], "a": 1})
    assert "ck_payments_deposit_account" in rejects(
        session, deposit.replace("payee_id)", "payee_id, kind)").replace(
            ") RETURNING", ", 'deposit') RETURNING"), {"c": world["case"], "a": 1})
    paid = session.execute(text("SELECT paid_vnd FROM clearance_cases WHERE id = :c"),
                           {"c": world["case"]}).scalar_one()
    assert paid == 200_000_000
    assert "check constraint" in rejects(session, pay, {"c": world["case"], "a": 0})
    assert "ck_payments_reversal" in rejects(session, pay, {"c": world["case"], "a": -5})
    # a reversal is the way to correct a payment
    session.execute(text("INSERT INTO payments (case_id, amount_vnd, reverses_payment_id,"
                         " paid_on, method, needs_review) VALUES (:c, -150000000, :r,"
                         " '2025-03-02', 'transfer', true)"), {"c": world["case"], "r": first})
    # …and paid_vnd can never go below zero
    assert "check constraint" in rejects(
        session, "INSERT INTO payments (case_id, amount_vnd, reverses_payment_id, paid_on, method,"
        " needs_review) VALUES (:c, -60000000, :r, '2025-03-03', 'cash', true)",
        {"c": world["case"], "r": second})


@pytest.mark.parametrize("table", ["case_events", "payments", "audit_log"])
def test_history_is_append_only(session: Session, world: dict[str, int], table: str) -> None:
    session.execute(text(
        "INSERT INTO case_events (case_id, kind, step_from, step_to, occurred_on, decision_no)"
        " VALUES (:c, 'step', 'not_started', 'notified', '2024-03-01', '12/TB-UBND')"),
        {"c": world["case"]})
    session.execute(text("INSERT INTO payments (case_id, amount_vnd, paid_on, method,"
                         " household_id, payee_id) VALUES (:c, 1000, '2025-03-01', 'cash', :h,"
                         " :y)"), {"c": world["case"], "h": world["household"],
                                   "y": world["payee"]})
    for sql in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}", f"TRUNCATE {table} CASCADE"):
        assert "append-only" in rejects(session, sql)


def test_step_events_need_both_ends(session: Session, world: dict[str, int]) -> None:
    msg = rejects(session, "INSERT INTO case_events (case_id, kind, step_to, occurred_on) VALUES "
                  "(:c, 'step', 'notified', '2024-03-01')", {"c": world["case"]})
    assert "ck_case_events_step" in msg


def test_handover_date_goes_with_handed_over_step(session: Session,
                                                 world: dict[str, int]) -> None:
    msg = rejects(session, "UPDATE clearance_cases SET step = 'handed_over' WHERE id = :c",
                  {"c": world["case"]})
    assert "ck_clearance_cases_handover_date" in msg


def test_changes_are_audited_with_actor(session: Session, world: dict[str, int]) -> None:
    session.execute(text("SELECT set_config('gpmb.actor', 'canbo.tuan', true)"))
    session.execute(text("UPDATE parcels SET land_use_code = 'HNK' WHERE id = :p"),
                    {"p": world["parcel"]})
    row = session.execute(text(
        "SELECT action, actor, before->>'land_use_code', after->>'land_use_code' FROM audit_log"
        " WHERE table_name = 'parcels' AND row_key = :k ORDER BY id DESC LIMIT 1"),
        {"k": str(world["parcel"])}).one()
    assert tuple(row) == ("U", "canbo.tuan", "LUC", "HNK")


def test_user_audit_never_copies_password_hashes(session: Session) -> None:
    uid = session.execute(text("INSERT INTO users (username, role, password_hash) VALUES "
                               "('kiemtra', 'staff', 'argon2-secret') RETURNING id")).scalar_one()
    session.execute(text("UPDATE users SET full_name = 'Kiểm Tra' WHERE id = :u"), {"u": uid})
    before, after = session.execute(text(
        "SELECT before, after FROM audit_log WHERE table_name = 'users' AND row_key = :k"),
        {"k": str(uid)}).one()
    assert "password_hash" not in before and "password_hash" not in after
