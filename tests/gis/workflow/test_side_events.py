"""Side branches on the real database: compulsory inventory, complaints, enforcement."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gis.domain import CaseStep, EventKind
from gis.errors import InvalidTransition
from gis.workflow import record_side_event
from gis.workflow.service import EventResult
from tests.gis.workflow.helpers import TODAY, D, World

K = EventKind
VN = dt.timezone(dt.timedelta(hours=7))


def side(w: World, kind: EventKind, on: dt.date, *, doc: str | None = None,
         **kw: Any) -> EventResult:
    """Record a side event as staff; ``doc`` adds a signed document dated ``on``."""
    if doc:
        kw |= {"decision_no": doc, "decision_date": on, "signer": "Chủ tịch UBND xã"}
    return record_side_event(w.session, w.agri_case, kind, occurred_on=on, actor_id=w.staff,
                             today=TODAY, **kw)


def test_compulsory_inventory_only_between_notice_and_inventory(world: World) -> None:
    w = world
    with pytest.raises(InvalidTransition) as info:
        side(w, K.COMPULSORY_INVENTORY, D(2025, 3, 20), doc="20/QĐ-UBND")
    assert info.value.extra["reason"] == "wrong_step"
    w.decision(w.agri_case, CaseStep.NOTIFIED, D(2025, 3, 5), "12/TB-UBND")
    with pytest.raises(InvalidTransition) as info:
        side(w, K.COMPULSORY_INVENTORY, D(2025, 3, 20))
    assert info.value.extra == {"reason": "required", "field": "decision_no"}
    with pytest.raises(InvalidTransition, match="before"):
        side(w, K.COMPULSORY_INVENTORY, D(2025, 3, 1), doc="20/QĐ-UBND")
    result = side(w, K.COMPULSORY_INVENTORY, D(2025, 3, 20), doc="20/QĐ-UBND")
    assert (result.kind, result.step, result.rule_version) == (
        K.COMPULSORY_INVENTORY, CaseStep.NOTIFIED, "LD2024")


def test_complaints(world: World) -> None:
    w, c = world, world.agri_case
    with pytest.raises(InvalidTransition, match="nothing to complain"):
        side(w, K.COMPLAINT_FILED, D(2025, 3, 1))
    w.decision(c, CaseStep.NOTIFIED, D(2025, 3, 5), "12/TB-UBND")
    with pytest.raises(InvalidTransition) as info:
        side(w, K.COMPLAINT_FILED, D(2025, 6, 4))  # 91 days after the notice
    assert info.value.extra["reason"] == "complaint_out_of_time"
    assert info.value.message_vi.startswith(
        "Đã quá thời hiệu khiếu nại 90 ngày kể từ văn bản gần nhất của hồ sơ ngày 05/03/2025 "
        "(hết hạn ngày 03/06/2025, quá 1 ngày")
    side(w, K.COMPLAINT_FILED, D(2025, 6, 3), note="Khiếu nại về diện tích thu hồi")
    assert w.case_row(c).complaint_open
    with pytest.raises(InvalidTransition, match="already open"):
        side(w, K.COMPLAINT_FILED, D(2025, 6, 3))
    with pytest.raises(InvalidTransition, match="required"):
        side(w, K.COMPLAINT_RESOLVED, D(2025, 7, 1))
    side(w, K.COMPLAINT_RESOLVED, D(2025, 7, 1), doc="301/QĐ-UBND")
    assert not w.case_row(c).complaint_open
    with pytest.raises(InvalidTransition, match="no open complaint"):
        side(w, K.COMPLAINT_RESOLVED, D(2025, 7, 2), doc="302/QĐ-UBND")
    # second complaint: 30 days from the first resolution, 45 in remote areas
    with pytest.raises(InvalidTransition) as info:
        side(w, K.COMPLAINT_FILED, D(2025, 8, 1))
    assert "30 ngày kể từ quyết định giải quyết khiếu nại lần đầu" in info.value.message_vi
    second = side(w, K.COMPLAINT_FILED, D(2025, 8, 1), remote_area=True)
    assert second.kind == K.COMPLAINT_FILED


def test_enforcement(world: World) -> None:
    w, c = world, world.agri_case
    w.to_approved(c)
    with pytest.raises(InvalidTransition) as info:
        side(w, K.ENFORCEMENT_DECIDED, D(2025, 6, 1), doc="70/QĐ-UBND")
    assert "chưa có quyết định thu hồi đất" in info.value.message_vi
    w.decision(c, CaseStep.DECIDED, D(2025, 6, 10), "123/QĐ-UBND")
    with pytest.raises(InvalidTransition, match="no enforcement decision"):
        side(w, K.ENFORCEMENT_EXECUTED, D(2025, 7, 2), at=dt.datetime(2025, 7, 2, 8, tzinfo=VN))
    side(w, K.ENFORCEMENT_DECIDED, D(2025, 6, 20), doc="70/QĐ-UBND")
    assert w.case_row(c).enforcement_stage == "decided"
    with pytest.raises(InvalidTransition, match="already decided"):
        side(w, K.ENFORCEMENT_DECIDED, D(2025, 6, 21), doc="71/QĐ-UBND")
    with pytest.raises(InvalidTransition) as info:
        side(w, K.ENFORCEMENT_EXECUTED, D(2025, 7, 2))
    assert info.value.extra == {"reason": "required", "field": "at"}
    with pytest.raises(InvalidTransition) as info:
        side(w, K.ENFORCEMENT_EXECUTED, D(2025, 7, 2), at=dt.datetime(2025, 7, 2, 5, tzinfo=VN))
    assert info.value.extra["reason"] == "enforcement_night"
    assert "trong khoảng 22 giờ đến 6 giờ sáng hôm sau" in info.value.message_vi
    with pytest.raises(InvalidTransition) as info:
        side(w, K.ENFORCEMENT_EXECUTED, D(2025, 9, 2), at=dt.datetime(2025, 9, 2, 8, tzinfo=VN))
    assert info.value.extra["reason"] == "enforcement_public_holiday"
    with pytest.raises(InvalidTransition, match="occurred_on"):
        side(w, K.ENFORCEMENT_EXECUTED, D(2025, 7, 3), at=dt.datetime(2025, 7, 2, 8, tzinfo=VN))
    side(w, K.ENFORCEMENT_EXECUTED, D(2025, 7, 2), at=dt.datetime(2025, 7, 2, 8, tzinfo=VN),
         note="Cưỡng chế có sự tham gia của Ban thực hiện cưỡng chế")
    assert w.case_row(c).enforcement_stage == "executed"


def test_repeated_side_event_is_not_recorded_twice(world: World) -> None:
    w = world
    w.decision(w.agri_case, CaseStep.NOTIFIED, D(2025, 3, 5), "12/TB-UBND")
    first = side(w, K.COMPLAINT_FILED, D(2025, 4, 1), idempotency_key="kn-1")
    again = side(w, K.COMPLAINT_FILED, D(2025, 4, 1), idempotency_key="kn-1")
    assert again.replayed and again.event_id == first.event_id
