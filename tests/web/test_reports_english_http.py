"""Downloaded reports follow the reader's language: with the English cookie the Excel progress
report (every sheet), the one-page PDF summary and the parcel dossier PDF come out in
English — headings, titles, labels, steps, statuses, milestones by kind, communes the way
the pages name them, numbers written the English way — while what is data (project,
commune and person names) stays as recorded. In Vietnamese they are what ``gis.reports``
writes when asked for no language, as before."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from sqlalchemy import Connection, Engine, Row, text
from sqlalchemy.orm import Session

from gis.access.scope import Scope
from gis.cases.dossier import build_dossier, money
from gis.core.domain import STEP_LABELS_VI
from gis.core.formats import fmt_dec, fmt_int
from gis.core.landuse import LAND_USE_TYPES
from gis.core.lookups import project_by_code
from gis.core.wording import Wording
from gis.progress import progress_figures
from gis.progress.milestones import MILESTONE_STATUS_VI
from gis.projects.admin import MILESTONE_KINDS_VI
from gis.reports import Period, build_pdf, build_workbook
from tests.web.test_i18n import VIETNAMESE, visible_text
from web.i18n import LANG_COOKIE, english, place_name, wording

AS_OF = dt.date(2025, 3, 31)
PROJECT = "CT-HNCL"
REPORTS = f"/projects/{PROJECT}/reports"
VOCABULARY = sorted({*STEP_LABELS_VI.values(), *(t.name_vi for t in LAND_USE_TYPES),
                     *MILESTONE_KINDS_VI.values(), *MILESTONE_STATUS_VI.values()},
                    key=len, reverse=True)


@pytest.fixture
def reader(live_server: str, viewer_cookies: dict[str, str]
           ) -> Iterator[dict[str, httpx.Client]]:
    """Signed-in clients, one per language cookie."""
    clients = {lang: httpx.Client(base_url=live_server, timeout=60,
                                  cookies={**viewer_cookies, LANG_COOKIE: lang})
               for lang in ("vi", "en")}
    yield clients
    for client in clients.values():
        client.close()


@pytest.fixture(scope="module")
def names(demo_engine: Engine) -> list[str]:
    """Data that stays as recorded: projects, communes (bare and as officially named), land
    users and payees, decision numbers, milestone titles of no set kind, and the brand."""
    with demo_engine.connect() as conn:
        found = set(conn.execute(text(
            """SELECT name FROM projects UNION SELECT name FROM communes
               UNION SELECT full_name FROM land_users
               UNION SELECT full_name FROM compensation_payees
               UNION SELECT decision_no FROM compensation_decisions
               UNION SELECT decision_no FROM capital_plans
               UNION SELECT title FROM project_milestones WHERE kind = 'other'""")).scalars())
    bare = {n.partition(" ")[2] for n in found if n.startswith(("xã ", "phường "))}
    return sorted(found | bare | {"GPMB Lạng Sơn"}, key=len, reverse=True)


def _left(value: object, names: list[str]) -> str:
    """What is Vietnamese in ``value`` once data names are taken out ("" if nothing)."""
    if not isinstance(value, str):
        return ""
    for name in names:
        value = value.replace(name, "")
    return value if VIETNAMESE.search(value) else ""


def _pdf_text(data: bytes, tmp_path: Path, name: str) -> str:
    assert data.startswith(b"%PDF")
    path = tmp_path / name
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                         text=True).stdout
    return " ".join(out.split())


def _cells(wb: openpyxl.Workbook) -> dict[str, list[list[object]]]:
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb}


def test_excel_report_in_english(reader: dict[str, httpx.Client], demo_engine: Engine,
                                 names: list[str]) -> None:
    res = reader["en"].get(f"{REPORTS}/progress.xlsx?as_of=2025-03-31&period=month")
    assert res.status_code == 200, res.text[:300]
    wb = openpyxl.load_workbook(io.BytesIO(res.content))
    assert wb.sheetnames == ["Progress", "Milestones", "Weekly progress",
                             "Payments by household", "Capital disbursed"]
    main = wb["Progress"]
    assert main["A1"].value == "LAND CLEARANCE PROGRESS REPORT"
    assert main["A2"].value.startswith("Project: ") and "(code CT-HNCL)" in main["A2"].value
    assert main["A3"].value == ("Reporting period: Month 3/2025 (01/03/2025 to 31/03/2025);"
                                " figures to the end of 31/03/2025")
    heads = [c.value for c in main[5]]
    assert heads[:4] == ["No.", "Commune/ward", "Households affected", "Parcels to recover"]
    assert "Obstacles" in heads and "Share handed over" in heads
    with Session(demo_engine) as s:
        project = project_by_code(s, PROJECT)
        f = progress_figures(s, AS_OF, project_id=project.id).total
        communes = s.execute(text("SELECT name FROM communes")).scalars().all()
    total = next(r for r in range(6, main.max_row + 1) if main.cell(r, 2).value == "Total")
    assert main.cell(total, 3).value == f.households  # numbers stay numbers
    assert isinstance(main.cell(total, 5).value, float)
    shown = {main.cell(r, 2).value for r in range(6, total)}
    assert shown and shown <= {place_name(f"{unit} {n}", "en") for n in communes
                               for unit in ("xã", "phường")}  # "Đồng Đăng commune"
    milestones = wb["Milestones"]
    assert [c.value for c in milestones[1]] == ["Milestone", "Due", "Target", "Reached",
                                                "Forecast completion", "Status"]
    assert {milestones.cell(r, 6).value for r in range(2, milestones.max_row + 1)} <= {
        "Achieved", "On track", "At risk", "Late"}
    money = wb["Capital disbursed"]
    assert money["A1"].value == "CAPITAL PLAN DISBURSEMENT 2025"
    labels = [money.cell(r, 1).value for r in range(4, 14)]
    assert "Capital plan assigned (VND)" in labels
    households = wb["Payments by household"]
    assert households["A1"].value == ("COMPENSATION, SUPPORT AND RESETTLEMENT PAYMENTS BY "
                                      "HOUSEHOLD")
    assert any(str(c.value).startswith("Subtotal ") for c in households["B"])
    # The words of every sheet: titles, headings, labels, notes, statuses, obstacles.
    left = {(sheet, value) for sheet, rows in _cells(wb).items() for row in rows
            for value in row if _left(value, names)}
    assert sorted(left) == []


def test_pdf_summary_in_english(reader: dict[str, httpx.Client], demo_engine: Engine,
                                names: list[str], tmp_path: Path) -> None:
    res = reader["en"].get(f"{REPORTS}/summary.pdf?as_of=2025-03-31")
    assert res.status_code == 200
    words = _pdf_text(res.content, tmp_path, "summary.pdf")
    for label in ("LAND CLEARANCE PROGRESS SUMMARY", "Figures to the end of 31/03/2025",
                  "Area to recover", "Households affected", "Milestones", "Status",
                  "Communes with most area not handed over", "Capital disbursement 2025",
                  "Area handed over", "Cases by status"):
        assert label in words, label
    with Session(demo_engine) as s:
        project = project_by_code(s, PROJECT)
        f = progress_figures(s, AS_OF, project_id=project.id).total
    english, vietnamese = (fmt_dec(f.area_ha, 2, lang) + " ha" for lang in ("en", "vi"))
    assert english in words
    if english != vietnamese:
        assert vietnamese not in words
    households = fmt_int(f.households, "en")
    assert f"{households} households / {fmt_int(f.parcels, 'en')} parcels" in words
    assert _left(words, names) == ""


def _paid_case(conn: Connection) -> tuple[Row[Any], list[int]]:
    """The demo case paid the most (with a payment of at least 1.000 đ) and its payments."""
    case = conn.execute(text(
        """SELECT c.id, p.parcel_no, p.sheet_no FROM clearance_cases c
           JOIN parcels p ON p.id = c.parcel_id
           WHERE EXISTS (SELECT 1 FROM payments y WHERE y.case_id = c.id
                         AND y.amount_vnd >= 1000)
           ORDER BY c.paid_vnd DESC LIMIT 1""")).one()
    amounts = conn.execute(text("SELECT amount_vnd FROM payments WHERE case_id = :c"),
                           {"c": case.id}).scalars().all()
    return case, list(amounts)


def test_dossier_pdf_in_english(reader: dict[str, httpx.Client], demo_engine: Engine,
                                tmp_path: Path) -> None:
    with demo_engine.connect() as conn:
        case, amounts = _paid_case(conn)
    res = reader["en"].get(f"/cases/{case.id}/dossier.pdf")
    assert res.status_code == 200
    words = _pdf_text(res.content, tmp_path, "dossier.pdf")
    assert f"DOSSIER OF PARCEL NO. {case.parcel_no}, MAP SHEET NO. {case.sheet_no}" in words
    for label in ("I. Parcel", "II. Recovery procedure", "Current step", "Land use",
                  "Procedure steps taken", "Payment and deposit ledger", "VI. History",
                  "page 1/"):
        assert label in words, label
    for amount in amounts:
        assert money(amount, "en") in words  # 1,200,000
    assert "Thông tin thửa đất" not in words and "Sổ chi trả" not in words
    assert [t for t in VOCABULARY if t in words] == []
    # Every heading, label and table heading of the English dossier, as built for the PDF.
    with Session(demo_engine) as s:
        dossier = build_dossier(s, case.id, dt.date.today(), scope=Scope(),
                                w=wording("en"))
    frame = [dossier.title]
    for section in dossier.sections:
        frame += [section.title.split(" — ")[0], *(label for label, _ in section.facts)]
        for table in section.tables:
            frame += [table.title, *table.heads, table.empty]
    assert [x for x in frame if VIETNAMESE.search(x)] == []


def test_vietnamese_reports_are_as_written(reader: dict[str, httpx.Client],
                                           demo_engine: Engine, tmp_path: Path) -> None:
    """With the Vietnamese cookie the files hold exactly what ``gis.reports`` writes when
    asked for no language; in English they differ."""
    xlsx = f"{REPORTS}/progress.xlsx?as_of=2025-03-31&period=quarter"
    got = {lang: reader[lang].get(xlsx) for lang in ("vi", "en")}
    pdf = {lang: reader[lang].get(f"{REPORTS}/summary.pdf?as_of=2025-03-31")
           for lang in ("vi", "en")}
    with Session(demo_engine) as s:
        expected, _ = build_workbook(s, PROJECT, AS_OF, Period.QUARTER)
        expected_pdf, _ = build_pdf(s, PROJECT, AS_OF)
    vi = openpyxl.load_workbook(io.BytesIO(got["vi"].content))
    assert vi.sheetnames[0] == "Tiến độ GPMB" and vi["Tiến độ GPMB"]["A1"].value == (
        "BÁO CÁO TIẾN ĐỘ GIẢI PHÓNG MẶT BẰNG")
    assert "Quý I/2025" in vi["Tiến độ GPMB"]["A3"].value
    written = io.BytesIO()
    expected.save(written)
    assert _cells(vi) == _cells(openpyxl.load_workbook(written))
    en = openpyxl.load_workbook(io.BytesIO(got["en"].content))
    assert list(_cells(en).values()) != list(_cells(vi).values())
    words = _pdf_text(pdf["vi"].content, tmp_path, "vi.pdf")
    assert words == _pdf_text(expected_pdf, tmp_path, "expected.pdf")
    assert "BÁO CÁO TÓM TẮT TIẾN ĐỘ GPMB" in words and "Giải ngân vốn năm 2025" in words
    assert words != _pdf_text(pdf["en"].content, tmp_path, "en.pdf")


def test_every_word_of_the_reports_has_english(demo_engine: Engine) -> None:
    """What the writers pass to be translated, over every project, period and a few
    dossiers, is in the English catalogue (a missing entry would leave Vietnamese)."""
    asked: set[str] = set()

    def tr(text: str) -> str:
        asked.add(text)
        return text

    w = Wording("en", tr=tr)
    with Session(demo_engine) as s:
        codes = s.execute(text("SELECT code FROM projects ORDER BY code")).scalars().all()
        cases = s.execute(text(
            """(SELECT id FROM clearance_cases ORDER BY paid_vnd DESC LIMIT 3)
               UNION (SELECT case_id FROM case_events WHERE kind <> 'step' LIMIT 3)
               UNION (SELECT case_id FROM resettlement_allocations LIMIT 2)""")).scalars().all()
        for code in codes:
            for period in Period:
                build_workbook(s, code, dt.date(2025, 10, 15), period, w)
            build_pdf(s, code, AS_OF, w)
        for case_id in cases:
            build_dossier(s, case_id, dt.date.today(), scope=Scope(), w=w)
    assert len(asked) > 150
    assert sorted(asked - set(english()) - {""}) == []


NATION = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập – Tự do – Hạnh phúc")
"""The formal national heading of the printed dossier: Vietnamese in either language."""


def test_dossier_page_in_english(reader: dict[str, httpx.Client], demo_engine: Engine,
                                 names: list[str]) -> None:
    """The print page of the dossier has the words of the English PDF; what is left in
    Vietnamese is data (names, document numbers, what people typed), the national heading
    (marked ``lang="vi"``) and the switch back to Vietnamese."""
    with demo_engine.connect() as conn:
        case, amounts = _paid_case(conn)
        typed = set(conn.execute(text(
            """SELECT unnest(ARRAY[decision_no, signer, issuer_unit, note]) FROM case_events
               WHERE case_id = :c
               UNION SELECT unnest(ARRAY[description, unit, legal_ground])
               FROM compensation_line_items
               UNION SELECT unnest(ARRAY[decision_no, signer]) FROM compensation_decisions
               UNION SELECT unnest(ARRAY[doc_no, signed_by]) FROM event_documents
               WHERE case_id = :c
               UNION SELECT unnest(ARRAY[note, voucher_no, deposit_account]) FROM payments
               WHERE case_id = :c
               UNION SELECT unnest(ARRAY[responsible_officer, responsible_unit])
               FROM clearance_cases WHERE id = :c
               UNION SELECT address FROM parcels
               UNION SELECT name FROM resettlement_areas UNION SELECT full_name FROM users
               UNION SELECT filename FROM case_documents WHERE case_id = :c"""),
            {"c": case.id}).scalars()) - {None}
    res = reader["en"].get(f"/cases/{case.id}/dossier")
    assert res.status_code == 200
    page = res.text
    assert '<html lang="en">' in page
    assert f'id="dossier" data-case-id="{case.id}" lang="en"' in page
    assert f'<p class="dossier-nation" lang="vi">{NATION[0]}' in page
    shown = visible_text(page)
    assert f"DOSSIER OF PARCEL NO. {case.parcel_no}, MAP SHEET NO. {case.sheet_no}" in shown
    for label in ("I. Parcel", "II. Recovery procedure", "Current step", "Land use",
                  "Procedure steps taken", "Payment and deposit ledger", "VI. History",
                  "Print the dossier", "Download the PDF"):
        assert label in shown, label
    assert any(p.startswith(f"Clearance case #{case.id} — printed on ") for p in shown)
    flat = " ".join(shown)
    for amount in amounts:
        assert money(amount, "en") in flat  # 1,200,000
    data = sorted(set(names) | {str(t) for t in typed}, key=len, reverse=True)
    left = [p for p in shown if _left(p, data)]
    assert sorted(left) == sorted([*NATION, "Tiếng Việt"])
    # The same words as the English PDF of the dossier: its headings, labels and table heads.
    with Session(demo_engine) as s:
        dossier = build_dossier(s, case.id, dt.date.today(), scope=Scope(),
                                w=wording("en"))
    for section in dossier.sections:
        assert section.title in shown
        assert {label for label, _ in section.facts} <= set(shown)
        for table in section.tables:
            assert table.title in shown
            assert set(table.heads) <= set(shown) if table.rows else table.empty in shown
