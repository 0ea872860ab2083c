"""The meeting pack as a PDF (A4 landscape, DejaVu fonts so Vietnamese diacritics stay
intact): a summary page of every key project with its light, the open and overdue tasks,
then one page per project with its figures, who answers for it, and the S-curves of
handover and disbursement against the plan in force."""

from __future__ import annotations

import datetime as dt

from fpdf import FPDF

from gis.committee.board import ProjectRow
from gis.committee.pack import MonthLine, Pack, plan_chart
from gis.committee.tasks import TaskView
from gis.committee.vocab import (
    GROUP_LABELS_VI,
    LIGHT_LABELS_VI,
    MEASURE_LABELS_VI,
    TASK_STATE_LABELS_VI,
    Light,
    Measure,
)
from gis.reports.pdf import draw_chart, font_dir
from gis.reports.period import fmt_billion, fmt_date, fmt_dec, fmt_int

LIGHT_RGB = {Light.GREEN: (46, 125, 50), Light.AMBER: (224, 138, 0), Light.RED: (198, 40, 40),
             Light.NONE: (150, 150, 150)}
WIDTH = 277.0  # A4 landscape inside 10 mm margins


def _new_pdf(title: str) -> FPDF:
    fonts = font_dir()
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_title(title)
    return pdf


def _heading(pdf: FPDF, title: str, subtitle: str) -> None:
    pdf.set_font("DejaVu", "B", 13)
    pdf.cell(WIDTH, 7, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9.5)
    pdf.cell(WIDTH, 5, subtitle, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _table(pdf: FPDF, heads: list[str], widths: list[float], rows: list[list[str]],
           lights: list[Light] | None = None, size: float = 7.0) -> None:
    pdf.set_font("DejaVu", "B", size)
    pdf.set_fill_color(221, 235, 227)
    for head, w in zip(heads, widths, strict=True):
        pdf.cell(w, 6, head, border=1, fill=True, align="C")
    pdf.ln()
    pdf.set_font("DejaVu", "", size)
    for n, row in enumerate(rows):
        if pdf.will_page_break(5):
            pdf.add_page()
        for i, (value, w) in enumerate(zip(row, widths, strict=True)):
            if lights is not None and i == len(row) - 1:
                pdf.set_fill_color(*LIGHT_RGB[lights[n]])
                pdf.set_text_color(255, 255, 255)
                pdf.cell(w, 5, value, border=1, fill=True, align="C")
                pdf.set_text_color(0, 0, 0)
            else:
                text = value if pdf.get_string_width(value) < w - 1 else _fit(pdf, value, w)
                pdf.cell(w, 5, text, border=1)
        pdf.ln()


def _fit(pdf: FPDF, value: str, w: float) -> str:
    while value and pdf.get_string_width(value + "…") >= w - 1:
        value = value[:-1]
    return value + "…"


def _pct(part: float, whole: float | None) -> str:
    return f"{fmt_dec(part / whole * 100, 1)} %" if whole else "—"


def _summary(pdf: FPDF, pack: Pack) -> None:
    b = pack.board
    pdf.add_page()
    _heading(pdf, "TÀI LIỆU HỌP BAN CHỈ ĐẠO CÁC DỰ ÁN TRỌNG ĐIỂM TỈNH LẠNG SƠN",
             f"{pack.period.label_vi} — số liệu tính đến hết ngày {fmt_date(b.as_of)}")
    counts = b.lights()
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(WIDTH, 5, f"Danh mục năm {b.year}: {len(b.rows)} dự án. Đạt kế hoạch: "
                   f"{counts[Light.GREEN]}; chậm nhẹ: {counts[Light.AMBER]}; chậm nhiều: "
                   f"{counts[Light.RED]}; chưa có kế hoạch: {counts[Light.NONE]}. Nhiệm vụ "
                   f"chưa hoàn thành: {len(b.open_tasks)}, trong đó quá hạn: "
                   f"{len(b.overdue_tasks)}. Dự án chậm nhiều xếp trước.",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    rows, lights = [], []
    for n, r in enumerate(b.rows, start=1):
        money = r.month[Measure.DISBURSED_VND]
        area = r.month[Measure.HANDED_OVER_HA]
        rows.append([str(n), r.key.code, r.key.name, GROUP_LABELS_VI[r.key.group],
                     r.key.member_name or "", fmt_billion(r.money.plan_vnd),
                     fmt_billion(r.actual.disbursed_vnd), _pct(money.actual, money.plan_to_date),
                     fmt_dec(area.actual, 2),
                     fmt_dec(area.plan_to_date, 2) if area.plan_to_date is not None else "—",
                     f"{r.open_tasks}/{r.overdue_tasks}", LIGHT_LABELS_VI[r.light]])
        lights.append(r.light)
    _table(pdf, ["STT", "Mã", "Dự án", "Nhóm", "Thành viên phụ trách", "KH vốn (tỷ)",
                 "Đã giải ngân (tỷ)", "So với KH", "Bàn giao (ha)", "KH (ha)", "NV mở/quá hạn",
                 "Đánh giá"],
           [9, 22, 62, 30, 32, 18, 20, 16, 18, 16, 16, 18], rows, lights)


def _tasks(pdf: FPDF, tasks: list[TaskView], title: str) -> None:
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(WIDTH, 7, title, new_x="LMARGIN", new_y="NEXT")
    if not tasks:
        pdf.set_font("DejaVu", "", 8)
        pdf.cell(WIDTH, 5, "Không có.", new_x="LMARGIN", new_y="NEXT")
        return
    _table(pdf, ["STT", "Nội dung", "Dự án", "Đơn vị chủ trì", "Hạn", "Tình trạng",
                 "Quá hạn (ngày)"],
           [9, 120, 22, 60, 20, 26, 20],
           [[str(n), t.body, t.project_code or "—", t.unit_name, fmt_date(t.due_on),
             TASK_STATE_LABELS_VI[t.state], str(t.days_overdue or "")]
            for n, t in enumerate(tasks, start=1)])


def _fmt_ha(value: float | None) -> str:
    return "—" if value is None else fmt_dec(value, 2)


def _fmt_count(value: float | None) -> str:
    return "—" if value is None else fmt_int(round(value))


def _project_page(pdf: FPDF, pack: Pack, row: ProjectRow, lines: list[MonthLine]) -> None:
    k = row.key
    pdf.add_page()
    _heading(pdf, f"{k.name} ({k.code})", f"{GROUP_LABELS_VI[k.group]} — chủ đầu tư "
             f"{k.investor}; phụ trách: {k.member_name or '—'}, đơn vị chủ trì "
             f"{k.unit_name or '—'}")
    plan = row.plan
    pdf.set_font("DejaVu", "", 8.5)
    pdf.multi_cell(WIDTH, 4.5, (f"Kế hoạch lần {plan.revision} (nộp ngày "
                                f"{fmt_date(plan.submitted_on)}"
                                + (f", văn bản {plan.document_no}" if plan.document_no else "")
                                + ")" if plan else "Chưa có kế hoạch chi tiết")
                   + f". Đánh giá: {LIGHT_LABELS_VI[row.light]}. Đưa vào danh mục theo "
                   f"{k.decision_no} ngày {fmt_date(k.decision_date)}.",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    body = []
    for m in Measure:
        c = row.month[m]
        fmt = _fmt_ha if m == Measure.HANDED_OVER_HA else _fmt_count
        body.append([MEASURE_LABELS_VI[m],
                     fmt(c.plan_to_date), fmt(c.plan_month_end), fmt(row.quarter[m]),
                     fmt(c.actual), fmt(c.gap),
                     LIGHT_LABELS_VI[c.light]])
    _table(pdf, ["Chỉ tiêu (lũy kế)", "KH đến ngày", "KH hết tháng", "KH hết quý", "Thực hiện",
                 "Chênh lệch", "Đánh giá"], [70, 34, 34, 34, 34, 34, 37], body,
           [row.month[m].light for m in Measure], size=7.5)
    top = pdf.get_y() + 8
    for i, measure in enumerate((Measure.HANDED_OVER_HA, Measure.DISBURSED_VND)):
        x = 22 + i * 140
        pdf.set_font("DejaVu", "B", 9)
        pdf.text(x - 10, top - 3, f"{MEASURE_LABELS_VI[measure]}: kế hoạch và thực hiện "
                 "theo tháng")
        draw_chart(pdf, plan_chart(row, lines, measure), x, top, 115, 58)
    mine = [t for t in pack.board.open_tasks if t.project_id == k.project_id]
    pdf.set_y(top + 72)
    _tasks(pdf, mine, "Nhiệm vụ chưa hoàn thành của dự án")


def pack_pdf(pack: Pack) -> bytes:
    """The meeting pack as PDF bytes."""
    pdf = _new_pdf(f"Tài liệu họp Ban Chỉ đạo {pack.period.label_vi}")
    _summary(pdf, pack)
    pdf.add_page()
    _heading(pdf, "NHIỆM VỤ THEO KẾT LUẬN CỦA BAN CHỈ ĐẠO",
             f"Đến hết ngày {fmt_date(pack.as_of)}")
    _tasks(pdf, pack.board.overdue_tasks, "Nhiệm vụ quá hạn")
    pdf.ln(3)
    _tasks(pdf, [t for t in pack.board.open_tasks if t.days_overdue == 0],
           "Nhiệm vụ đang thực hiện, chưa đến hạn")
    for row in pack.board.rows:
        _project_page(pdf, pack, row, pack.months[row.key.project_id])
    pdf.set_creation_date(dt.datetime.combine(pack.as_of, dt.time(), dt.UTC))
    return bytes(pdf.output())
