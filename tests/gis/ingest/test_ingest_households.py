"""Household lists (CSV, XLSX) joined to parcels on commune + sheet + parcel: validated
first (each problem names the row), written atomically, idempotent, batches recorded."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core.errors import ImportRejected
from gis.ingest import import_parcels
from gis.ingest.encoding import encode_tcvn3
from gis.ingest.households import (
    check_citizen_id,
    check_phone,
    import_households,
    parse_household_mapping,
)
from tests.gis.ingest.conftest import Spot
from tests.gis.ingest.helpers import count, parcel_frame, write

HEAD = ["STT", "MaXa", "SoTo", "SoThua", "HoTen", "CCCD", "DiaChi", "SoDienThoai"]


def _rows(commune: str) -> list[list[Any]]:
    return [
        [1, commune, 7, 1, "Nguyễn Văn An", "020085001234", "Thôn Bản Đông", "0912345678"],
        [2, commune, 7, 2, "Nguyễn Văn An", "020085001234", "Thôn Bản Đông", ""],
        [3, commune, 7, 3, "Hoàng Thị Lan", "", "Thôn Nà Phước", "84987654321"],
        [4, commune, 7, 3, "Lường Văn Đức", "", "Thôn Nà Phước", ""],
        [5, commune, 7, 4, "UBND xã", "", "", ""],
    ]


def _csv(path: Path, head: list[str], rows: list[list[Any]], encoding: str = "utf-8-sig",
         delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding=encoding) as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(head)
        w.writerows(rows)
    return path


def _xlsx(path: Path, head: list[str], rows: list[list[Any]]) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["DANH SÁCH CHỦ SỬ DỤNG ĐẤT BỊ ẢNH HƯỞNG"])
    ws.append([])
    ws.append(head)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


@pytest.fixture
def parcels(session: Session, spot: Spot, tmp_path: Path) -> str:
    frame = parcel_frame(spot.commune, spot.x, spot.y).drop(columns=["ChuSuDung"])
    import_parcels(session, write(frame, tmp_path / "o.gpkg"))  # the owners come from the list
    return spot.commune


def _holders(session: Session) -> list[tuple[int, str, str | None, str | None, int]]:
    rows = session.execute(text(
        "SELECT p.parcel_no, u.full_name, u.citizen_id, u.phone, pu.share_pct"
        " FROM parcel_land_users pu JOIN land_users u ON u.id = pu.land_user_id"
        " JOIN parcels p ON p.id = pu.parcel_id ORDER BY p.parcel_no, u.full_name")).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_csv_import_is_idempotent(session: Session, parcels: str, tmp_path: Path) -> None:
    path = _csv(tmp_path / "ho_dan.csv", HEAD, _rows(parcels), delimiter=";")
    result = import_households(session, path, actor="cli:test")
    assert (result.users_created, result.holdings_created, result.unchanged_rows) == (4, 5, 0)
    assert _holders(session) == [
        (1, "Nguyễn Văn An", "020085001234", "0912345678", 100),
        (2, "Nguyễn Văn An", "020085001234", "0912345678", 100),
        (3, "Hoàng Thị Lan", None, "0987654321", 50),
        (3, "Lường Văn Đức", None, None, 50),
        (4, "UBND xã", None, None, 100),
    ]
    batch = session.execute(text(
        "SELECT kind, status, created, unchanged FROM import_batches WHERE id = :b"),
        {"b": result.batch_id}).one()
    assert tuple(batch) == ("households", "applied", 9, 0)
    audit = count(session, "SELECT count(*) FROM audit_log WHERE table_name LIKE '%land_user%'")
    again = import_households(session, path)
    assert (again.users_created, again.users_updated, again.holdings_created,
            again.holdings_updated, again.unchanged_rows) == (0, 0, 0, 0, 5)
    assert count(session, "SELECT count(DISTINCT land_user_id) FROM parcel_land_users") == 4
    assert count(session, "SELECT count(*) FROM audit_log WHERE table_name LIKE"
                 " '%land_user%'") == audit


def test_land_users_of_parcels_with_cases_get_household_records(
        session: Session, parcels: str, tmp_path: Path) -> None:
    pid = session.execute(text(
        "INSERT INTO projects (code, name, investment_form, owner) VALUES"
        " ('HO-1', 'Dự án thử hộ', 'public_budget', 'Sở Xây dựng') RETURNING id")).scalar_one()
    session.execute(text(
        "INSERT INTO clearance_cases (project_id, parcel_id, recovered_geom, recovered_area_m2,"
        " is_whole_parcel) SELECT :p, id, geom, ST_Area(geom), true FROM parcels"
        " WHERE commune_code = :c AND sheet_no = 7 AND parcel_no = 3"), {"p": pid, "c": parcels})
    import_households(session, _csv(tmp_path / "ho.csv", HEAD, _rows(parcels)))
    records = session.execute(text(
        "SELECT u.full_name, y.full_name FROM compensation_households h"
        " JOIN land_users u ON u.id = h.land_user_id"
        " JOIN compensation_payees y ON y.household_id = h.id"
        " JOIN compensation_household_cases hc ON hc.household_id = h.id"
        " WHERE h.project_id = :p ORDER BY 1"), {"p": pid}).all()
    # parcel 3 is in the project and has two land users: each gets a record, as payee
    assert [tuple(r) for r in records] == [("Hoàng Thị Lan", "Hoàng Thị Lan"),
                                           ("Lường Văn Đức", "Lường Văn Đức")]


def test_xlsx_with_title_rows_numbers_and_corrections(session: Session, parcels: str,
                                                      tmp_path: Path) -> None:
    rows = _rows(parcels)
    rows[0][5] = 20085001234  # a number cell: Excel dropped the leading zero
    rows[2][7] = 987654321
    first = import_households(session, _xlsx(tmp_path / "v1.xlsx", HEAD, rows))
    assert first.report.counts()["citizen_id_padded"] == 1
    assert _holders(session)[0][2] == "020085001234"
    assert _holders(session)[2][3] == "0987654321"
    # corrected list: a new phone for An, Lan now holds 70 %
    head = [*HEAD, "TyLe"]
    rows2 = [[*r, ""] for r in _rows(parcels)]
    rows2[0][7] = "0911111111"
    rows2[2][8], rows2[3][8] = 70, 30
    second = import_households(session, _xlsx(tmp_path / "v2.xlsx", head, rows2))
    assert (second.users_created, second.users_updated, second.holdings_updated) == (0, 1, 2)
    holders = _holders(session)
    assert holders[0][3] == "0911111111" and (holders[2][4], holders[3][4]) == (70, 30)


def test_every_problem_names_its_row(session: Session, parcels: str, tmp_path: Path) -> None:
    rows = _rows(parcels)
    rows[0][3] = 99  # unknown parcel
    rows[4][5] = "12345"  # bad CCCD
    rows[0][7] = "12ab"  # a bad phone on the row of the unknown parcel: both reported
    rows[2][7] = "12ab"  # bad phone
    rows.append(list(rows[3]))  # duplicate of the row before
    rows.append([7, "99999", 7, 1, "Vi Văn Tú", "", "", ""])  # commune not in the province
    rows.append([8, parcels, "bảy", 1, "Vi Văn Tú", "", "", ""])  # sheet not a number
    rows.append([9, parcels, 7, 5, "Lộc Văn Việt", "020085001234", "", ""])  # CCCD of An
    path = _csv(tmp_path / "loi.csv", HEAD, rows)
    before = count(session, "SELECT count(*) FROM land_users")
    with pytest.raises(ImportRejected) as info:
        import_households(session, path)
    report = info.value.extra["report"]
    found = sorted((p.row, p.code) for p in report.errors)
    assert found == [(2, "bad_phone"), (2, "unknown_parcel"), (4, "bad_phone"),
                     (6, "bad_citizen_id"), (7, "duplicate_row"), (8, "unknown_commune"),
                     (9, "bad_value"), (10, "citizen_id_conflict")]
    assert all(p.message_vi for p in report.errors)
    assert "020085001234" not in " ".join(p.message_vi for p in report.problems)
    assert count(session, "SELECT count(*) FROM land_users") == before


def test_tcvn3_csv_and_mapping(session: Session, parcels: str, tmp_path: Path) -> None:
    head = ["MaXa", "SHBANDO", "SHTHUA", "TEN_NGUOI", "DiaChi"]
    rows = [[parcels, 7, 6, encode_tcvn3("Lường Văn Đức"), encode_tcvn3("Thôn Bản Đông")]]
    path = _csv(tmp_path / "tcvn3.csv", head, rows, encoding="latin-1")
    with pytest.raises(ImportRejected) as info:
        import_households(session, path)
    assert [p.code for p in info.value.extra["report"].errors] == ["missing_field"]
    result = import_households(session, path,
                               mapping=parse_household_mapping(["TEN_NGUOI=full_name"]))
    assert result.report.encoding == "TCVN3 (ABC)"
    assert _holders(session) == [(6, "Lường Văn Đức", None, None, 100)]


def test_value_checks() -> None:
    assert check_citizen_id("020 085 001 234")[0] == "020085001234"
    assert check_citizen_id("123456789")[1] is not None  # old 9-digit CMND
    assert check_citizen_id("990085001234")[1] is not None  # no province 990
    assert check_phone("+84 912 345 678")[0] == "0912345678"
    assert check_phone("02053812345")[0] == "02053812345"
    assert check_phone("12345")[0] is None
