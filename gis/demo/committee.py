"""The demo's steering committee: units, members, the 2026 key-project list (22 projects,
one swapped in May), capital plans and disbursements of the projects without parcels, each
project's monthly plan (one revised in July), two past quarterly meetings and their tasks
(some done with evidence, one done late, some overdue, one pointing to a live case list).

Deterministic and cheap: a few hundred rows; the expressway's and police HQ's clearance
targets are read from their cases with one aggregate query."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Connection, text

from gis.demo.committee_specs import (
    CHANGE_DECISION,
    KEY_PROJECTS,
    LIST_DECISION,
    MEMBERS,
    NEW_FORM,
    REMOVED,
    UNITS,
    B,
    KeySpec,
)
from gis.demo.history import DEFAULT_TODAY
from gis.demo.projects import EXPRESSWAY_CODE, POLICE_HQ_CODE

YEAR = 2026
PLAN_SHARES = (0.78, 0.80, 0.83, 0.86, 0.89, 0.92, 0.94, 0.96, 0.98, 0.99, 1.0, 1.0)
"""Clearance plan: cumulative share of the project's total to each 2026 month's end."""
MONEY_SHARES = (0.03, 0.08, 0.14, 0.21, 0.29, 0.38, 0.47, 0.55, 0.63, 0.72, 0.84, 1.0)
"""Disbursement plan of the projects without a committed schedule of their own."""


def _one(conn: Connection, sql: str, **params: Any) -> Any:
    return conn.execute(text(sql), params).scalar_one()


def _insert_projects(conn: Connection, project_ids: dict[str, int]) -> dict[str, int]:
    ids = dict(project_ids)
    for spec in (*KEY_PROJECTS, REMOVED):
        if spec.code in ids:
            continue
        ids[spec.code] = _one(conn, "INSERT INTO projects (code, name, investment_form, owner,"
                              " contracting_authority, compensation_budget_vnd, is_demo) VALUES"
                              " (:c, :n, CAST(:f AS investment_form), :o, 'UBND tỉnh Lạng Sơn',"
                              " 0, true) RETURNING id", c=spec.code, n=spec.name,
                              f=NEW_FORM[spec.group], o=spec.investor)
    return ids


def _communes(conn: Connection, ids: dict[str, int]) -> dict[str, list[str]]:
    from_cases = {code: list(conn.execute(text(
        "SELECT DISTINCT pa.commune_code FROM clearance_cases c JOIN parcels pa ON"
        " pa.id = c.parcel_id WHERE c.project_id = :p ORDER BY 1"), {"p": ids[code]}).scalars())
        for code in (EXPRESSWAY_CODE, POLICE_HQ_CODE)}
    every = list(conn.execute(text("SELECT code FROM communes ORDER BY code")).scalars())
    out: dict[str, list[str]] = {}
    for i, spec in enumerate((*KEY_PROJECTS, REMOVED)):
        out[spec.code] = from_cases.get(spec.code) or [every[(i * 7 + k * 13) % len(every)]
                                                       for k in range(1 + i % 3)]
    return out


def _change(conn: Connection, pid: int, rev: int, action: str, spec: KeySpec, member: int,
            unit: int, communes: list[str], decision: tuple[str, dt.date], note: str) -> None:
    conn.execute(text(
        "INSERT INTO key_project_changes (project_id, year, revision, action, project_group,"
        " investor, member_id, unit_id, commune_codes, decision_no, decision_date, note)"
        " VALUES (:p, :y, :r, :a, :g, :i, :m, :u, :c, :dn, :dd, :note)"),
        {"p": pid, "y": YEAR, "r": rev, "a": action, "g": spec.group, "i": spec.investor,
         "m": member, "u": unit, "c": communes, "dn": decision[0], "dd": decision[1],
         "note": note})


def _clearance_totals(conn: Connection, pid: int) -> tuple[float, int]:
    row = conn.execute(text(
        "SELECT COALESCE(sum(c.recovered_area_m2), 0) / 10000,"
        " (SELECT count(DISTINCT u.land_user_id) FROM clearance_cases c2"
        "  JOIN parcel_land_users u ON u.parcel_id = c2.parcel_id WHERE c2.project_id = :p)"
        " FROM clearance_cases c WHERE c.project_id = :p"), {"p": pid}).one()
    return float(row[0]), int(row[1])


def _plan(conn: Connection, pid: int, rev: int, on: dt.date, document: str,
          area_ha: float, households: int, money: list[int], note: str) -> None:
    plan_id = _one(conn, "INSERT INTO committee_plans (project_id, year, revision, submitted_on,"
                   " document_no, note) VALUES (:p, :y, :r, :on, :d, :n) RETURNING id",
                   p=pid, y=YEAR, r=rev, on=on, d=document, n=note)
    for m in range(1, 13):
        share = PLAN_SHARES[m - 1]
        conn.execute(text(
            "INSERT INTO committee_plan_months (plan_id, month, handed_over_ha, households_paid,"
            " households_handed_over, disbursed_vnd) VALUES (:id, :m, :ha, :hp, :hh, :v)"),
            {"id": plan_id, "m": m, "ha": round(area_ha * share, 4),
             "hp": int(households * min(1.0, share + 0.02)), "hh": int(households * share),
             "v": money[m - 1]})


def _targets(conn: Connection, pid: int, plan_vnd: int) -> list[int]:
    """The investor's committed cumulative schedule in VND, or the default shares."""
    rows: dict[int, int] = {int(m): int(v) for m, v in conn.execute(text(
        "SELECT month, COALESCE(cumulative_vnd, round(cumulative_pct * :plan / 100)::bigint)"
        " FROM disbursement_targets WHERE project_id = :p AND year = :y AND revision ="
        " (SELECT max(revision) FROM disbursement_targets WHERE project_id = :p AND year = :y)"),
        {"p": pid, "y": YEAR, "plan": plan_vnd})}
    return [int(rows.get(m, round(plan_vnd * MONEY_SHARES[m - 1]))) for m in range(1, 13)]


