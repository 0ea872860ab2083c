"""Many threads writing one case, each in its own committed transaction: exactly one wins
per version, no update is lost, and a retried request is recorded once.

These tests commit, so they use a database of their own (history cannot be deleted).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gis.compensation.ledger import record_payment
from gis.compensation.plan import ItemInput, record_decision
from gis.compensation.records import ensure_case_households
from gis.core.domain import CaseStep, EventKind, PaymentMethod
from gis.core.errors import Conflict
from gis.core.settings import Settings
from gis.db import migrate
from gis.db.engine import make_engine
from gis.workflow import record_side_event, record_step
from gis.workflow.service import EventResult
from tests.gis.workflow.helpers import TODAY, D, square
from tests.papers import consultation_kwargs, signer_on, step_kwargs

THREADS = 12


@pytest.fixture(scope="module")
def busy_engine(make_database: Callable[[str], str], test_settings: Settings
                ) -> Iterator[Engine]:
    eng = make_engine(make_database("gpmb_workflow_concurrency"),
                      test_settings.model_copy(update={"db_pool_size": THREADS}))
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def case(busy_engine: Engine) -> dict[str, int]:
    """A committed case at plan_approved with 1.2 billion VND approved, and a staff user."""
    n = int(dt.datetime.now().timestamp() * 1000) % 1_000_000
    with Session(busy_engine) as s, s.begin():
        s.execute(text("INSERT INTO communes (code, name, unit_type, centre) VALUES ('99996', "
                       "'Xã Đồng Thời', 'xa', 'SRID=9215;POINT(450000 2417000)') "
                       "ON CONFLICT DO NOTHING"))
        survey = s.execute(text("INSERT INTO surveys (name) VALUES (:n) RETURNING id"),
                           {"n": f"s{n}"}).scalar_one()
        project = s.execute(text(
            "INSERT INTO projects (code, name, investment_form, owner) VALUES (:c, 'Đồng thời',"
            " 'public_budget', 'Sở') RETURNING id"), {"c": f"C-{n}"}).scalar_one()
        parcel = s.execute(text(
            "INSERT INTO parcels (survey_id, commune_code, sheet_commune_code, sheet_no,"
            " parcel_no, land_use_code, legal_area_m2, geom) VALUES (:s, '99996', '99996', 1, 1,"
            " 'LUC', 2500, :g) RETURNING id"), {"s": survey, "g": square(450000, 2417000)}
        ).scalar_one()
        case_id = s.execute(text(
            "INSERT INTO clearance_cases (project_id, parcel_id, recovered_geom,"
            " recovered_area_m2) VALUES (:p, :q, :g, 2500) RETURNING id"),
            {"p": project, "q": parcel, "g": square(450000, 2417000)}).scalar_one()
        staff = s.execute(text("INSERT INTO users (username, role, password_hash) VALUES "
                               "(:u, 'staff', 'x') RETURNING id"), {"u": f"staff{n}"}
                          ).scalar_one()
        holder = s.execute(text("INSERT INTO land_users (full_name) VALUES ('Hộ bà Lý Thị Năm')"
                                " RETURNING id")).scalar_one()
        s.execute(text("INSERT INTO parcel_land_users (parcel_id, land_user_id) VALUES (:q, :u)"),
                  {"q": parcel, "u": holder})
        household = ensure_case_households(s, case_id)[0]
        payee = s.execute(text("SELECT id FROM compensation_payees WHERE household_id = :h"),
                          {"h": household}).scalar_one()
    world = {"case": case_id, "staff": staff, "household": household, "payee": payee}
    plan = [(CaseStep.NOTIFIED, D(2025, 3, 5)), (CaseStep.INVENTORIED, D(2025, 3, 25)),
            (CaseStep.PLAN_POSTED, D(2025, 4, 4)), (CaseStep.PLAN_APPROVED, D(2025, 5, 20))]
    for version, (step, on) in enumerate(plan, start=1):
        with Session(busy_engine) as s, s.begin():
            if step == CaseStep.PLAN_APPROVED:
                kw = consultation_kwargs(D(2025, 4, 4))
                record_side_event(s, case_id, EventKind.CONSULTATION, actor_id=staff,
                                  today=TODAY, **kw)
                version += 1
            record_step(s, case_id, step, expected_version=version, occurred_on=on,
                        actor_id=staff, today=TODAY, **step_kwargs(step, on))
    with Session(busy_engine) as s, s.begin():
        record_decision(s, household, kind="approval", decision_no="45/QĐ-UBND",
                        decision_date=D(2025, 5, 20), signer=signer_on(D(2025, 5, 20)),
                        expected_version=1,
                        items=[ItemInput(case_id, "land", "Đất lúa", 2500, "m²", 480_000,
                                         "Bảng giá đất tỉnh Lạng Sơn")],
                        actor_id=staff, today=TODAY)
    return world


def in_threads(engine: Engine, work: Callable[[Session, int], Any]) -> list[Any]:
    """Run ``work(session, i)`` in THREADS threads at once, one committed transaction each;
    returns results or the domain errors raised."""

    def one(i: int) -> Any:
        try:
            with Session(engine) as s, s.begin():
                return work(s, i)
        except Conflict as exc:
            return exc

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(one, range(THREADS)))


def version(engine: Engine, case_id: int) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT version FROM clearance_cases WHERE id = :c"),
                                {"c": case_id}).scalar_one())


def test_exactly_one_writer_wins_per_version(busy_engine: Engine, case: dict[str, int]) -> None:
    for _ in range(3):
        seen = version(busy_engine, case["case"])

        def note(s: Session, i: int, seen: int = seen) -> EventResult:
            return record_side_event(s, case["case"], EventKind.NOTE, occurred_on=TODAY,
                                     note=f"Ghi chú {i}", expected_version=seen,
                                     actor_id=case["staff"], today=TODAY)

        results = in_threads(busy_engine, note)
        wins = [r for r in results if isinstance(r, EventResult)]
        losses = [r for r in results if isinstance(r, Conflict)]
        assert len(wins) == 1 and len(losses) == THREADS - 1
        assert wins[0].version == seen + 1 == version(busy_engine, case["case"])
        assert all(e.extra["current_version"] == seen + 1 for e in losses)


def test_no_lost_payment(busy_engine: Engine, case: dict[str, int]) -> None:
    results = in_threads(busy_engine, lambda s, i: record_payment(
        s, case["case"], 100_000_000, D(2025, 6, 1), PaymentMethod.TRANSFER, voucher_no=f"PC-{i}",
        payee_id=case["payee"], actor_id=case["staff"], idempotency_key=f"pay-{case['case']}-{i}",
        today=TODAY))
    assert all(not isinstance(r, Exception) for r in results)
    with busy_engine.connect() as conn:
        paid, total = conn.execute(text(
            "SELECT c.paid_vnd, (SELECT sum(amount_vnd) FROM payments p WHERE p.case_id = c.id)"
            " FROM clearance_cases c WHERE c.id = :c"), {"c": case["case"]}).one()
    assert paid == total == 1_200_000_000


def test_retries_from_many_threads_record_one_payment(busy_engine: Engine,
                                                      case: dict[str, int]) -> None:
    key = f"retry-{case['case']}"
    results = in_threads(busy_engine, lambda s, i: record_payment(
        s, case["case"], 500_000_000, D(2025, 6, 1), PaymentMethod.CASH, voucher_no="PC-9",
        payee_id=case["payee"], actor_id=case["staff"], idempotency_key=key, today=TODAY))
    ids = {r.payment_id for r in results}
    assert len(ids) == 1 and sum(not r.replayed for r in results) == 1
    with busy_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM payments WHERE idempotency_key = :k"),
                            {"k": key}).scalar_one() == 1
