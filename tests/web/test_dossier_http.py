"""The printable parcel dossier over HTTP on a real PostGIS demo of its own: the page holds
the parcel's identification, steps with decisions and signers, household money, documents
and history; the PDF's text (poppler's pdftotext) has the same in intact Vietnamese; an
account limited to another commune gets a 404 for both, as for the case page."""

from __future__ import annotations

import html
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from gis.access.accounts import create_user
from gis.cases.dossier import money
from gis.core.domain import Role
from gis.db.engine import session_factory
from tests.web.test_cases_http import PASSWORD, CasesWorld, client_fixture, sign_in, world_fixture

PDFTOTEXT = shutil.which("pdftotext") or "/usr/bin/pdftotext"


world = world_fixture("gpmb_dossier")
client = client_fixture()


@pytest.fixture(scope="module")
def paid(world: CasesWorld) -> dict[str, Any]:
    """A case with steps, a household decision and ledger entries, and what it holds."""
    case = world.case("c.paid_vnd > 0 AND EXISTS (SELECT 1 FROM compensation_household_cases"
                      " x JOIN compensation_decisions d ON d.household_id = x.household_id"
                      " WHERE x.case_id = c.id)")
    facts = world.rows("""
        SELECT m.name AS commune, m.code AS commune_code, p.land_use_code, lt.name_vi AS
               land_use_name
        FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
        JOIN communes m ON m.code = p.commune_code
        JOIN land_use_types lt ON lt.code = p.land_use_code WHERE c.id = :c""",
                       c=case["id"])[0]
    steps = world.rows("SELECT decision_no, signer FROM case_events WHERE case_id = :c AND"
                       " kind = 'step' AND decision_no IS NOT NULL ORDER BY id", c=case["id"])
    holders = world.rows("SELECT u.full_name FROM parcel_land_users pu JOIN land_users u ON"
                         " u.id = pu.land_user_id WHERE pu.parcel_id = :p", p=case["parcel_id"])
    decisions = world.rows("SELECT d.decision_no, d.total_vnd FROM compensation_decisions d"
                           " JOIN compensation_household_cases x ON x.household_id ="
                           " d.household_id WHERE x.case_id = :c", c=case["id"])
    entries = world.rows("SELECT amount_vnd FROM payments WHERE case_id = :c", c=case["id"])
    return {**case, **facts, "steps": steps, "holders": holders, "decisions": decisions,
            "entries": entries}


def _text(page: str) -> str:
    return html.unescape(page)


def test_the_dossier_page_holds_the_parcels_record(client: TestClient,
                                                   paid: dict[str, Any]) -> None:
    sign_in(client, "leader")
    case_page = client.get(f"/cases/{paid['id']}").text
    assert f'id="dossier-link" href="/cases/{paid["id"]}/dossier"' in case_page
    res = client.get(f"/cases/{paid['id']}/dossier")
    assert res.status_code == 200, res.text
    page = _text(res.text)
    assert (f"HỒ SƠ THỬA ĐẤT SỐ {paid['parcel_no']}, TỜ BẢN ĐỒ SỐ {paid['sheet_no']}"
            in page)
    for words in (paid["commune"], f"{paid['land_use_code']} — {paid['land_use_name']}",
                  "I. Thông tin thửa đất", "II. Trình tự thu hồi đất", "IV. Tái định cư",
                  "V. Tài liệu", "VI. Lịch sử", "Cán bộ phụ trách", "Người nhận tiền",
                  "Sổ chi trả, gửi tiền"):
        assert words in page, words
    assert paid["steps"], "the case has signed steps"
    for step in paid["steps"]:
        assert step["decision_no"] in page and step["signer"] in page
    for holder in paid["holders"]:
        assert holder["full_name"] in page
    for d in paid["decisions"]:
        assert d["decision_no"] in page and money(d["total_vnd"]) in page
    for e in paid["entries"]:
        assert money(e["amount_vnd"]) in page
    assert 'href="/cases/{}/dossier.pdf"'.format(paid["id"]) in page
    css = client.get("/static/dossier/dossier.css").text
    assert "@media print" in css and "size: A4" in css


def test_the_pdf_has_the_same_in_vietnamese(client: TestClient, paid: dict[str, Any],
                                            tmp_path: Path) -> None:
    sign_in(client, "staff")
    res = client.get(f"/cases/{paid['id']}/dossier.pdf")
    assert res.status_code == 200
    assert res.headers["content-type"] == "application/pdf"
    assert res.content.startswith(b"%PDF")
    out = tmp_path / "ho-so.pdf"
    out.write_bytes(res.content)
    text = subprocess.run([PDFTOTEXT, "-layout", str(out), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = " ".join(text.split())
    assert f"HỒ SƠ THỬA ĐẤT SỐ {paid['parcel_no']}, TỜ BẢN ĐỒ SỐ {paid['sheet_no']}" in flat
    for words in ("Thông tin thửa đất", "Trình tự thu hồi đất", "Người sử dụng đất",
                  "Diện tích thu hồi", "Sổ chi trả, gửi tiền", paid["commune"]):
        assert words in flat, words
    for step in paid["steps"]:
        assert step["decision_no"] in flat
    for holder in paid["holders"]:
        assert holder["full_name"] in flat


def test_another_communes_account_gets_404(client: TestClient, world: CasesWorld,
                                           paid: dict[str, Any]) -> None:
    other = world.value("SELECT min(p.commune_code) FROM clearance_cases c JOIN parcels p ON"
                        " p.id = c.parcel_id WHERE p.commune_code <> :m", m=paid["commune_code"])
    assert other is not None
    with session_factory(world.engine).begin() as s:
        _scoped(s, "hs.other", [other])
        _scoped(s, "hs.same", [paid["commune_code"]])
    for name, status in (("hs.other", 404), ("hs.same", 200)):
        client.cookies.clear()
        res = client.post("/api/auth/login", json={"username": name, "password": PASSWORD})
        assert res.status_code == 200
        for url in (f"/cases/{paid['id']}/dossier", f"/cases/{paid['id']}/dossier.pdf"):
            got = client.get(url)
            assert got.status_code == status, (name, url)
            if status == 404:
                assert paid["commune"] not in got.text
                assert "HỒ SƠ THỬA ĐẤT" not in got.text
    client.cookies.clear()
    assert client.get(f"/cases/{paid['id']}/dossier", follow_redirects=False).status_code in (
        302, 303, 307, 401)


def _scoped(session: Session, username: str, communes: list[str]) -> None:
    create_user(session, username, Role.LEADER, PASSWORD, full_name=username,
                communes=communes)
