"""The per-household sheet of the Excel report: the payment table a land fund centre
prints for each commune (bảng tổng hợp chi trả tiền bồi thường, hỗ trợ theo hộ).

One row per household record with a plan in force on the report day, grouped by commune
(the commune of its first parcel), with the approved amount by part, the decisions, what
was paid and deposited, what is left, the late-payment interest, and a blank column for
the signature. Read in a few bulk queries (no per-household round trips).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.compensation.arithmetic import Entry, Tranche, late_interest
from gis.compensation.records import load_rates
from gis.core.collation import vi_key, vi_name_key
from gis.core.domain import ITEM_COMPONENT, ItemKind
from gis.core.wording import VIETNAMESE, Wording
from gis.workflow.rules import RuleKey, load_rule_book

PARTS = ("land", "structures", "crops", "support", "resettlement")
PART_HEADINGS = ("Đất", "Nhà, công trình", "Cây trồng", "Hỗ trợ, thưởng", "Tái định cư")
HEADINGS = ("STT", "Họ tên người sử dụng đất", "Tờ/thửa", *PART_HEADINGS, "Tổng được duyệt",
            "Quyết định phê duyệt", "Đã chi trả", "Đã gửi Kho bạc", "Còn lại",
            "Tiền chậm chi trả", "Người nhận", "Ký nhận")
VND_FORMAT = "#,##0"


@dataclass
class HouseholdRow:
    """One household's line of the sheet."""

    household_id: int
    name: str
    commune: str
    parcels: list[str] = field(default_factory=list)
    parts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PARTS, 0))
    decisions: list[str] = field(default_factory=list)
    paid_vnd: int = 0
    deposited_vnd: int = 0
    interest_vnd: int = 0
    payees: list[str] = field(default_factory=list)

    @property
    def approved_vnd(self) -> int:
        """The plan in force."""
        return sum(self.parts.values())

    @property
    def outstanding_vnd(self) -> int:
        """Neither paid nor deposited."""
        return self.approved_vnd - self.paid_vnd - self.deposited_vnd

    @property
    def is_paid(self) -> bool:
        """Paid + deposited = approved > 0."""
        return self.approved_vnd > 0 and self.outstanding_vnd == 0


def household_rows(session: Session, project_id: int, as_of: dt.date) -> list[HouseholdRow]:
    """Household records of the project with a plan in force at the end of ``as_of``, by
    commune name then land user name in Vietnamese alphabetical order."""
    p = {"p": project_id, "d": as_of}
    heads = session.execute(text("""
        SELECT h.id, u.full_name, (array_agg(cm.name ORDER BY c.id))[1] AS commune,
               string_agg(pc.sheet_no || '/' || pc.parcel_no, ', '
                          ORDER BY pc.sheet_no, pc.parcel_no) AS parcels
        FROM compensation_households h JOIN land_users u ON u.id = h.land_user_id
        JOIN compensation_household_cases hc ON hc.household_id = h.id
        JOIN clearance_cases c ON c.id = hc.case_id JOIN parcels pc ON pc.id = c.parcel_id
        JOIN communes cm ON cm.code = pc.commune_code
        WHERE h.project_id = :p
        GROUP BY h.id, u.full_name"""), p).all()
    heads = sorted(heads, key=lambda r: (vi_name_key(r.commune), vi_key(r.full_name), r.id))
    decisions = session.execute(text("""
        SELECT d.id, d.household_id, d.decision_no, d.decision_date, d.amends_decision_id,
               d.total_vnd FROM compensation_decisions d
        JOIN compensation_households h ON h.id = d.household_id
        WHERE h.project_id = :p AND d.decision_date <= :d ORDER BY d.decision_date, d.id"""),
                                p).all()
    replaced = {d.amends_decision_id for d in decisions if d.amends_decision_id}
    live = [d for d in decisions if d.id not in replaced]
    by_id = {d.id: d for d in decisions}
    items = session.execute(text("""
        SELECT li.decision_id, li.kind::text AS kind, li.amount_vnd
        FROM compensation_line_items li JOIN compensation_decisions d ON d.id = li.decision_id
        JOIN compensation_households h ON h.id = d.household_id
        WHERE h.project_id = :p AND d.decision_date <= :d"""), p).all()
    entries = session.execute(text("""
        SELECT y.id, y.household_id, y.payee_id, y.kind::text AS kind, y.amount_vnd, y.paid_on,
               y.reverses_payment_id
        FROM payments y JOIN compensation_households h ON h.id = y.household_id
        WHERE h.project_id = :p AND y.paid_on <= :d ORDER BY y.paid_on, y.id"""), p).all()
    payees = session.execute(text("""
        SELECT y.household_id, y.full_name FROM compensation_payees y
        JOIN compensation_households h ON h.id = y.household_id
        WHERE h.project_id = :p ORDER BY y.id"""), p).all()
    rows = {r.id: HouseholdRow(r.id, r.full_name, r.commune, [r.parcels]) for r in heads}
    planned = {d.household_id for d in live}
    live_ids = {d.id: d.household_id for d in live}
    for i in items:
        if i.decision_id in live_ids:
            rows[live_ids[i.decision_id]].parts[ITEM_COMPONENT[ItemKind(i.kind)]] += i.amount_vnd
    book, rates = load_rule_book(session), load_rates(session)
    tranches: dict[int, list[Tranche]] = defaultdict(list)
    for d in live:
        rows[d.household_id].decisions.append(f"{d.decision_no} ({d.decision_date:%d/%m/%Y})")
        first = d
        while first.amends_decision_id is not None:
            first = by_id[first.amends_decision_id]
        due = book.for_date(first.decision_date).limit(RuleKey.PAYMENT_AFTER_APPROVAL).due(
            first.decision_date)
        tranches[d.household_id].append(Tranche(d.id, d.total_vnd, due))
    reversed_ids = {e.reverses_payment_id for e in entries if e.reverses_payment_id}
    effective: dict[int, list[Entry]] = defaultdict(list)
    for e in entries:
        row = rows[e.household_id]
        if e.kind == "deposit":
            row.deposited_vnd += e.amount_vnd
        else:
            row.paid_vnd += e.amount_vnd
        if e.reverses_payment_id is None and e.id not in reversed_ids:
            effective[e.household_id].append(Entry(e.id, e.payee_id, e.paid_on, e.amount_vnd))
    for hid, found in effective.items():
        rows[hid].interest_vnd = sum(x.interest_vnd for x in late_interest(
            tranches.get(hid, []), found, rates))
    for y in payees:
        rows[y.household_id].payees.append(y.full_name)
    return [rows[h] for h in rows if h in planned]


