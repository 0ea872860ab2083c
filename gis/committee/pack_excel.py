"""The meeting pack as an Excel workbook: the summary of every key project (a total row of
values that are the sums of the rows above), each project's months of plan against actual,
and the tasks (open and overdue first). Values, not formulas, so any reader sees the
figures without recalculating."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from gis.committee.board import ProjectRow
from gis.committee.pack import Pack
from gis.committee.vocab import GROUP_LABELS_VI, LIGHT_LABELS_VI, TASK_STATE_LABELS_VI, Measure
from gis.reports.excel import BOX, HEAD_FILL, TOTAL_FILL
from gis.reports.period import fmt_date

HA, INT, PCT = "#,##0.0000", "#,##0", "0.0%"
Cell = str | int | float | None


def _int(value: float | None) -> int | None:
    return None if value is None else round(value)


def _ha(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


# (heading, format, width, value, summed in the total row)
SUMMARY: list[tuple[str, str | None, int, Callable[[ProjectRow], Cell], bool]] = [
    ("Mã dự án", None, 13, lambda r: r.key.code, False),
    ("Tên dự án", None, 38, lambda r: r.key.name, False),
    ("Nhóm", None, 16, lambda r: GROUP_LABELS_VI[r.key.group], False),
    ("Chủ đầu tư", None, 26, lambda r: r.key.investor, False),
    ("Thành viên phụ trách", None, 20, lambda r: r.key.member_name, False),
    ("Đơn vị chủ trì", None, 22, lambda r: r.key.unit_name, False),
    ("Kế hoạch vốn năm (VNĐ)", INT, 18, lambda r: r.money.plan_vnd, True),
    ("Giải ngân lũy kế (VNĐ)", INT, 18, lambda r: r.actual.disbursed_vnd, True),
    ("KH giải ngân đến ngày (VNĐ)", INT, 18,
     lambda r: _int(r.month[Measure.DISBURSED_VND].plan_to_date), True),
    ("Chênh lệch giải ngân (VNĐ)", INT, 18,
     lambda r: _int(r.month[Measure.DISBURSED_VND].gap), True),
    ("KH giải ngân hết quý (VNĐ)", INT, 18, lambda r: _int(r.quarter[Measure.DISBURSED_VND]),
     True),
    ("KH bàn giao đến ngày (ha)", HA, 13,
     lambda r: _ha(r.month[Measure.HANDED_OVER_HA].plan_to_date), True),
    ("Đã bàn giao (ha)", HA, 12, lambda r: r.actual.handed_over_ha, True),
    ("KH bàn giao hết quý (ha)", HA, 13, lambda r: _ha(r.quarter[Measure.HANDED_OVER_HA]),
     True),
    ("KH hộ đã chi trả đến ngày", INT, 12,
     lambda r: _int(r.month[Measure.HOUSEHOLDS_PAID].plan_to_date), True),
    ("Hộ đã chi trả", INT, 11, lambda r: r.actual.households_paid, True),
    ("Hộ đã bàn giao mặt bằng", INT, 11, lambda r: r.actual.households_handed_over, True),
    ("Đánh giá", None, 16, lambda r: LIGHT_LABELS_VI[r.light], False),
    ("Nhiệm vụ đang thực hiện", INT, 11, lambda r: r.open_tasks, True),
    ("Nhiệm vụ quá hạn", INT, 10, lambda r: r.overdue_tasks, True),
]
DISBURSED_COL = next(i for i, c in enumerate(SUMMARY) if c[0].startswith("Giải ngân lũy kế"))
PLAN_COL = next(i for i, c in enumerate(SUMMARY) if c[0].startswith("Kế hoạch vốn"))
HEADER_ROW = 5


def _cell(ws: Worksheet, row: int, col: int, value: Cell, fmt: str | None = None,
          bold: bool = False) -> None:
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str):
        # Text typed by people (a task's wording) is never a formula, even if it starts "=".
        cell.data_type = "s"
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    cell.border = BOX
    cell.number_format = fmt or cell.number_format
    cell.font = Font(bold=bold)


def _heads(ws: Worksheet, row: int, heads: list[tuple[str, int]]) -> None:
    for col, (head, width) in enumerate(heads, start=1):
        _cell(ws, row, col, head, bold=True)
        cell = ws.cell(row=row, column=col)
        cell.fill = HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[row].height = 48
    ws.freeze_panes = ws.cell(row=row + 1, column=3)


def _title(ws: Worksheet, lines: list[str], width: int) -> None:
    for r, line in enumerate(lines, start=1):
        ws.cell(row=r, column=1, value=line).font = Font(bold=r == 1, size=14 if r == 1 else 11)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)


def _summary(ws: Worksheet, pack: Pack) -> None:
    ws.title = "Tổng hợp"
    b = pack.board
    _title(ws, ["TÀI LIỆU HỌP BAN CHỈ ĐẠO CÁC DỰ ÁN TRỌNG ĐIỂM TỈNH LẠNG SƠN",
                f"{pack.period.label_vi} — số liệu tính đến hết ngày {fmt_date(b.as_of)}",
                f"Danh mục dự án trọng điểm năm {b.year}: {len(b.rows)} dự án; dự án chậm nhiều "
                "xếp trước"], len(SUMMARY) + 1)
    _heads(ws, HEADER_ROW, [("STT", 5), *((c[0], c[2]) for c in SUMMARY)])
    totals: list[float] = [0.0] * len(SUMMARY)
    for n, row in enumerate(b.rows, start=1):
        r = HEADER_ROW + n
        _cell(ws, r, 1, n)
        for i, (_, fmt, _, read, summed) in enumerate(SUMMARY):
            v = read(row)
            _cell(ws, r, i + 2, v, fmt)
            if summed and isinstance(v, int | float):
                totals[i] += v
    total_row = HEADER_ROW + len(b.rows) + 1
    _cell(ws, total_row, 1, None)
    for i, (_, fmt, _, _, summed) in enumerate(SUMMARY):
        cell_value: Cell = None
        if summed:
            cell_value = round(totals[i], 4) if fmt == HA else int(totals[i])
        elif i == 0:
            cell_value = "Tổng cộng"
        _cell(ws, total_row, i + 2, cell_value, fmt, bold=True)
        ws.cell(row=total_row, column=i + 2).fill = TOTAL_FILL
    share = totals[DISBURSED_COL] / totals[PLAN_COL] if totals[PLAN_COL] else 0.0
    note = ws.cell(row=total_row + 2, column=2,
                   value=f"Tỷ lệ giải ngân chung: {share * 100:.1f} % kế hoạch vốn năm.")
    note.font = Font(italic=True)


MONTH_HEADS = [("Mã dự án", 13), ("Tháng", 7),
               ("KH bàn giao (ha)", 12), ("TH bàn giao (ha)", 12),
               ("KH hộ đã chi trả", 11), ("TH hộ đã chi trả", 11),
               ("KH hộ bàn giao", 11), ("TH hộ bàn giao", 11),
               ("KH giải ngân lũy kế (VNĐ)", 18), ("TH giải ngân lũy kế (VNĐ)", 18),
               ("Chênh lệch giải ngân (VNĐ)", 18)]


def _months(ws: Worksheet, pack: Pack) -> None:
    _title(ws, ["KẾ HOẠCH VÀ THỰC HIỆN THEO THÁNG (SỐ LŨY KẾ ĐẾN CUỐI THÁNG)",
                f"Kế hoạch đang có hiệu lực ngày {fmt_date(pack.as_of)}; thực hiện theo số liệu "
                "GPMB và sổ giải ngân"], len(MONTH_HEADS))
    _heads(ws, 4, MONTH_HEADS)
    r = 4
    for row in pack.board.rows:
        for line in pack.months[row.key.project_id]:
            r += 1
            plan_vnd = _int(line.plan[Measure.DISBURSED_VND])
            values: list[tuple[Cell, str | None]] = [
                (row.key.code, None), (line.month, INT),
                (_ha(line.plan[Measure.HANDED_OVER_HA]), HA), (line.actual.handed_over_ha, HA),
                (_int(line.plan[Measure.HOUSEHOLDS_PAID]), INT),
                (line.actual.households_paid, INT),
                (_int(line.plan[Measure.HOUSEHOLDS_HANDED_OVER]), INT),
                (line.actual.households_handed_over, INT),
                (plan_vnd, INT), (line.actual.disbursed_vnd, INT),
                (None if plan_vnd is None else line.actual.disbursed_vnd - plan_vnd, INT)]
            for col, (value, fmt) in enumerate(values, start=1):
                _cell(ws, r, col, value, fmt)


TASK_HEADS = [("STT", 5), ("Cuộc họp", 22), ("Nội dung kết luận", 48), ("Dự án", 12),
              ("Đơn vị chủ trì", 24), ("Thành viên phụ trách", 20), ("Hạn", 11),
              ("Tình trạng", 15), ("Số ngày quá hạn", 9), ("Ngày hoàn thành", 11),
              ("Văn bản chứng minh", 22)]


def _tasks(ws: Worksheet, pack: Pack) -> None:
    b = pack.board
    _title(ws, ["NHIỆM VỤ THEO KẾT LUẬN CỦA BAN CHỈ ĐẠO",
                f"Đến hết ngày {fmt_date(b.as_of)}: {len(b.open_tasks)} nhiệm vụ chưa hoàn "
                f"thành, trong đó {len(b.overdue_tasks)} quá hạn"], len(TASK_HEADS))
    _heads(ws, 4, TASK_HEADS)
    done = [t for t in b.tasks if not t.is_open]
    for n, t in enumerate([*b.open_tasks, *done], start=1):
        evidence = (f"{t.evidence_no} ngày {fmt_date(t.evidence_date)}"
                    if t.evidence_no and t.evidence_date else None)
        values: list[Cell] = [n, f"{t.meeting_title} ({fmt_date(t.meeting_held_on)})", t.body,
                              t.project_code, t.unit_name, t.member_name, fmt_date(t.due_on),
                              TASK_STATE_LABELS_VI[t.state], t.days_overdue or None,
                              fmt_date(t.done_on) if t.done_on else None, evidence]
        for col, value in enumerate(values, start=1):
            _cell(ws, 4 + n, col, value, INT if col in (1, 9) else None)


def pack_workbook(pack: Pack) -> bytes:
    """The meeting pack as .xlsx bytes."""
    wb = Workbook()
    _summary(wb.active, pack)
    _months(wb.create_sheet("Theo tháng"), pack)
    _tasks(wb.create_sheet("Nhiệm vụ"), pack)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
