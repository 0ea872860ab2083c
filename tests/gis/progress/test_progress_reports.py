"""The Excel report opens and matches the figures; the PDF renders with Vietnamese intact;
``gpmb report`` writes the same files."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gis.core.errors import NotFound
from gis.core.lookups import project_by_code
from gis.progress import progress_figures
from gis.reports import Period, write_excel, write_pdf
from gis.reports.excel import COLUMNS, FIRST_COL, HEADER_ROW
from tests.support import GPMB, gpmb_env

AS_OF = dt.date(2025, 3, 31)
EXPRESSWAY = "CT-HNCL"


def _column(heading: str) -> int:
    return FIRST_COL + [c[0] for c in COLUMNS].index(heading)


def _column_sum(ws: openpyxl.worksheet.worksheet.Worksheet, total_row: int, heading: str
                ) -> float:
    """The total row's stored number, checked equal to the sum of the commune rows."""
    col = _column(heading)
    value = ws.cell(row=total_row, column=col).value
    assert isinstance(value, int | float), value  # a value, not a bare formula
    rows = sum(float(ws.cell(row=r, column=col).value or 0)
               for r in range(HEADER_ROW + 1, total_row))
    assert abs(float(value) - rows) < 1e-3
    return float(value)


def test_excel_report_matches_the_figures(demo_engine: Engine, tmp_path: Path) -> None:
    out = tmp_path / "bao-cao.xlsx"
    with Session(demo_engine) as s:
        progress = write_excel(s, EXPRESSWAY, AS_OF, out, Period.MONTH)
        start = progress_figures(s, dt.date(2025, 2, 28), project_id=progress.project.id)
    wb = openpyxl.load_workbook(out)
    ws = wb["Tiến độ GPMB"]
    assert ws["A1"].value == "BÁO CÁO TIẾN ĐỘ GIẢI PHÓNG MẶT BẰNG"
    assert "Tháng 3/2025" in ws["A3"].value and "31/03/2025" in ws["A3"].value
    assert ws.freeze_panes == f"C{HEADER_ROW + 1}"
    assert ws.cell(row=HEADER_ROW, column=_column("Đã bàn giao mặt bằng (ha)")).value
    by_name = {r.name: r.figures for r in progress.communes}
    rows = {ws.cell(row=r, column=2).value: r for r in range(HEADER_ROW + 1, ws.max_row + 1)
            if ws.cell(row=r, column=2).value}
    assert set(by_name) <= set(rows)
    for name, f in by_name.items():
        r = rows[name]
        assert ws.cell(row=r, column=_column("Đã chi trả (VNĐ)")).value == f.paid_vnd
        assert ws.cell(row=r, column=_column("Số hộ bị ảnh hưởng (hộ)")).value == f.households
        ha = ws.cell(row=r, column=_column("Đã bàn giao mặt bằng (ha)")).value
        assert abs(ha - float(f.handed_over_ha)) < 1e-4
    total, t = progress.figures, rows["Tổng cộng"]
    cell = ws.cell(row=t, column=_column("Đã chi trả (VNĐ)"))
    assert cell.number_format == "#,##0"
    assert _column_sum(ws, t, "Đã chi trả (VNĐ)") == total.paid_vnd
    assert _column_sum(ws, t, "Giá trị phương án đã phê duyệt (VNĐ)") == total.approved_vnd
    assert _column_sum(ws, t, "Số thửa đất bị thu hồi (thửa)") == total.parcels
    area = _column_sum(ws, t, "Diện tích thu hồi (ha)")
    assert abs(area - float(total.area_ha)) < 1e-3
    in_period = _column_sum(ws, t, "Chi trả trong kỳ (VNĐ)")
    assert in_period == total.paid_vnd - start.total.paid_vnd
    assert ws.cell(row=t, column=_column("Số hộ bị ảnh hưởng (hộ)")).value == total.households
    assert wb["Mốc tiến độ"].max_row == 1 + len(progress.milestones)
    _totals_read_by_readers_that_do_not_calculate(out, t, total.paid_vnd)
    curve = wb["Tiến độ theo tuần"]
    last = curve.cell(row=curve.max_row, column=2).value
    assert abs(last - float(total.handed_over_m2 / Decimal(10_000))) < 1e-4


def _totals_read_by_readers_that_do_not_calculate(path: Path, total_row: int,
                                                  paid_vnd: int) -> None:
    """openpyxl ``data_only`` and pandas read cached values only: every total is a number."""
    ws = openpyxl.load_workbook(path, data_only=True)["Tiến độ GPMB"]
    totals = [ws.cell(row=total_row, column=FIRST_COL + i).value for i in range(len(COLUMNS))]
    assert all(isinstance(v, int | float) for v in totals[:-1]), totals
    frame = pd.read_excel(path, sheet_name="Tiến độ GPMB", header=HEADER_ROW - 1)
    row = frame[frame.iloc[:, 1] == "Tổng cộng"].iloc[0]
    numeric = row.iloc[FIRST_COL - 1:FIRST_COL - 1 + len(COLUMNS) - 1]
    assert not numeric.isna().any(), numeric
    assert int(row["Đã chi trả (VNĐ)"]) == paid_vnd


