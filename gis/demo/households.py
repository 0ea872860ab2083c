"""Demo household records worth looking at: itemised amending decisions, an heir and an
authorised person as payees, a deposit, a late payment that owes interest.

The bulk of the demo's plans come from ``gpmb_backfill_households`` (one lump-sum line per
component). Here a few households, chosen by a fixed order, get a plan itemised the way a
land fund centre writes it (quantity × unit price), replacing the first decision by an
amending one, and payments that show each ledger rule. Deterministic; a few dozen rows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text

from gis.compensation.arithmetic import line_amount
from gis.core.domain import ITEM_COMPONENT, ItemKind

DEPOSIT_ACCOUNT = "3761.0.9052147 — tài khoản tạm giữ, KBNN khu vực Lạng Sơn"
"""Where the demo's refused money is deposited."""

_LAND_GROUND = "Luật Đất đai 2024 Điều 95, 96; bảng giá đất tỉnh Lạng Sơn (QĐ 46/2024/QĐ-UBND)"
_HOUSE_GROUND = "Luật Đất đai 2024 Điều 102; đơn giá nhà, công trình tỉnh Lạng Sơn"
_CROP_GROUND = "Luật Đất đai 2024 Điều 103; đơn giá cây trồng tỉnh Lạng Sơn"
_SUPPORT_GROUND = "Luật Đất đai 2024 Điều 108; Nghị định 88/2024/NĐ-CP Điều 19, 20"
_BONUS_GROUND = "Quy định bồi thường, hỗ trợ, tái định cư tỉnh Lạng Sơn: thưởng bàn giao sớm"

_PICK = """
SELECT h.id AS household_id, c.id AS case_id, c.recovered_area_m2 AS area,
       c.approved_land_vnd AS land, c.approved_structures_vnd AS structures,
       c.approved_crops_vnd AS crops, c.approved_support_vnd AS support,
       c.approved_resettlement_vnd AS resettlement, d.id AS decision_id,
       d.decision_no, d.decision_date, d.signer, y.id AS payee_id
FROM compensation_households h
JOIN compensation_household_cases hc ON hc.household_id = h.id
JOIN clearance_cases c ON c.id = hc.case_id
JOIN compensation_decisions d ON d.household_id = h.id
JOIN compensation_payees y ON y.household_id = h.id
WHERE c.step IN ('plan_approved', 'decided') AND c.approved_land_vnd > 0
  AND d.decision_date <= :latest
  AND (SELECT count(*) FROM compensation_household_cases x WHERE x.household_id = h.id) = 1
  AND (SELECT count(*) FROM compensation_decisions x WHERE x.household_id = h.id) = 1
  AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.household_id = h.id)
ORDER BY h.id LIMIT 6
"""


def _items(row: Any, illegal_shed: bool) -> list[dict[str, Any]]:
    """The case's amounts written as quantity × unit price lines."""
    area = Decimal(row.area).quantize(Decimal("0.1"))
    lines: list[dict[str, Any]] = []

    def add(kind: ItemKind, what: str, qty: Decimal, unit: str, price: int, ground: str,
            **kw: Any) -> None:
        lines.append({"kind": kind.value, "description": what, "quantity": qty, "unit": unit,
                      "unit_price_vnd": price, "legal_ground": ground,
                      "amount_vnd": line_amount(qty, price), "created_on": kw.get("created_on"),
                      "illegal": kw.get("illegal", False), "exception_ground": None})

    per_m2 = max(int(round(row.land / float(area), -3)), 1000) if area > 0 else row.land
    add(ItemKind.LAND, "Đất bị thu hồi", area, "m²", per_m2, _LAND_GROUND)
    if row.structures > 0:
        floor = Decimal("64.5")
        add(ItemKind.STRUCTURES, "Nhà cấp 4, mái ngói", floor, "m²",
            int(round(row.structures / float(floor), -3)), _HOUSE_GROUND)
    if row.crops > 0:
        add(ItemKind.CROPS, "Cây trồng trên đất", area, "m²",
            max(int(round(row.crops / float(area), -2)), 100), _CROP_GROUND)
    if row.support > 0:
        add(ItemKind.SUPPORT_JOB, "Hỗ trợ đào tạo, chuyển đổi nghề", area, "m²",
            max(int(round(row.support * 0.8 / float(area), -2)), 100), _SUPPORT_GROUND)
        add(ItemKind.SUPPORT_LIFE, "Hỗ trợ ổn định đời sống (4 khẩu × 6 tháng)",
            Decimal(24), "khẩu-tháng", 450_000, _SUPPORT_GROUND)
    if row.resettlement > 0:
        add(ItemKind.RESETTLEMENT, "Tiền tái định cư", Decimal(1), "suất", row.resettlement,
            "Luật Đất đai 2024 Điều 111")
    if illegal_shed:
        add(ItemKind.STRUCTURES, "Lán tạm dựng sau thông báo thu hồi đất", Decimal(12), "m²",
            0, _HOUSE_GROUND, illegal=True, created_on=row.decision_date - dt.timedelta(days=20))
    add(ItemKind.EARLY_HANDOVER_BONUS, "Thưởng bàn giao mặt bằng trước thời hạn", Decimal(1),
        "hộ", 5_000_000, _BONUS_GROUND)
    return lines