def _capital(conn: Connection, pid: int, spec: KeySpec, today: dt.date) -> None:
    """A 2026 capital plan and twice-monthly disbursements at the project's pace."""
    plan = spec.capital_b * B
    conn.execute(text("INSERT INTO capital_plans (project_id, year, revision, amount_vnd,"
                      " decision_no, decision_date, note) VALUES (:p, :y, 1, :a, '2480/QĐ-UBND',"
                      " '2025-12-22', 'Giao kế hoạch vốn (dữ liệu minh hoạ)')"),
                 {"p": pid, "y": YEAR, "a": plan})
    done = 0
    for m in range(1, 13):
        target = min(plan, int(round(plan * MONEY_SHARES[m - 1] * spec.pace, -6)))
        first = int(round((target - done) * 0.45, -6))
        for day, amount in ((12, first), (26, target - done - first)):
            on = dt.date(YEAR, m, day)
            if on > today or amount <= 0:
                continue
            conn.execute(text("INSERT INTO disbursements (project_id, year, amount_vnd,"
                              " disbursed_on, source, voucher_no) VALUES (:p, :y, :a, :d,"
                              " 'Vốn của dự án', :v)"),
                         {"p": pid, "y": YEAR, "a": amount, "d": on,
                          "v": f"GN-{YEAR}-{pid}-{m:02d}{day}"})
            done += amount


def insert_committee(conn: Connection, project_ids: dict[str, int],
                     today: dt.date = DEFAULT_TODAY) -> dict[str, int]:
    """Insert the demo committee; returns every project id by code (new ones included)."""
    units = {u.code: _one(conn, "INSERT INTO committee_units (code, name, kind) VALUES"
                          " (:c, :n, :k) RETURNING id", c=u.code, n=u.name, k=u.kind)
             for u in UNITS}
    members = [_one(conn, "INSERT INTO committee_members (full_name, title, position, unit_id)"
                    " VALUES (:n, :t, :p, :u) RETURNING id", n=m.full_name, t=m.title,
                    p=m.position, u=units[m.unit] if m.unit else None) for m in MEMBERS]
    ids = _insert_projects(conn, project_ids)
    communes = _communes(conn, ids)
    first_list = (*KEY_PROJECTS[:-1], REMOVED)
    for spec in first_list:
        _change(conn, ids[spec.code], 1, "add", spec, members[spec.member], units[spec.unit],
                communes[spec.code], LIST_DECISION, "Danh mục dự án trọng điểm năm 2026")
    _change(conn, ids[REMOVED.code], 2, "remove", REMOVED, members[REMOVED.member],
            units[REMOVED.unit], communes[REMOVED.code], CHANGE_DECISION,
            "Nhà đầu tư xin dừng thực hiện dự án")
    last = KEY_PROJECTS[-1]
    _change(conn, ids[last.code], 1, "add", last, members[last.member], units[last.unit],
            communes[last.code], CHANGE_DECISION, "Bổ sung theo đề nghị của Sở Tài chính")
    for spec in KEY_PROJECTS:
        pid = ids[spec.code]
        has_cases = spec.code in (EXPRESSWAY_CODE, POLICE_HQ_CODE)
        if not has_cases:
            _capital(conn, pid, spec, today)
        area, households = _clearance_totals(conn, pid) if has_cases else (0.0, 0)
        money = _targets(conn, pid, spec.capital_b * B)
        _plan(conn, pid, 1, dt.date(2026, 1, 25), "35/KH-BQL", area, households, money,
              "Kế hoạch chi tiết năm 2026")
        if spec.code == EXPRESSWAY_CODE:  # revised after the Q2 meeting: slower handover
            _plan(conn, pid, 2, dt.date(2026, 7, 20), "410/KH-BOT", area * 0.97,
                  int(households * 0.97), money, "Điều chỉnh theo Thông báo kết luận quý II")
    _meetings(conn, ids, units, members)
    return ids


