"""The field-sync conflict rules as properties: notes and photos never conflict; an action
on an unchanged case never does; a handover conflicts on every change that matters to
it (step, money paid or approved, a new complaint) and on no other; an inventory check
only on a change of step."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from gis.core.domain import CaseStep
from gis.field.sync import CaseState, conflict_reasons

STEPS = [s.value for s in CaseStep]
states = st.builds(CaseState, version=st.integers(1, 50), step=st.sampled_from(STEPS),
                   paid_vnd=st.integers(0, 10**10), approved_vnd=st.integers(0, 10**10),
                   complaint_open=st.booleans(),
                   handover_date=st.none() | st.just("2026-11-30"))


@given(states, states)
def test_notes_and_photos_never_conflict(base: CaseState, now: CaseState) -> None:
    assert conflict_reasons("note", base, now) == []
    assert conflict_reasons("photo", base, now) == []


@given(states, st.integers(1, 50))
def test_a_version_bump_alone_never_conflicts(base: CaseState, version: int) -> None:
    now = replace(base, version=version)
    if base.step != CaseStep.HANDED_OVER.value:
        assert conflict_reasons("handover", base, now) == []
    assert conflict_reasons("inventory", base, now) == []


@given(states, states)
def test_a_handover_conflicts_exactly_when_something_that_matters_changed(
        base: CaseState, now: CaseState) -> None:
    reasons = conflict_reasons("handover", base, now)
    matters = (now.step == CaseStep.HANDED_OVER.value or now.step != base.step
               or now.paid_vnd != base.paid_vnd or now.approved_vnd != base.approved_vnd
               or (now.complaint_open and not base.complaint_open))
    assert bool(reasons) == matters
    assert all(r.endswith(".") for r in reasons)  # whole Vietnamese sentences


@given(states, states)
def test_an_inventory_check_conflicts_only_when_the_step_moved(base: CaseState,
                                                               now: CaseState) -> None:
    assert bool(conflict_reasons("inventory", base, now)) == (now.step != base.step)


def test_the_reasons_name_what_changed() -> None:
    base = CaseState(7, "decided_paid", 120_000_000, 120_000_000)
    paid = conflict_reasons("handover", base, replace(base, version=8, paid_vnd=80_000_000))
    assert paid == ["Số tiền đã chi trả đổi từ 120.000.000 đ thành 80.000.000 đ (có thể một "
                    "khoản chi đã bị đảo bút toán)."]
    done = conflict_reasons("handover", base, replace(base, step="handed_over",
                                                      handover_date="2026-11-30"))
    assert done == ["Hồ sơ đã được xác nhận bàn giao ngày 30/11/2026 (có thể bởi tổ khác hoặc "
                    "cán bộ văn phòng)."]
