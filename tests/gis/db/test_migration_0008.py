"""Revision 0008 moves existing money forward: household records for every land user of a
case, the approved amounts as line items under a migrated decision of the first land user,
every payment to that land user flagged "needs review"; nothing lost."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, text

from gis.core.settings import Settings
from gis.db import migrate
from gis.db.engine import make_engine

SQUARE = "SRID=9215;MULTIPOLYGON(((450000 2417000,450050 2417000,450050 2417050," \
         "450000 2417050,450000 2417000)))"


@pytest.fixture
def old_engine(make_database: Callable[[str], str], test_settings: Settings
               ) -> Iterator[Engine]:
    eng = make_engine(make_database("gpmb_migration_0008"), test_settings)
    yield eng
    eng.dispose()


def test_existing_money_moves_to_household_records(old_engine: Engine) -> None:
    migrate.upgrade(old_engine, "0007")
    with old_engine.begin() as conn:
        q = conn.execute
        q(text("INSERT INTO communes (code, name, unit_type, centre) VALUES ('99995',"
               " 'Xã Cũ', 'xa', 'SRID=9215;POINT(450000 2417000)')"))
        survey = q(text("INSERT INTO surveys (name) VALUES ('cũ') RETURNING id")).scalar()
        project = q(text("INSERT INTO projects (code, name, investment_form, owner) VALUES"
                         " ('OLD', 'Dự án cũ', 'public_budget', 'Sở') RETURNING id")).scalar()
        parcel = q(text("INSERT INTO parcels (survey_id, commune_code, sheet_commune_code,"
                        " sheet_no, parcel_no, land_use_code, legal_area_m2, geom) VALUES"
                        " (:s, '99995', '99995', 3, 9, 'ONT', 2500, :g) RETURNING id"),
                   {"s": survey, "g": SQUARE}).scalar()
        wife = q(text("INSERT INTO land_users (full_name) VALUES ('Bà Lý Thị Hoa')"
                      " RETURNING id")).scalar()
        husband = q(text("INSERT INTO land_users (full_name) VALUES ('Ông Vy Văn Bảy')"
                         " RETURNING id")).scalar()
        q(text("INSERT INTO parcel_land_users VALUES (:p, :w, 40), (:p, :h, 60)"),
          {"p": parcel, "w": wife, "h": husband})
        case = q(text("INSERT INTO clearance_cases (project_id, parcel_id, recovered_geom,"
                      " recovered_area_m2, step, approved_land_vnd, approved_structures_vnd,"
                      " approved_support_vnd) VALUES (:p, :q, :g, 2500, 'plan_approved',"
                      " 700000000, 250000000, 50000000) RETURNING id"),
                 {"p": project, "q": parcel, "g": SQUARE}).scalar()
        q(text("INSERT INTO case_events (case_id, kind, step_from, step_to, occurred_on,"
               " decision_no, decision_date, signer) VALUES (:c, 'step', 'plan_posted',"
               " 'plan_approved', '2025-05-22', '45/QĐ-UBND', '2025-05-20', 'Chủ tịch')"),
          {"c": case})
        q(text("INSERT INTO payments (case_id, amount_vnd, paid_on, method, voucher_no) VALUES"
               " (:c, 300000000, '2025-06-01', 'cash', 'PC-1'),"
               " (:c, 100000000, '2025-06-02', 'treasury_deposit', 'GNT-1')"), {"c": case})
    migrate.upgrade(old_engine)
    with old_engine.connect() as conn:
        q = conn.execute
        records = q(text("SELECT land_user_id, needs_review FROM compensation_households"
                         " ORDER BY land_user_id")).all()
        assert [tuple(r) for r in records] == [(wife, True), (husband, True)]
        first = q(text("SELECT id FROM compensation_households WHERE land_user_id = :h"),
                  {"h": husband}).scalar()  # the larger share comes first
        decision = q(text("SELECT kind::text, decision_no, decision_date::text, signer,"
                          " total_vnd, needs_review FROM compensation_decisions"
                          " WHERE household_id = :h"), {"h": first}).one()
        assert tuple(decision) == ("migrated", "45/QĐ-UBND", "2025-05-20", "Chủ tịch",
                                   1_000_000_000, True)
        items = q(text("SELECT kind::text, amount_vnd FROM compensation_line_items"
                       " WHERE case_id = :c ORDER BY id"), {"c": case}).all()
        assert [tuple(i) for i in items] == [("land", 700_000_000),
                                             ("structures", 250_000_000),
                                             ("support_other", 50_000_000)]
        ledger = q(text("SELECT amount_vnd, kind::text, household_id, needs_review,"
                        " (SELECT land_user_id FROM compensation_payees y WHERE y.id = payee_id)"
                        " FROM payments ORDER BY id")).all()
        assert [tuple(r) for r in ledger] == [(300_000_000, "payment", first, True, husband),
                                              (100_000_000, "deposit", first, True, husband)]
        assert q(text("SELECT paid_vnd, approved_total_vnd FROM clearance_cases")).one() == (
            400_000_000, 1_000_000_000)
        assert q(text("SELECT count(*) FROM compensation_payees")).scalar() == 2
