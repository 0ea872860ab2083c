"""The procedure rules through the service on the real PostGIS: renewed notices (and the
deadlines the database keeps), resettlement before the recovery decision, recorded
exceptions, issuers and documents stored, and free-text signers migrated forward."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gis.cases.resettlement import allocate_plot
from gis.core.domain import CaseStep, EventKind
from gis.core.errors import InvalidTransition
from gis.core.settings import Settings
from gis.db import migrate
from gis.db.engine import make_engine
from gis.models import CaseEvent, ClearanceCase
from gis.workflow import case_deadlines, load_rule_book, next_deadline
from gis.workflow.deadlines import DeadlineKind, pending_deadlines
from gis.workflow.paperwork import DocKind, DocumentRef
from tests.gis.workflow.helpers import TODAY, D, World, square

S, K = CaseStep, EventKind


def renew(w: World, case: int, on: dt.date) -> None:
    w.side(case, K.NOTICE_RENEWED, on, decision_no="30/TB-UBND", decision_date=on,
           signer="Chủ tịch UBND xã Thử Nghiệm",
           documents=[DocumentRef(DocKind.NOTICE_DELIVERY, "31/BB-GTB", on)])


def deadlines_agree(w: World, case: int, today: dt.date) -> dt.date:
    """The next deadline agrees in SQL, in the table kept by triggers and in Python;
    returns the notice's expiry among the pending deadlines."""
    sql = case_deadlines(w.session, today, case_id=case)
    kept = w.session.execute(text("SELECT what, due_on FROM case_next_deadlines WHERE "
                                  "case_id = :c"), {"c": case}).one()
    row = w.session.get(ClearanceCase, case)
    assert row is not None
    events = list(w.session.query(CaseEvent).filter(CaseEvent.case_id == case)
                  .order_by(CaseEvent.id))
    python = next_deadline(row, events, today, load_rule_book(w.session))
    assert python is not None and len(sql) == 1
    assert (sql[0].what, sql[0].due_date) == (python.what, python.due_date) == (
        DeadlineKind(kept.what), kept.due_on)
    pending = pending_deadlines(row, events, today, load_rule_book(w.session))
    return next(d.due_date for d in pending if d.what == DeadlineKind.NOTICE_EXPIRY)


@pytest.mark.parametrize("notice", [D(2024, 11, 4), D(2025, 3, 5)])
def test_renewed_notice_unsticks_the_case(world: World, notice: dt.date) -> None:
    w, c = world, world.agri_case
    w.to_approved(c, notice=notice, approved=notice + dt.timedelta(days=70))
    lapsed = D(notice.year + 1, notice.month, notice.day) + dt.timedelta(days=1)
    assert deadlines_agree(w, c, lapsed) == lapsed - dt.timedelta(days=1)
    with pytest.raises(InvalidTransition) as info:
        w.decision(c, S.DECIDED, lapsed, "123/QĐ-UBND")
    assert info.value.extra["reason"] == "notice_expired"
    assert "thông báo lại" in info.value.message_vi
    renew(w, c, lapsed)
    assert deadlines_agree(w, c, lapsed) == D(lapsed.year + 1, lapsed.month, lapsed.day)
    result = w.decision(c, S.DECIDED, lapsed + dt.timedelta(days=1), "123/QĐ-UBND")
    assert result.step == S.DECIDED
    assert result.rule_version == ("LD2024" if lapsed < D(2026, 1, 1) else "NQ254-2026")


def _plot(w: World) -> int:
    area = w.session.execute(text(
        "INSERT INTO resettlement_areas (project_id, code, name, commune_code, geom) VALUES "
        "(:p, 'TĐC-1', 'Khu tái định cư thử', '99997', :g) RETURNING id"),
        {"p": w.project, "g": square(451000, 2417000, 200)}).scalar_one()
    return int(w.session.execute(text(
        "INSERT INTO resettlement_plots (area_id, code, area_m2, price_vnd, geom) VALUES "
        "(:a, 'L1', 100, 500000000, ST_GeometryN(CAST(:g AS geometry), 1)) RETURNING id"),
        {"a": area, "g": square(451000, 2417000, 10)}).scalar_one())


