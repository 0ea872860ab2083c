"""The meeting pack, opened as files: Excel totals are the sums of their rows (read back
with openpyxl, values only), the PDF has every page and its Vietnamese text intact."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from gis.committee.actuals import monthly_actuals
from gis.committee.pack import meeting_pack
from gis.committee.pack_excel import HEADER_ROW, SUMMARY, pack_workbook
from gis.committee.pack_pdf import pack_pdf
from gis.committee.vocab import Measure

AS_OF = dt.date(2026, 11, 21)


@pytest.fixture(scope="module")
def files(demo_engine: object, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pack")
    with Session(bind=demo_engine) as s:  # type: ignore[call-overload]
        pack = meeting_pack(s, AS_OF)
        (folder / "pack.xlsx").write_bytes(pack_workbook(pack))
        (folder / "pack.pdf").write_bytes(pack_pdf(pack))
    return {"xlsx": folder / "pack.xlsx", "pdf": folder / "pack.pdf"}


def test_excel_totals_are_the_sums_of_the_rows(files: dict[str, Path]) -> None:
    wb = load_workbook(files["xlsx"], data_only=True)
    assert wb.sheetnames == ["Tổng hợp", "Theo tháng", "Nhiệm vụ"]
    ws = wb["Tổng hợp"]
    rows = range(HEADER_ROW + 1, HEADER_ROW + 23)
    assert [ws.cell(r, 1).value for r in rows] == list(range(1, 23))
    total = HEADER_ROW + 23
    assert ws.cell(total, 2).value == "Tổng cộng"
    summed = [i for i, c in enumerate(SUMMARY) if c[4]]
    assert len(summed) >= 10
    for i in summed:
        col = i + 2
        values = [ws.cell(r, col).value or 0 for r in rows]
        assert all(isinstance(v, int | float) for v in values), SUMMARY[i][0]
        assert ws.cell(total, col).value == pytest.approx(sum(values), abs=1e-6), SUMMARY[i][0]
        assert not str(ws.cell(total, col).value).startswith("=")
    codes = {ws.cell(r, 2).value for r in rows}
    assert "CT-HNCL" in codes and len(codes) == 22
    months = wb["Theo tháng"]
    hncl = [r for r in months.iter_rows(min_row=5, values_only=True) if r[0] == "CT-HNCL"]
    assert [r[1] for r in hncl] == list(range(1, 12))
    assert all(r[10] == r[9] - r[8] for r in hncl)  # deviation = actual − plan
    tasks = wb["Nhiệm vụ"]
    states = [r[7] for r in tasks.iter_rows(min_row=5, values_only=True) if r[0]]
    assert len(states) == 9 and "Quá hạn" in states and "Đã hoàn thành" in states


def test_pack_figures_match_the_board(demo_engine: object) -> None:
    with Session(bind=demo_engine) as s:  # type: ignore[call-overload]
        pack = meeting_pack(s, AS_OF)
        ids = [r.key.project_id for r in pack.board.rows]
        series = monthly_actuals(s, 2026, AS_OF, ids)  # one pass over the history
    for row in pack.board.rows:
        last = pack.months[row.key.project_id][-1]
        assert last.actual == row.actual
        assert series[row.key.project_id][-1][1] == row.actual  # = the figures of the day
        assert last.plan[Measure.DISBURSED_VND] == row.month[Measure.DISBURSED_VND].plan_month_end


def test_pdf_renders_with_diacritics(files: dict[str, Path], tmp_path: Path) -> None:
    info = subprocess.run(["pdfinfo", str(files["pdf"])], capture_output=True, text=True,
                          check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages")))
    assert pages >= 24  # summary, tasks, 22 projects
    fonts = subprocess.run(["pdffonts", str(files["pdf"])], capture_output=True, text=True,
                           check=True).stdout
    assert "DejaVuSans" in fonts
    text = subprocess.run(["pdftotext", "-layout", str(files["pdf"]), "-"], capture_output=True,
                          text=True, check=True).stdout
    for phrase in ("TÀI LIỆU HỌP BAN CHỈ ĐẠO CÁC DỰ ÁN TRỌNG ĐIỂM TỈNH LẠNG SƠN",
                   "Quý IV/2026", "Cao tốc Hữu Nghị – Chi Lăng", "Nhiệm vụ quá hạn",
                   "Trung tâm Phát triển quỹ đất tỉnh", "Chậm nhiều", "Đánh giá",
                   "Diện tích bàn giao (ha): kế hoạch và thực hiện theo tháng"):
        assert phrase in text, phrase
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "3", str(files["pdf"]),
                    str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == 3 and all(p.stat().st_size > 10_000 for p in images)
    keep = Path(__file__).resolve().parents[3] / "test-artifacts"
    keep.mkdir(exist_ok=True)
    for image in images:
        (keep / f"committee-pack-{image.name}").write_bytes(image.read_bytes())


def test_text_that_looks_like_a_formula_stays_text(demo_session: Session, standing: int,
                                                    tmp_path: Path) -> None:
    from gis.committee.tasks import add_task, create_meeting
    from tests.gis.committee.conftest import unit_id

    meeting = create_meeting(demo_session, standing, held_on=dt.date(2026, 11, 1),
                             kind="ad_hoc", title="Họp đột xuất", today=AS_OF)
    body = '=HYPERLINK("http://example.invalid","bấm vào đây")'
    add_task(demo_session, standing, meeting.id, body=body, unit_id=unit_id(demo_session, "SXD"),
             due_on=dt.date(2026, 12, 31))
    path = tmp_path / "pack.xlsx"
    path.write_bytes(pack_workbook(meeting_pack(demo_session, AS_OF)))
    ws = load_workbook(path)["Nhiệm vụ"]
    cells = [c for row in ws.iter_rows(min_row=5) for c in row if c.value == body]
    assert len(cells) == 1 and cells[0].data_type == "s"