def household_sheet(ws: Worksheet, rows: list[HouseholdRow], title: str, as_of: dt.date,
                    w: Wording = VIETNAMESE) -> None:
    """Write the per-household payment table, commune by commune, with commune subtotals,
    in the language of ``w``."""
    ws.title = w("Chi trả theo hộ")
    ws.cell(row=1, column=1, value=w("BẢNG TỔNG HỢP CHI TRẢ TIỀN BỒI THƯỜNG, HỖ TRỢ, TÁI ĐỊNH"
                                     " CƯ THEO HỘ")).font = Font(bold=True, size=13)
    ws.cell(row=2, column=1, value=w("{title} — đến ngày {day}; đơn vị: đồng", title=title,
                                     day=f"{as_of:%d/%m/%Y}"))
    for col, heading in enumerate(HEADINGS, start=1):
        cell = ws.cell(row=4, column=col, value=w(heading))
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    ws.freeze_panes = "C5"
    r, n = 5, 0
    communes: dict[str, list[HouseholdRow]] = defaultdict(list)
    for row in rows:
        communes[row.commune].append(row)
    for commune in communes:  # already in collation order
        ws.cell(row=r, column=2, value=w.place(commune)).font = Font(bold=True)
        r += 1
        first = r
        for row in communes[commune]:
            n += 1
            values: list[object] = [n, row.name, "; ".join(row.parcels),
                                    *(row.parts[p] for p in PARTS), row.approved_vnd,
                                    "; ".join(row.decisions), row.paid_vnd, row.deposited_vnd,
                                    row.outstanding_vnd, row.interest_vnd,
                                    ", ".join(row.payees), ""]
            for col, value in enumerate(values, start=1):
                cell = ws.cell(row=r, column=col, value=value)
                if isinstance(value, int) and col > 1:
                    cell.number_format = VND_FORMAT
            r += 1
        ws.cell(row=r, column=2, value=w("Cộng {commune}", commune=w.place(commune))
                ).font = Font(bold=True)
        for col in (*range(4, 10), *range(11, 15)):
            letter = ws.cell(row=r, column=col).column_letter
            cell = ws.cell(row=r, column=col, value=f"=SUM({letter}{first}:{letter}{r - 1})")
            cell.number_format, cell.font = VND_FORMAT, Font(bold=True)
        r += 1
    ws.cell(row=r + 1, column=2, value=w("Số hộ: {n}; đã chi trả đủ (kể cả gửi Kho bạc): "
                                         "{paid}", n=str(n),
                                         paid=str(sum(1 for x in rows if x.is_paid))))
    for letter, width in zip("ABCDEFGHIJKLMNOP", (5, 28, 16, *([14] * 6), 26, 14, 14, 14, 12,
                                                  24, 12), strict=True):
        ws.column_dimensions[letter].width = width