TASKS: tuple[tuple[int, str, str | None, str, int | None, dt.date, dict[str, Any] | None,
                   tuple[str, dt.date, dt.date] | None], ...] = (
    # (meeting, body, project, unit, member, due, case list, done: (evidence, date, done on))
    (0, "Hoàn thành bàn giao toàn bộ mặt bằng tuyến chính cao tốc Hữu Nghị – Chi Lăng",
     EXPRESSWAY_CODE, "TTPTQD", 5, dt.date(2026, 6, 30), None,
     ("512/BC-TTPTQĐ", dt.date(2026, 7, 3), dt.date(2026, 7, 3))),
    (0, "Rà soát các trường hợp đã có quyết định cưỡng chế nhưng hộ chưa nhận tiền",
     EXPRESSWAY_CODE, "TTPTQD", 5, dt.date(2026, 8, 15),
     {"project": EXPRESSWAY_CODE, "enforcement": True, "money_not_taken": True}, None),
    (0, "Phê duyệt phương án bồi thường khu đất trụ sở Công an tỉnh", POLICE_HQ_CODE,
     "CA-TINH", 3, dt.date(2026, 5, 31), None,
     ("118/QĐ-UBND", dt.date(2026, 5, 28), dt.date(2026, 5, 28))),
    (0, "Đẩy nhanh giải ngân Quốc lộ 4B, đạt tối thiểu 40% kế hoạch vốn đến 30/6",
     "DT-QL4B", "BQLDA-GT", 2, dt.date(2026, 6, 30), None,
     ("96/BC-BQLGT", dt.date(2026, 7, 10), dt.date(2026, 7, 10))),
    (1, "Hoàn thành chi trả cho các hộ còn lại của cao tốc Hữu Nghị – Chi Lăng",
     EXPRESSWAY_CODE, "TTPTQD", 5, dt.date(2026, 9, 30),
     {"project": EXPRESSWAY_CODE, "money_not_taken": True}, None),
    (1, "Báo cáo nguyên nhân chậm giải ngân, đề xuất điều chuyển vốn", "DL-MAUSON",
     "SNNMT", 4, dt.date(2026, 8, 31), None, None),
    (1, "Trình điều chỉnh quy hoạch chi tiết khu đô thị mới Mai Pha", "KDT-MAIPHA", "SXD", 3,
     dt.date(2026, 10, 15), None, None),
    (1, "Xử lý dứt điểm các hồ sơ quá hạn theo quy định trên toàn tỉnh", None, "TTPTQD", 5,
     dt.date(2026, 12, 31), {"overdue": True}, None),
    (1, "Tổng hợp đề xuất danh mục dự án trọng điểm năm 2027", None, "STC", 2,
     dt.date(2026, 12, 15), None, None),
)
MEETINGS = (
    (dt.date(2026, 4, 10), "Họp Ban Chỉ đạo quý I/2026", "85/TB-UBND", dt.date(2026, 4, 14)),
    (dt.date(2026, 7, 9), "Họp Ban Chỉ đạo quý II/2026", "176/TB-UBND", dt.date(2026, 7, 13)),
)


def _meetings(conn: Connection, ids: dict[str, int], units: dict[str, int],
              members: list[int]) -> None:
    meeting_ids = [_one(conn, "INSERT INTO committee_meetings (held_on, kind, title, chair_id,"
                        " notice_no, notice_date) VALUES (:h, 'quarterly', :t, :c, :n, :d)"
                        " RETURNING id", h=held, t=title, c=members[0], n=no, d=day)
                   for held, title, no, day in MEETINGS]
    seq: dict[int, int] = {}
    for meeting, body, code, unit, member, due, case_list, done in TASKS:
        mid = meeting_ids[meeting]
        seq[mid] = seq.get(mid, 0) + 1
        task = _one(conn, "INSERT INTO committee_tasks (meeting_id, seq, body, project_id,"
                    " unit_id, member_id, due_on, case_list, done_on, evidence_no,"
                    " evidence_date) VALUES (:m, :s, :b, :p, :u, :mem, :due,"
                    " CAST(:cl AS jsonb), :on, :ev, :evd) RETURNING id",
                    m=mid, s=seq[mid], b=body, p=ids[code] if code else None, u=units[unit],
                    mem=members[member] if member is not None else None, due=due,
                    cl=json.dumps(case_list) if case_list else None,
                    on=done[2] if done else None, ev=done[0] if done else None,
                    evd=done[1] if done else None)
        conn.execute(text("INSERT INTO committee_task_updates (task_id, kind, occurred_on, note)"
                          " VALUES (:t, 'progress', :on, 'Đã triển khai, đang thực hiện')"),
                     {"t": task, "on": MEETINGS[meeting][0] + dt.timedelta(days=20)})
        if done:
            conn.execute(text("INSERT INTO committee_task_updates (task_id, kind, occurred_on,"
                              " evidence_no, evidence_date, note) VALUES (:t, 'done', :on, :ev,"
                              " :evd, 'Đã hoàn thành')"),
                         {"t": task, "on": done[2], "ev": done[0], "evd": done[1]})