def test_unknown_project_is_refused(demo_engine: Engine, tmp_path: Path) -> None:
    with Session(demo_engine) as s, pytest.raises(NotFound):
        write_excel(s, "KHONG-CO", AS_OF, tmp_path / "x.xlsx")


def test_pdf_renders_with_vietnamese_intact(demo_engine: Engine, tmp_path: Path) -> None:
    out = tmp_path / "tom-tat.pdf"
    with Session(demo_engine) as s:
        progress = write_pdf(s, EXPRESSWAY, AS_OF, out)
    assert out.read_bytes().startswith(b"%PDF")
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(out),
                    str(tmp_path / "page")], check=True)
    assert (tmp_path / "page.png").stat().st_size > 10_000
    pages = subprocess.run(["pdfinfo", str(out)], check=True, capture_output=True,
                           text=True).stdout
    assert re.search(r"Pages:\s+1\b", pages)
    fonts = subprocess.run(["pdffonts", str(out)], check=True, capture_output=True,
                           text=True).stdout
    listed = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert listed and all("DejaVuSans" in line and " yes " in line for line in listed)
    words = subprocess.run(["pdftotext", str(out), "-"], check=True, capture_output=True,
                           text=True).stdout
    assert "Giải phóng mặt bằng" in words
    assert "Đã bàn giao" in words
    assert "Số liệu tính đến hết ngày 31/03/2025" in words
    assert progress.project.name.split(" (")[0] in words
    assert any(r.name in words for r in progress.ranking[:3])


def test_cli_writes_the_reports(demo_url: str, tmp_path: Path) -> None:
    env = gpmb_env(demo_url, GPMB_DATA_DIR=str(tmp_path / "data"))
    xlsx, pdf = tmp_path / "r.xlsx", tmp_path / "r.pdf"
    for kind, out, extra in (("excel", xlsx, ["--period", "quarter"]), ("pdf", pdf, [])):
        done = subprocess.run([*GPMB, "report", kind, "--project", EXPRESSWAY, "--as-of",
                               "2025-03-31", "--out", str(out), *extra],
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Đã ghi" in done.stdout
        assert "Giải ngân vốn năm 2025:" in " ".join(done.stdout.split())
    assert "Quý I/2025" in openpyxl.load_workbook(xlsx).active["A3"].value
    assert pdf.read_bytes().startswith(b"%PDF")
    bad = subprocess.run([*GPMB, "report", "excel", "--project", EXPRESSWAY, "--as-of",
                          "31/03/2025", "--out", str(xlsx)], env=env, capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 2 and "không hợp lệ" in bad.stdout


def test_project_lookup(demo_engine: Engine) -> None:
    with Session(demo_engine) as s:
        assert project_by_code(s, EXPRESSWAY).code == EXPRESSWAY


@pytest.mark.parametrize("as_of", [AS_OF, dt.date(2026, 11, 21)])
def test_household_sheet_counts_the_household_records(demo_engine: Engine, tmp_path: Path,
                                                      as_of: dt.date) -> None:
    """The per-household sheet lists every household with a plan in force, and its paid
    rows are the figures' households paid; amounts add up to the decisions in force."""
    out = tmp_path / "ho.xlsx"
    with Session(demo_engine) as s:
        progress = write_excel(s, EXPRESSWAY, as_of, out, Period.MONTH)
        in_force = s.execute(text(
            "SELECT coalesce(sum(d.total_vnd), 0) FROM compensation_decisions d"
            " JOIN compensation_households h ON h.id = d.household_id"
            " WHERE h.project_id = :p AND d.decision_date <= :d AND NOT EXISTS (SELECT 1"
            " FROM compensation_decisions x WHERE x.amends_decision_id = d.id"
            " AND x.decision_date <= :d)"), {"p": progress.project.id, "d": as_of}).scalar_one()
    ws = openpyxl.load_workbook(out)["Chi trả theo hộ"]
    assert ws["A1"].value.startswith("BẢNG TỔNG HỢP CHI TRẢ")
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=5) if isinstance(r[0].value, int)]
    assert len(rows) == progress.figures.households_approved > 0
    approved, paid, deposited, left = (9, 11, 12, 13)  # 1-based columns
    assert sum(r[approved - 1] for r in rows) == in_force
    settled = [r for r in rows if r[approved - 1] > 0 and r[left - 1] == 0]
    assert len(settled) == progress.figures.households_paid
    for r in rows:
        assert r[paid - 1] + r[deposited - 1] + r[left - 1] == r[approved - 1]
    share = progress.figures.households_paid / progress.figures.households
    payment = [m for m in progress.milestones if m.kind.startswith("payment")]
    assert payment and all(abs(m.share - share) < 1e-9 for m in payment)
