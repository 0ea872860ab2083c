"""Approved plans per household: decisions with line items, on the real database. Every
refusal has its machine code and Vietnamese message; history is append-only."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gis.compensation.plan import record_decision
from gis.compensation.records import load_household
from gis.core.domain import CaseStep, ItemKind
from gis.core.errors import Conflict, GpmbError, InvalidInput, InvalidTransition, NotFound
from tests.gis.workflow.helpers import APPROVED, NOTICE, TODAY, D, World, item

S = CaseStep
GROUND = "Thông báo 12/TB-UBND; kiểm đếm ngày 25/03/2025"


def refused(exc: type[GpmbError], fn: object, *args: object, **kw: object) -> GpmbError:
    with pytest.raises(exc) as info:
        fn(*args, **kw)  # type: ignore[operator]
    return info.value


def approved(w: World, case: int) -> None:
    """Walk the case to plan_approved without a plan."""
    w.decision(case, S.NOTIFIED, NOTICE, "12/TB-UBND")
    w.step(case, S.INVENTORIED, NOTICE + dt.timedelta(days=20))
    posted = NOTICE + dt.timedelta(days=30)
    w.step(case, S.PLAN_POSTED, posted)
    w.consult(case, posted, APPROVED)
    w.decision(case, S.PLAN_APPROVED, APPROVED, "45/QĐ-UBND")


def test_an_itemised_decision_sets_the_case_amounts(world: World) -> None:
    w, c = world, world.agri_case
    approved(w, c)
    result = w.plan(c, [
        item(c, ItemKind.LAND, 65_000, quantity="150.5", unit="m²"),
        item(c, ItemKind.CROPS, 12_000, quantity="150.5", unit="m²"),
        item(c, ItemKind.SUPPORT_LIFE, 450_000, quantity=24, unit="khẩu-tháng"),
        item(c, ItemKind.EARLY_HANDOVER_BONUS, 5_000_000, unit="hộ")])
    assert result.total_vnd == 9_782_500 + 1_806_000 + 10_800_000 + 5_000_000
    row = w.case_row(c)
    assert (row.approved_land_vnd, row.approved_crops_vnd, row.approved_support_vnd) == (
        9_782_500, 1_806_000, 15_800_000)
    assert row.approved_total_vnd == result.total_vnd
    items = w.session.execute(text(
        "SELECT quantity, unit_price_vnd, amount_vnd FROM compensation_line_items"
        " WHERE decision_id = :d ORDER BY id"), {"d": result.decision_id}).all()
    assert tuple(items[0]) == (150.5, 65_000, 9_782_500)


def test_decision_refusals(world: World) -> None:
    w, c, other = world, world.agri_case, world.resid_case
    err = refused(InvalidTransition, w.plan, c, [item(c, ItemKind.LAND, 1_000)])
    assert err.extra == {"reason": "wrong_step", "current_step": "not_started",
                         "field": "items[1].case_id"}
    assert "sau khi phê duyệt phương án" in err.message_vi
    approved(w, c)
    cases = [
        ({"items": []}, "no_line_items", "ít nhất một dòng"),
        ({"no": "45 QĐ"}, "bad_decision_no", "123/QĐ-UBND"),
        ({"on": TODAY + dt.timedelta(days=1)}, "date_in_future", "tương lai"),
        ({"on": APPROVED - dt.timedelta(days=1)}, "before_previous_step",
         "trước ngày phê duyệt phương án"),
        ({"items": [item(other, ItemKind.LAND, 1_000)]}, "case_not_in_household",
         "không thuộc hồ sơ bồi thường"),
        ({"items": [item(c, ItemKind.LAND, 0)]}, "zero_plan_without_ground",
         "Phương án 0 đồng phải ghi căn cứ pháp lý"),
        ({"items": [item(c, ItemKind.STRUCTURES, 80_000_000,
                         created_on=NOTICE + dt.timedelta(days=3))]},
         "ineligible_asset", "sau thông báo thu hồi đất ngày 05/03/2025"),
        ({"items": [item(c, ItemKind.CROPS, 1_000, illegal=True)]}, "ineligible_asset",
         "được ghi là trái phép"),
        ({"amends_decision_id": 1}, "amends_not_allowed", "Chỉ quyết định điều chỉnh"),
        ({"kind": "amendment", "amends_decision_id": 2**31}, "amended_decision_not_in_force",
         "đang có hiệu lực"),
        ({"kind": "migrated"}, "unknown_value", "chuyển từ dữ liệu cũ"),
        ({"items": [item(c, ItemKind.LAND, 1_000, legal_ground=" ")]}, "required",
         "căn cứ pháp lý"),
    ]
    for kw, reason, words in cases:
        items = kw.pop("items", [item(c, ItemKind.LAND, 1_000_000)])
        err = refused(GpmbError, w.plan, c, items, **kw)  # type: ignore[arg-type]
        assert err.extra["reason"] == reason, (reason, err.extra)
        assert words in err.message_vi, (reason, err.message_vi)
    for bad in ("-1", "1,2345", "x", "1e13"):
        err = refused(InvalidInput, w.plan, c, [item(c, ItemKind.LAND, 1_000, quantity=bad)])
        assert err.extra["reason"] == "bad_quantity"
    err = refused(InvalidInput, w.plan, c, [item(c, ItemKind.LAND, 1.5)])  # type: ignore[arg-type]
    assert err.extra["reason"] == "not_integer_vnd"
    err = refused(Conflict, w.plan, c, [item(c, ItemKind.LAND, 1_000)], expected_version=99)
    assert err.extra["reason"] == "stale_version"
    with pytest.raises(NotFound):
        record_decision(w.session, 2**40, kind="approval", decision_no="1/QĐ-UBND",
                        decision_date=APPROVED, signer="x", items=[item(c, ItemKind.LAND, 1)],
                        actor_id=w.staff, expected_version=None, today=TODAY)
    err = refused(GpmbError, w.plan, c, [item(c, ItemKind.LAND, 1_000)], actor_id=w.leader)
    assert err.extra["reason"] == "role_not_allowed"
    assert w.session.execute(text("SELECT count(*) FROM compensation_decisions")).scalar() == 0


def test_an_ineligible_asset_is_paid_only_with_a_recorded_ground(world: World) -> None:
    w, c = world, world.agri_case
    approved(w, c)
    late_shed = item(c, ItemKind.STRUCTURES, 80_000_000, created_on=D(2025, 3, 10),
                     exception_ground="QĐ 99/QĐ-UBND: hỗ trợ công trình phục vụ sản xuất")
    w.plan(c, [late_shed, item(c, ItemKind.STRUCTURES, 0, illegal=True,
                               description="Lán tạm trái phép")])
    assert w.case_row(c).approved_structures_vnd == 80_000_000


def test_amendments_replace_supplements_add_history_is_kept(world: World) -> None:
    w, c = world, world.agri_case
    approved(w, c)
    first = w.plan(c, [item(c, ItemKind.LAND, 500_000_000)])
    extra = w.plan(c, [item(c, ItemKind.SUPPORT_RENT, 3_000_000, quantity=6, unit="tháng")],
                   no="46/QĐ-UBND", kind="supplement", on=APPROVED + dt.timedelta(days=3))
    assert w.case_row(c).approved_total_vnd == 518_000_000
    w.pay(c, 200_000_000, APPROVED + dt.timedelta(days=5))
    err = refused(InvalidTransition, w.plan, c, [item(c, ItemKind.LAND, 150_000_000)],
                  no="47/QĐ-UBND", kind="amendment", amends_decision_id=first.decision_id)
    assert err.extra["reason"] == "below_paid"  # 150 M + 18 M on the case < 200 M paid
    fixed = w.plan(c, [item(c, ItemKind.LAND, 480_000_000)], no="47/QĐ-UBND",
                   kind="amendment", amends_decision_id=first.decision_id,
                   on=APPROVED + dt.timedelta(days=6))
    assert fixed.approved_vnd == 498_000_000 == w.case_row(c).approved_total_vnd
    again = refused(InvalidTransition, w.plan, c, [item(c, ItemKind.LAND, 1)], no="48/QĐ-UBND",
                    kind="amendment", amends_decision_id=first.decision_id)
    assert again.extra["reason"] == "amended_decision_not_in_force"
    money = load_household(w.session, w.household(c), today=TODAY)
    assert [d.id for d in money.in_force] == [extra.decision_id, fixed.decision_id]
    assert len(money.decisions) == 3
    for sql in ("UPDATE compensation_decisions SET total_vnd = 1",
                "DELETE FROM compensation_line_items",
                "UPDATE compensation_payees SET share_parts = 2"):
        savepoint = w.session.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            w.session.execute(text(sql))
        savepoint.rollback()


def test_amounts_frozen_once_paid(world: World) -> None:
    w, c = world, world.agri_case
    w.to_approved(c)
    w.pay(c, 1_000_000_000, D(2025, 6, 1))
    w.step(c, S.PAID, D(2025, 6, 1))
    err = refused(InvalidTransition, w.plan, c, [item(c, ItemKind.LAND, 2)], no="50/QĐ-UBND",
                  kind="supplement")
    assert err.extra["reason"] == "wrong_step"


def test_database_checks_the_line_amount(world: World) -> None:
    w, c = world, world.agri_case
    w.to_approved(c)
    decision = w.session.execute(text("SELECT max(id) FROM compensation_decisions")).scalar()
    savepoint = w.session.begin_nested()
    with pytest.raises(DBAPIError, match="ck_compensation_line_items_amount"):
        w.session.execute(text(
            "INSERT INTO compensation_line_items (decision_id, case_id, kind, description,"
            " quantity, unit, unit_price_vnd, amount_vnd, legal_ground) VALUES (:d, :c, 'land',"
            " 'x', 2.5, 'm²', 1001, 2502, 'x')"), {"d": decision, "c": c})
    savepoint.rollback()


def _nothing_written(w: World, c: int) -> tuple[int, int, int]:
    count = "SELECT count(*) FROM {}"
    return (int(w.session.execute(text(count.format("compensation_decisions"))).scalar_one()),
            int(w.session.execute(text(count.format("compensation_line_items"))).scalar_one()),
            w.case_row(c).approved_total_vnd)


def test_a_decision_signed_without_authority_is_refused_and_nothing_written(
        world: World) -> None:
    w, c = world, world.agri_case
    approved(w, c)
    before = _nothing_written(w, c)
    version = w.household_version(w.household(c))
    land = [item(c, ItemKind.LAND, 1_000_000)]
    for kw, reason, words in (
        ({"signer": "Chủ tịch"}, "issuer_missing", "Thiếu cơ quan ban hành"),
        # 20/05/2025 was before the two-tier government: the district approved plans
        ({"signer": "Chủ tịch UBND xã Thử Nghiệm"}, "issuer_not_competent",
         "UBND xã Thử Nghiệm (UBND cấp xã) không có thẩm quyền ban hành quyết định phê duyệt"
         " phương án ngày 20/05/2025"),
        ({"signer": "Phó Chủ tịch", "issuer_level": "province",
          "issuer_unit": "UBND tỉnh Lạng Sơn"}, "issuer_not_competent", "UBND cấp huyện"),
        ({"signer": "Phó Chủ tịch", "issuer_level": "district"}, "issuer_incomplete",
         "Cần nhập cả cấp và tên"),
        ({"signer": "x", "issuer_level": "ward", "issuer_unit": "UBND phường Y"},
         "unknown_value", "không hợp lệ"),
    ):
        signer = str(kw.pop("signer"))
        err = refused(GpmbError, record_decision, w.session, w.household(c), kind="approval",
                      decision_no="45/QĐ-UBND", decision_date=APPROVED, signer=signer,
                      items=land, actor_id=w.staff, expected_version=version, today=TODAY,
                      **kw)
        assert err.extra["reason"] == reason, (reason, err.extra)
        assert words in err.message_vi, (reason, err.message_vi)
        assert _nothing_written(w, c) == before
        assert w.household_version(w.household(c)) == version
    # the same decision by the competent body, given as level and unit, is recorded and the
    # body is kept with the signer
    done = record_decision(w.session, w.household(c), kind="approval", decision_no="45/QĐ-UBND",
                           decision_date=APPROVED, signer="Phó Chủ tịch", items=land,
                           actor_id=w.staff, expected_version=version, today=TODAY,
                           issuer_level="district", issuer_unit="UBND huyện Thử Nghiệm")
    assert w.session.execute(text("SELECT signer FROM compensation_decisions WHERE id = :d"),
                             {"d": done.decision_id}).scalar_one() == (
        "Phó Chủ tịch — UBND huyện Thử Nghiệm")


def test_after_the_two_tier_reform_an_amendment_needs_the_parcels_commune(world: World) -> None:
    w, c = world, world.agri_case
    late = D(2025, 9, 10)
    w.to_approved(c, notice=D(2025, 6, 2), approved=late)
    first = w.session.execute(text("SELECT id FROM compensation_decisions")).scalar_one()
    before = _nothing_written(w, c)
    amend = {"kind": "amendment", "amends_decision_id": first}
    for signer, reason in (("Chủ tịch UBND huyện Thử Nghiệm", "issuer_not_competent"),
                           ("Chủ tịch UBND xã Kiên Mộc", "issuer_wrong_commune")):
        err = refused(InvalidTransition, w.plan, c, [item(c, ItemKind.LAND, 2_000_000_000)],
                      on=late, no="46/QĐ-UBND", **amend, signer_override=signer)
        assert err.extra["reason"] == reason
        assert "quyết định điều chỉnh phương án" in err.message_vi
        assert _nothing_written(w, c) == before
    w.plan(c, [item(c, ItemKind.LAND, 2_000_000_000)], on=late, no="46/QĐ-UBND", **amend)
    assert w.case_row(c).approved_total_vnd == 2_000_000_000
