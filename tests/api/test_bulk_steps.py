"""Bulk step updates from Excel: all rows or none, with a per-row report."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook

from api.errors import Problem
from api.schemas import BulkResultOut
from tests.api.conftest import ApiWorld

HEADER = ["Mã hồ sơ", "Bước", "Ngày", "Số văn bản", "Ngày văn bản", "Người ký", "Ghi chú"]
TODAY = dt.date.today()


def xlsx(rows: list[list[Any]]) -> bytes:
    """A workbook with the header and ``rows``."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client: TestClient, world: ApiWorld, content: bytes, role: str = "staff") -> Any:
    return client.post("/api/cases/bulk-steps", headers=world.auth(role),
                       files={"file": ("buoc.xlsx", content, "application/vnd.openxmlformats-"
                                       "officedocument.spreadsheetml.sheet")})


def _cases(world: ApiWorld, step: str, n: int) -> list[int]:
    with world.engine.connect() as conn:
        from sqlalchemy import text

        return list(conn.execute(text(
            "SELECT id FROM clearance_cases WHERE step = :s ORDER BY id DESC LIMIT :n"),
            {"s": step, "n": n}).scalars())


def _events(world: ApiWorld) -> int:
    return int(str(world.scalar("SELECT count(*) FROM case_events")))


def test_one_bad_row_writes_nothing_and_is_reported(client: TestClient,
                                                    world: ApiWorld) -> None:
    a, b = _cases(world, "plan_posted", 2)
    before = _events(world)
    rows = [
        [a, "Đã niêm yết phương án", TODAY, None, None, None, "đã rồi"],  # same step: refused
        [b, "handed_over", TODAY.strftime("%d/%m/%Y"), None, None, None, None],  # skips steps
        ["abc", "notified", TODAY, None, None, None, None],  # not a case number
    ]
    res = upload(client, world, xlsx(rows[2:]))
    assert res.status_code == 422
    report = Problem.model_validate(res.json())
    assert report.code == "import_rejected" and report.extra
    assert report.extra["rows"][0]["row"] == 2 and "Mã hồ sơ" in report.extra["rows"][0][
        "message"]
    res = upload(client, world, xlsx(rows[:2]))
    assert res.status_code == 422
    problems = Problem.model_validate(res.json()).extra or {}
    assert [r["row"] for r in problems["rows"]] == [2, 3]
    assert all(r["message"] and r["case_id"] in (a, b) for r in problems["rows"])
    assert _events(world) == before


def test_good_sheet_is_applied_in_one_go(client: TestClient, world: ApiWorld) -> None:
    a, b = _cases(world, "decided_paid", 2)
    before = _events(world)
    res = upload(client, world, xlsx([  # each step with its minutes' number and date
        [a, "handed_over", TODAY, "31/BB-BGMB", TODAY, None, "Bàn giao tại thực địa"],
        [b, "handed_over", TODAY, "32/BB-BGMB", TODAY, None, None],
    ]))
    assert res.status_code == 200, res.text
    out = BulkResultOut.model_validate(res.json())
    assert out.applied == 2 and {r.case_id for r in out.rows} == {a, b}
    assert _events(world) == before + 2


def test_bulk_is_for_staff_and_needs_a_workbook(client: TestClient, world: ApiWorld) -> None:
    assert upload(client, world, xlsx([]), role="leader").status_code == 403
    assert upload(client, world, b"PK not really").json()["extra"]["reason"] == "not_xlsx"
    assert upload(client, world, xlsx([])).json()["extra"]["reason"] == "empty"