@pytest.mark.parametrize("notice", [D(2025, 3, 5), D(2025, 12, 1)])
def test_recovery_decision_waits_for_resettlement(world: World, notice: dt.date) -> None:
    w, c = world, world.resid_case  # residential land: 180 days (120 from 2026)
    w.session.execute(text("UPDATE clearance_cases SET resettlement_needed = true WHERE id = :c"),
                      {"c": c})
    w.to_approved(c, notice=notice, approved=notice + dt.timedelta(days=70))
    day = notice + dt.timedelta(days=190)
    with pytest.raises(InvalidTransition) as info:
        w.decision(c, S.DECIDED, day, "123/QĐ-UBND")
    assert info.value.extra["reason"] == "resettlement_not_arranged"
    if day >= D(2026, 1, 1):  # urgent public investment: decision before resettlement
        w.side(c, K.RECOVERY_EXCEPTION, day, decision_no="3/QĐ-UBND", decision_date=day,
               exception_kind="before_resettlement", project_kind="urgent_public_investment")
        assert w.session.execute(text("SELECT kind, project_kind FROM recovery_exceptions "
                                      "WHERE case_id = :c"), {"c": c}).one() == (
            "before_resettlement", "urgent_public_investment")
    else:
        allocate_plot(w.session, c, _plot(w), allocated_on=day, actor_id=w.staff, today=TODAY)
    assert w.decision(c, S.DECIDED, day, "123/QĐ-UBND").step == S.DECIDED


def test_issuer_and_documents_are_stored(world: World) -> None:
    w, c = world, world.agri_case
    event = w.decision(c, S.NOTIFIED, D(2025, 8, 1), "12/TB-UBND", signer="Phó Chủ tịch",
                       issuer_level="commune", issuer_unit="UBND xã Thử Nghiệm")
    row = w.session.execute(text("SELECT issuer_level, issuer_unit, signer FROM case_events "
                                 "WHERE id = :e"), {"e": event.event_id}).one()
    assert tuple(row) == ("commune", "UBND xã Thử Nghiệm", "Phó Chủ tịch")
    docs = w.session.execute(text("SELECT kind, doc_no, doc_date FROM event_documents WHERE "
                                  "event_id = :e"), {"e": event.event_id}).all()
    assert [tuple(d) for d in docs] == [("notice_delivery", "3/BB-GTB", D(2025, 8, 1))]
    with pytest.raises(Exception, match="append-only"):
        w.session.execute(text("UPDATE event_documents SET doc_no = '4/BB-GTB'"))


@pytest.fixture
def scratch(make_database: Callable[[str], str], test_settings: Settings) -> Engine:
    return make_engine(make_database("gpmb_signers"), test_settings)


def test_free_text_signers_move_forward(scratch: Engine) -> None:
    migrate.upgrade(scratch, "0007")
    with Session(scratch) as s, s.begin():
        s.execute(text("INSERT INTO communes (code, name, unit_type, centre) VALUES ('99995',"
                       " 'Xã Cũ', 'xa', 'SRID=9215;POINT(450000 2417000)')"))
        survey = s.execute(text("INSERT INTO surveys (name) VALUES ('cũ') RETURNING id")).scalar()
        project = s.execute(text("INSERT INTO projects (code, name, investment_form, owner) "
                                 "VALUES ('OLD', 'Cũ', 'public_budget', 'Sở') RETURNING id")
                            ).scalar()
        parcel = s.execute(text(
            "INSERT INTO parcels (survey_id, commune_code, sheet_commune_code, sheet_no,"
            " parcel_no, land_use_code, legal_area_m2, geom) VALUES (:s, '99995', '99995', 1,"
            " 1, 'LUC', 2500, :g) RETURNING id"), {"s": survey, "g": square(450000, 2417000)}
        ).scalar()
        case = s.execute(text(
            "INSERT INTO clearance_cases (project_id, parcel_id, recovered_geom,"
            " recovered_area_m2) VALUES (:p, :q, :g, 2500) RETURNING id"),
            {"p": project, "q": parcel, "g": square(450000, 2417000)}).scalar()
        for signer in ("Chủ tịch UBND huyện Cao Lộc", "Phó Chủ tịch UBND xã Đồng Đăng",
                       "Giám đốc Trung tâm Phát triển quỹ đất"):
            s.execute(text("INSERT INTO case_events (case_id, kind, occurred_on, signer) VALUES"
                           " (:c, 'note', '2025-03-05', :s)"), {"c": case, "s": signer})
    migrate.upgrade(scratch)
    with scratch.connect() as conn:
        rows = conn.execute(text("SELECT signer, issuer_level, issuer_unit FROM case_events "
                                 "ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [
        ("Chủ tịch UBND huyện Cao Lộc", "district", "UBND huyện Cao Lộc"),
        ("Phó Chủ tịch UBND xã Đồng Đăng", "commune", "UBND xã Đồng Đăng"),
        ("Giám đốc Trung tâm Phát triển quỹ đất", None, None)]
    scratch.dispose()