def _pay(conn: Connection, row: Any, payee: int, amount: int, on: dt.date, kind: str,
         voucher: str) -> None:
    conn.execute(text(
        "INSERT INTO payments (case_id, household_id, payee_id, kind, amount_vnd, paid_on,"
        " method, voucher_no, deposit_account) VALUES (:c, :h, :y, CAST(:k AS ledger_kind), :a,"
        " :on, CAST(:m AS payment_method), :v, :acc)"),
        {"c": row.case_id, "h": row.household_id, "y": payee, "k": kind, "a": amount,
         "on": on, "m": "treasury_deposit" if kind == "deposit" else "transfer", "v": voucher,
         "acc": DEPOSIT_ACCOUNT if kind == "deposit" else None})


def _payee(conn: Connection, household: int, kind: str, name: str, doc: str, no: str,
           on: dt.date) -> int:
    return int(conn.execute(text(
        "INSERT INTO compensation_payees (household_id, kind, full_name, document_kind,"
        " document_no, document_date) VALUES (:h, CAST(:k AS payee_kind), :n, :d, :no, :on)"
        " RETURNING id"), {"h": household, "k": kind, "n": name, "d": doc, "no": no, "on": on}
    ).scalar_one())


def enrich_households(conn: Connection, today: dt.date = dt.date(2026, 11, 21)) -> int:
    """Itemise and pay a few households (see the module docstring); returns how many."""
    rows = conn.execute(text(_PICK), {"latest": today - dt.timedelta(days=150)}).all()
    for i, row in enumerate(rows):
        on = row.decision_date + dt.timedelta(days=7)
        items = _items(row, illegal_shed=i == 1)
        total = sum(x["amount_vnd"] for x in items)
        decision = conn.execute(text(
            "INSERT INTO compensation_decisions (household_id, kind, amends_decision_id,"
            " decision_no, decision_date, signer, total_vnd, note) VALUES (:h, 'amendment', :d,"
            " :no, :on, :s, :t, 'Điều chỉnh, lập chi tiết từng khoản theo biên bản kiểm đếm')"
            " RETURNING id"), {"h": row.household_id, "d": row.decision_id,
                               "no": f"{310 + i}/QĐ-UBND", "on": on, "s": row.signer,
                               "t": total}).scalar_one()
        for x in items:
            conn.execute(text(
                "INSERT INTO compensation_line_items (decision_id, case_id, kind, description,"
                " quantity, unit, unit_price_vnd, amount_vnd, legal_ground, created_on, illegal,"
                " exception_ground) VALUES (:d, :c, CAST(:kind AS compensation_item_kind),"
                " :description, :quantity, :unit, :unit_price_vnd, :amount_vnd, :legal_ground,"
                " :created_on, :illegal, :exception_ground)"),
                {**x, "d": decision, "c": row.case_id})
        sums = dict.fromkeys(("land", "structures", "crops", "support", "resettlement"), 0)
        for x in items:
            sums[ITEM_COMPONENT[ItemKind(x["kind"])]] += x["amount_vnd"]
        conn.execute(text(
            "UPDATE clearance_cases SET approved_land_vnd = :land, approved_structures_vnd ="
            " :structures, approved_crops_vnd = :crops, approved_support_vnd = :support,"
            " approved_resettlement_vnd = :resettlement WHERE id = :c"),
            {**sums, "c": row.case_id})
        late, on_time = row.decision_date + dt.timedelta(days=75), on + dt.timedelta(days=12)
        if i == 0:  # the land user died: half to them (paid late), half to an heir, deposited
            heir = _payee(conn, row.household_id, "heir", "Hoàng Thị Mai", "văn bản thừa kế",
                          f"{15 + i}/VBTK", on)
            half = total // 2 + total % 2
            _pay(conn, row, row.payee_id, half, late, "payment", f"UNC-HH-{i}1")
            _pay(conn, row, heir, total - half, late, "deposit", f"GNT-HH-{i}2")
        elif i == 1:
            _pay(conn, row, row.payee_id, total, on_time, "payment", f"UNC-HH-{i}1")
        elif i == 2:  # a son with a power of attorney takes part of his half, late
            son = _payee(conn, row.household_id, "authorised", "Lộc Văn Hưng",
                         "giấy ủy quyền", f"{27 + i}/UQ", on)
            _pay(conn, row, son, total * 4 // 10, late, "payment", f"UNC-HH-{i}1")
        elif i == 3:  # refused the money: deposited in full, late
            _pay(conn, row, row.payee_id, total, late, "deposit", f"GNT-HH-{i}1")
    return len(rows)
