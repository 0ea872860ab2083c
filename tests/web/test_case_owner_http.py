"""Who answers for a case (revision 0010): staff name the officer and unit on the case page;
the names show on the case page, in the list, in the Excel export and in the map's panel;
"N overdue" on the dashboards opens the list of exactly those cases."""

from __future__ import annotations

import html
import re
from pathlib import Path

import openpyxl
from fastapi.testclient import TestClient

from tests.web.test_cases_http import CasesWorld, client_fixture, hidden, sign_in, world_fixture

OFFICER, UNIT = "Hoàng Văn Đức", "Trung tâm Phát triển quỹ đất huyện Cao Lộc"


world = world_fixture("gpmb_case_owner")
client = client_fixture()


def _owner_form(client: TestClient, case_id: int) -> dict[str, str]:
    page = client.get(f"/cases/{case_id}").text
    return {k: hidden(page, "owner-form", k) for k in ("csrf_token", "version", "idem")}


def test_staff_name_the_owner_shown_everywhere(client: TestClient, world: CasesWorld,
                                               tmp_path: Path) -> None:
    case = world.case("j.code = 'CT-HNCL'")
    staff = sign_in(client, "staff")
    page = staff.get(f"/cases/{case['id']}").text
    assert 'id="owner-officer">Chưa giao<' in page
    form = _owner_form(staff, case["id"])
    res = staff.post(f"/cases/{case['id']}/owner", follow_redirects=False,
                     data={**form, "responsible_officer": f"  {OFFICER} ",
                           "responsible_unit": UNIT})
    assert res.status_code == 303 and res.headers["location"].endswith("#owner")
    page = staff.get(res.headers["location"]).text
    assert f'id="owner-officer">{OFFICER}<' in page and f'id="owner-unit">{UNIT}<' in page
    assert "Đã lưu người phụ trách hồ sơ." in page
    assert world.value("SELECT responsible_officer || '|' || responsible_unit FROM"
                       " clearance_cases WHERE id = :c", c=case["id"]) == f"{OFFICER}|{UNIT}"
    assert world.value("SELECT actor FROM audit_log WHERE table_name = 'clearance_cases'"
                       " AND row_key = :k ORDER BY id DESC LIMIT 1",
                       k=str(case["id"])) == "hs.staff"

    # a copy of the form drawn before that change is refused, nothing overwritten
    late = staff.post(f"/cases/{case['id']}/owner",
                      data={**form, "responsible_officer": "Người khác"})
    assert late.status_code == 409
    assert world.value("SELECT responsible_officer FROM clearance_cases WHERE id = :c",
                       c=case["id"]) == OFFICER

    leader = sign_in(client, "leader")
    listed = leader.get("/projects/CT-HNCL/cases", params={"per": "100", "sort": "id"}).text
    row = re.search(rf'data-case-id="{case["id"]}".*?</tr>', listed, re.S)
    assert row and OFFICER in row[0] and UNIT in row[0]
    res = leader.get("/api/exports/cases", params={"project": "CT-HNCL", "format": "xlsx"})
    assert res.status_code == 200, res.text
    (xlsx := tmp_path / "ho-so.xlsx").write_bytes(res.content)
    sheet = openpyxl.load_workbook(xlsx)["Hồ sơ GPMB"]
    header = [c.value for c in sheet[1]]
    officer_col = next(i for i, h in enumerate(header) if h and "Cán bộ phụ trách" in str(h))
    ids = {str(r[0].value): r[officer_col].value for r in sheet.iter_rows(min_row=2)}
    assert ids[str(case["id"])] == OFFICER
    panel = leader.get(f"/projects/CT-HNCL/map/parcels/{case['parcel_id']}").json()
    assert (panel["responsible_officer"], panel["responsible_unit"]) == (OFFICER, UNIT)
    refused = leader.post(f"/cases/{case['id']}/owner", data={**form, "version":
                                                              str(case["version"] + 1)})
    assert refused.status_code == 403


def test_overdue_figure_links_to_the_filtered_list(client: TestClient,
                                                   world: CasesWorld) -> None:
    leader = sign_in(client, "leader")
    board = leader.get("/dashboard").text
    card = re.search(r'Hồ sơ quá hạn</div><div class="value"><a href="([^"]+)">([\d.]+)</a>',
                     board)
    assert card, "the overdue figure is a link"
    assert card[1] == "/cases?overdue=1"
    listed = leader.get(card[1]).text
    assert re.findall(r'data-total="(\d+)"', listed)[0] == card[2].replace(".", "")
    per_project = [(html.unescape(h), n) for h, n in re.findall(
        r'class="overdue-link" href="([^"]+)">([\d.]+)</a>', board)]
    assert per_project
    for href, count in per_project:
        total = re.findall(r'data-total="(\d+)"', leader.get(href).text)[0]
        assert total == count.replace(".", ""), href
    project = leader.get("/projects/CT-HNCL/dashboard").text
    assert '/projects/CT-HNCL/cases?overdue=1"' in project
