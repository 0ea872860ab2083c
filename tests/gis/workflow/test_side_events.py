"""Side branches on the real database: compulsory inventory, complaints (the register),
enforcement and compliance, consultation, renewed notices and recorded exceptions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import text

from gis.core.domain import CaseStep, EventKind
from gis.core.errors import InvalidTransition
from gis.workflow import record_side_event
from gis.workflow.paperwork import DocKind, DocumentRef
from gis.workflow.service import EventResult
from tests.gis.workflow.helpers import TODAY, D, World
from tests.papers import signer_on

K = EventKind
VN = dt.timezone(dt.timedelta(hours=7))


def side(w: World, kind: EventKind, on: dt.date, *, doc: str | None = None,
         case: int | None = None, **kw: Any) -> EventResult:
    """Record a side event as staff; ``doc`` adds its main document dated ``on``, signed by
    the competent chairman of that day."""
    if doc:
        kw = {"decision_no": doc, "decision_date": on, "signer": signer_on(on)} | kw
    return record_side_event(w.session, case or w.agri_case, kind, occurred_on=on,
                             actor_id=w.staff, today=TODAY, **kw)


def persuaded(on: dt.date) -> list[DocumentRef]:
    """The persuasion minutes of ``on``."""
    return [DocumentRef(DocKind.PERSUASION_MINUTES, "4/BB-VĐ", on)]


def enforcement_file(on: dt.date) -> list[DocumentRef]:
    """Persuasion, posting and delivery records of an enforcement decision, dated ``on``."""
    return [DocumentRef(DocKind.PERSUASION_MINUTES, "4/BB-VĐ", on),
            DocumentRef(DocKind.ENFORCEMENT_POSTING, "5/BB-NY", on),
            DocumentRef(DocKind.ENFORCEMENT_DELIVERY, "6/BB-GQĐ", on)]


def reason(info: pytest.ExceptionInfo[InvalidTransition]) -> Any:
    return info.value.extra["reason"]


def test_compulsory_inventory_needs_its_persuasion_period(world: World) -> None:
    w = world
    with pytest.raises(InvalidTransition) as info:
        side(w, K.COMPULSORY_INVENTORY, D(2025, 3, 20), doc="20/QĐ-UBND",
             documents=persuaded(D(2025, 3, 6)))
    assert reason(info) == "wrong_step"
    w.decision(w.agri_case, CaseStep.NOTIFIED, D(2025, 3, 5), "12/TB-UBND")
    with pytest.raises(InvalidTransition) as info:
        side(w, K.COMPULSORY_INVENTORY, D(2025, 3, 20))
    assert info.value.extra == {"reason": "required", "field": "decision_no"}
    with pytest.raises(InvalidTransition) as info:
        side(w, K.COMPULSORY_INVENTORY, D(2025, 3, 20), doc="20/QĐ-UBND")
    assert info.value.extra["document_kind"] == "persuasion_minutes"
    with pytest.raises(InvalidTransition) as info:
        side(w, K.COMPULSORY_INVENTORY, D(2025, 3, 15), doc="20/QĐ-UBND",
             documents=persuaded(D(2025, 3, 6)))
    assert reason(info) == "persuasion_period_not_over"
    assert info.value.extra["missing_days"] == 1
    assert "10 ngày vận động, thuyết phục" in info.value.message_vi
    with pytest.raises(InvalidTransition) as info:  # after 2025-07-01 no district
        side(w, K.COMPULSORY_INVENTORY, D(2025, 3, 16), doc="20/QĐ-UBND",
             documents=persuaded(D(2025, 3, 6)), signer="Chủ tịch UBND xã Thử Nghiệm")
    assert reason(info) == "issuer_not_competent"
    result = side(w, K.COMPULSORY_INVENTORY, D(2025, 3, 16), doc="20/QĐ-UBND",
                  documents=persuaded(D(2025, 3, 6)))
    assert (result.kind, result.step, result.rule_version) == (
        K.COMPULSORY_INVENTORY, CaseStep.NOTIFIED, "LD2024")


def register(w: World, case: int) -> list[Any]:
    return list(w.session.execute(text(
        "SELECT round, late_days, is_late, due_on, decision_received_on, outcome FROM complaints"
        " WHERE case_id = :c ORDER BY id"), {"c": case}))


def test_every_complaint_is_registered_late_ones_flagged(world: World) -> None:
    w, c = world, world.agri_case
    with pytest.raises(InvalidTransition, match="nothing to complain"):
        side(w, K.COMPLAINT_FILED, D(2025, 3, 1))
    w.decision(c, CaseStep.NOTIFIED, D(2025, 3, 5), "12/TB-UBND")
    late = side(w, K.COMPLAINT_FILED, D(2025, 6, 4), complainant="Hoàng Văn Thụ")
    on_time = side(w, K.COMPLAINT_FILED, D(2025, 6, 4), decision_received_on=D(2025, 3, 10))
    assert late.complaint_id and on_time.complaint_id
    rows = register(w, c)
    assert [(r.round, r.late_days, r.is_late) for r in rows] == [(1, 1, True), (1, 0, False)]
    assert rows[1].due_on == D(2025, 6, 8)  # 90 days from the day the notice was received
    assert w.case_row(c).complaint_open
    with pytest.raises(InvalidTransition, match="decision received"):
        side(w, K.COMPLAINT_FILED, D(2025, 6, 4), decision_received_on=D(2025, 3, 1))
    # A complaint never blocks the procedure.
    w.step(c, CaseStep.INVENTORIED, D(2025, 6, 10))
    with pytest.raises(InvalidTransition, match="outcome"):
        side(w, K.COMPLAINT_RESOLVED, D(2025, 7, 1), doc="301/QĐ-UBND")
    side(w, K.COMPLAINT_RESOLVED, D(2025, 7, 1), doc="301/QĐ-UBND", outcome="rejected")
    assert w.case_row(c).complaint_open  # the second one is still open
    side(w, K.COMPLAINT_RESOLVED, D(2025, 7, 2), doc="302/QĐ-UBND", outcome="not_accepted",
         complaint_id=on_time.complaint_id)
    assert not w.case_row(c).complaint_open
    assert [r.outcome for r in register(w, c)] == ["rejected", "not_accepted"]
    with pytest.raises(InvalidTransition, match="no open complaint"):
        side(w, K.COMPLAINT_RESOLVED, D(2025, 7, 3), doc="303/QĐ-UBND", outcome="upheld")
    # second complaint: 30 days from the first resolution (45 in remote areas), late: flagged
    side(w, K.COMPLAINT_FILED, D(2025, 8, 10))
    side(w, K.COMPLAINT_FILED, D(2025, 8, 10), remote_area=True)
    assert [(r.round, r.late_days) for r in register(w, c)[2:]] == [(2, 9), (2, 0)]
    with pytest.raises(Exception, match="outcome"):  # the register keeps its rows
        w.session.execute(text("UPDATE complaints SET late_days = 0 WHERE case_id = :c"),
                          {"c": c})


def test_complaint_limits_on_both_sides_of_2026(world: World) -> None:
    w, c = world, world.agri_case
    w.decision(c, CaseStep.NOTIFIED, D(2025, 11, 20), "12/TB-UBND")
    side(w, K.COMPLAINT_FILED, D(2026, 2, 19))  # 91 days, filed under the 2026 rules
    assert w.session.execute(text("SELECT rule_version, late_days FROM complaints WHERE "
                                  "case_id = :c"), {"c": c}).one() == ("NQ254-2026", 1)


def to_decided(w: World, c: int, notice: dt.date | None = None,
               approved: dt.date | None = None, decided: dt.date | None = None) -> None:
    w.to_approved(c, notice=notice or D(2025, 3, 5), approved=approved or D(2025, 5, 20))
    w.decision(c, CaseStep.DECIDED, decided or D(2025, 6, 10), "123/QĐ-UBND")


def test_enforcement_needs_its_file_office_hours_and_no_festival(world: World) -> None:
    w, c = world, world.agri_case
    w.to_approved(c)
    with pytest.raises(InvalidTransition) as info:
        side(w, K.ENFORCEMENT_DECIDED, D(2025, 6, 1), doc="70/QĐ-UBND")
    assert "chưa có quyết định thu hồi đất" in info.value.message_vi
    w.decision(c, CaseStep.DECIDED, D(2025, 6, 10), "123/QĐ-UBND")
    with pytest.raises(InvalidTransition, match="no enforcement decision"):
        side(w, K.ENFORCEMENT_EXECUTED, D(2025, 7, 2), doc="80/BB-CC",
             documents=enforcement_file(D(2025, 6, 25)), at=dt.datetime(2025, 7, 2, 8, tzinfo=VN))
    side(w, K.ENFORCEMENT_DECIDED, D(2025, 6, 20), doc="70/QĐ-UBND")
    assert w.case_row(c).enforcement_stage == "decided"
    with pytest.raises(InvalidTransition, match="already decided"):
        side(w, K.ENFORCEMENT_DECIDED, D(2025, 6, 21), doc="71/QĐ-UBND")
    ok: dict[str, Any] = {"doc": "80/BB-CC", "documents": enforcement_file(D(2025, 6, 25))}

    def refused(on: dt.date, at: dt.datetime | None, **kw: Any) -> Any:
        with pytest.raises(InvalidTransition) as info:
            side(w, K.ENFORCEMENT_EXECUTED, on, at=at, **(ok | kw))
        return info.value

    assert refused(D(2025, 7, 2), None).extra == {"reason": "required", "field": "at"}
    for missing in range(3):
        docs = [d for i, d in enumerate(ok["documents"]) if i != missing]
        err = refused(D(2025, 7, 2), dt.datetime(2025, 7, 2, 8, tzinfo=VN), documents=docs)
        assert err.extra["reason"] == "document_missing"
    err = refused(D(2025, 7, 2), dt.datetime(2025, 7, 2, 8, tzinfo=VN),
                  documents=enforcement_file(D(2025, 6, 19)))
    assert err.extra["reason"] == "document_before_decision"
    err = refused(D(2025, 7, 2), dt.datetime(2025, 7, 2, 5, tzinfo=VN))
    assert err.extra["reason"] == "enforcement_night"
    err = refused(D(2025, 7, 2), dt.datetime(2025, 7, 2, 18, tzinfo=VN))
    assert err.extra["reason"] == "enforcement_outside_office_hours"
    err = refused(D(2025, 9, 2), dt.datetime(2025, 9, 2, 8, tzinfo=VN))
    assert err.extra["reason"] == "enforcement_public_holiday"
    w.session.execute(text("INSERT INTO enforcement_blackouts (first_day, last_day, name_vi,"
                           " kind, commune_code) VALUES ('2025-07-02', '2025-07-03',"
                           " 'Lễ hội Lồng tồng xã Thử Nghiệm', 'festival', '99997')"))
    err = refused(D(2025, 7, 2), dt.datetime(2025, 7, 2, 8, tzinfo=VN))
    assert err.extra["reason"] == "enforcement_festival"
    assert "Lễ hội Lồng tồng xã Thử Nghiệm" in err.message_vi
    with pytest.raises(InvalidTransition, match="occurred_on"):
        side(w, K.ENFORCEMENT_EXECUTED, D(2025, 7, 4), at=dt.datetime(2025, 7, 2, 8, tzinfo=VN),
             **ok)
    side(w, K.ENFORCEMENT_EXECUTED, D(2025, 7, 4), at=dt.datetime(2025, 7, 4, 8, tzinfo=VN),
         note="Cưỡng chế có sự tham gia của Ban thực hiện cưỡng chế", **ok)
    assert w.case_row(c).enforcement_stage == "executed"
    assert w.session.execute(text("SELECT count(*) FROM event_documents WHERE case_id = :c AND "
                                  "kind LIKE 'enforcement%'"), {"c": c}).scalar_one() == 2


def test_seeded_festival_blocks_enforcement_in_2026(world: World) -> None:
    w, c = world, world.agri_case
    to_decided(w, c, notice=D(2025, 10, 1), approved=D(2025, 12, 1), decided=D(2026, 1, 5))
    side(w, K.ENFORCEMENT_DECIDED, D(2026, 1, 10), doc="70/QĐ-UBND")
    with pytest.raises(InvalidTransition) as info:  # Kỳ Cùng – Tả Phủ 10–15/3/2026
        side(w, K.ENFORCEMENT_EXECUTED, D(2026, 3, 11), doc="80/BB-CC",
             documents=enforcement_file(D(2026, 1, 20)),
             at=dt.datetime(2026, 3, 11, 8, tzinfo=VN))
    assert reason(info) == "enforcement_festival"
    assert "Kỳ Cùng" in info.value.message_vi


def test_owner_complying_starts_30_days_and_nothing_after_handover(world: World) -> None:
    w, c = world, world.agri_case
    to_decided(w, c)
    with pytest.raises(InvalidTransition, match="no enforcement decision"):
        side(w, K.OWNER_COMPLIED, D(2025, 6, 25), doc="81/BB-CH")
    side(w, K.ENFORCEMENT_DECIDED, D(2025, 6, 20), doc="70/QĐ-UBND")
    done = side(w, K.OWNER_COMPLIED, D(2025, 6, 25), doc="81/BB-CH")
    assert done.handover_due == D(2025, 7, 25)
    assert w.case_row(c).enforcement_stage == "complied"
    with pytest.raises(InvalidTransition, match="no enforcement decision"):
        side(w, K.ENFORCEMENT_EXECUTED, D(2025, 7, 2), doc="80/BB-CC",
             documents=enforcement_file(D(2025, 6, 21)), at=dt.datetime(2025, 7, 2, 8, tzinfo=VN))
    w.pay(c, 1_000_000_000, D(2025, 6, 26))
    w.step(c, CaseStep.DECIDED_PAID, D(2025, 6, 27))
    w.step(c, CaseStep.HANDED_OVER, D(2025, 7, 1))
    with pytest.raises(InvalidTransition) as info:
        side(w, K.ENFORCEMENT_DECIDED, D(2025, 7, 2), doc="72/QĐ-UBND")
    assert reason(info) == "case_handed_over"


def test_repeated_side_event_is_not_recorded_twice(world: World) -> None:
    w = world
    w.decision(w.agri_case, CaseStep.NOTIFIED, D(2025, 3, 5), "12/TB-UBND")
    first = side(w, K.COMPLAINT_FILED, D(2025, 4, 1), idempotency_key="kn-1")
    again = side(w, K.COMPLAINT_FILED, D(2025, 4, 1), idempotency_key="kn-1")
    assert again.replayed and again.event_id == first.event_id
