"""Illustrative capital plans and disbursements (giải ngân) of the demo projects, 2025–2026.

Plans with their decisions (the expressway's 2025 plan revised down in August, the police
HQ's 2026 plan revised up in June), disbursements twice a month following an S-curve
(January of the next year included, the legal extension), one entry keyed twice and
reversed, the investors' committed schedules and a national average per month.
Figures are made up for the demo; they are plausible, not official.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis.demo.history import DEFAULT_TODAY
from gis.demo.projects import EXPRESSWAY_CODE, POLICE_HQ_CODE

B = 1_000_000_000  # one tỷ đồng


@dataclass(frozen=True)
class YearSpec:
    """One project-year: plan revisions, cumulative % disbursed per month-end, targets."""

    code: str
    year: int
    plans: tuple[tuple[int, str, dt.date], ...]
    cumulative_pct: tuple[float, ...]  # of the final plan, month ends (13th: 31 Jan next year)
    targets: tuple[float, ...]  # committed cumulative %, or VND when ``targets_in_vnd``
    committed_on: dt.date
    targets_in_vnd: bool = False


YEARS = (
    YearSpec(EXPRESSWAY_CODE, 2025,
             ((2450 * B, "2315/QĐ-UBND", dt.date(2024, 12, 19)),
              (2180 * B, "1480/QĐ-UBND", dt.date(2025, 8, 20))),
             (3, 7, 12, 19, 27, 36, 44, 52, 61, 70, 80, 92, 96),
             (4, 9, 15, 22, 30, 40, 50, 58, 66, 75, 85, 100), dt.date(2025, 1, 15)),
    YearSpec(EXPRESSWAY_CODE, 2026,
             ((1650 * B, "2480/QĐ-UBND", dt.date(2025, 12, 22)),),
             (2, 6, 11, 17, 25, 33, 41, 50, 57, 63, 70),
             (3, 8, 14, 21, 29, 38, 47, 55, 63, 72, 84, 100), dt.date(2026, 1, 20)),
    YearSpec(POLICE_HQ_CODE, 2025,
             ((180 * B, "2316/QĐ-UBND", dt.date(2024, 12, 19)),),
             (0, 0, 5, 10, 18, 25, 33, 42, 50, 58, 68, 85, 93),
             tuple(x * B for x in (0, 5, 12, 20, 30, 45, 60, 75, 95, 115, 140, 180)),
             dt.date(2025, 2, 10), targets_in_vnd=True),
    YearSpec(POLICE_HQ_CODE, 2026,
             ((120 * B, "2481/QĐ-UBND", dt.date(2025, 12, 22)),
              (150 * B, "905/QĐ-UBND", dt.date(2026, 6, 30))),
             (0, 3, 8, 14, 20, 26, 33, 40, 47, 52, 55),
             tuple(x * B for x in (0, 6, 12, 20, 30, 40, 52, 64, 78, 95, 120, 150)),
             dt.date(2026, 7, 10), targets_in_vnd=True),
)

# National average disbursement, % of the year's plan to each month's end (illustrative).
NATIONAL = {
    2025: (2.4, 5.6, 9.5, 15.6, 22.5, 32.1, 37.4, 46.3, 52.1, 56.1, 60.6, 83.7),
    2026: (2.9, 6.1, 10.4, 16.9, 24.2, 33.5, 39.8, 47.2, 54.0, 58.9),
}
FIRST_NATIONAL_JUNE_2025 = 31.5  # first published, revised to 32.1 a month later


def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def _entries(spec: YearSpec, today: dt.date) -> list[tuple[dt.date, int]]:
    """Twice-monthly disbursements adding up to each month's cumulative share."""
    final = spec.plans[-1][0]
    out: list[tuple[dt.date, int]] = []
    done = 0
    for i, share in enumerate(spec.cumulative_pct):
        year, month = (spec.year, i + 1) if i < 12 else (spec.year + 1, 1)
        target = int(round(final * share / 100, -9))
        step = target - done
        if step <= 0:
            continue
        half = int(round(step * 0.45, -6))
        for day, amount in ((12, half), (26, step - half)):
            on = dt.date(year, month, day)
            if on <= today and amount > 0:
                out.append((on, amount))
                done += amount
    return out


def insert_capital(conn: Connection, project_ids: dict[str, int],
                   today: dt.date = DEFAULT_TODAY) -> int:
    """Insert the demo's capital records; returns the number of disbursement entries."""
    n = 0
    for spec in YEARS:
        pid = project_ids[spec.code]
        for rev, (amount, number, on) in enumerate(spec.plans, start=1):
            conn.execute(text(
                "INSERT INTO capital_plans (project_id, year, revision, amount_vnd, decision_no,"
                " decision_date, note) VALUES (:p, :y, :r, :a, :n, :d, :note)"),
                {"p": pid, "y": spec.year, "r": rev, "a": amount, "n": number, "d": on,
                 "note": "Giao kế hoạch vốn (dữ liệu minh hoạ)" if rev == 1
                 else "Điều chỉnh kế hoạch vốn (dữ liệu minh hoạ)"})
        for month, value in enumerate(spec.targets, start=1):
            conn.execute(text(
                "INSERT INTO disbursement_targets (project_id, year, revision, month,"
                " cumulative_pct, cumulative_vnd, committed_on, note)"
                " VALUES (:p, :y, 1, :m, :pct, :vnd, :on, 'Chủ đầu tư cam kết')"),
                {"p": pid, "y": spec.year, "m": month,
                 "pct": None if spec.targets_in_vnd else value,
                 "vnd": int(value) if spec.targets_in_vnd else None, "on": spec.committed_on})
        for k, (on, amount) in enumerate(_entries(spec, today)):
            conn.execute(text(
                "INSERT INTO disbursements (project_id, year, amount_vnd, disbursed_on, source,"
                " voucher_no) VALUES (:p, :y, :a, :d, :s, :v)"),
                {"p": pid, "y": spec.year, "a": amount, "d": on,
                 "s": "Ngân sách trung ương" if spec.code == EXPRESSWAY_CODE
                 else "Ngân sách tỉnh", "v": f"GN-{spec.year}-{pid}-{k + 1:03d}"})
            n += 1
    # An entry keyed twice by mistake, then reversed.
    dup = conn.execute(text(
        "INSERT INTO disbursements (project_id, year, amount_vnd, disbursed_on, source,"
        " voucher_no, note) VALUES (:p, 2025, :a, '2025-05-26', 'Ngân sách trung ương',"
        " 'GN-2025-TRUNG', 'Nhập trùng chứng từ') RETURNING id"),
        {"p": project_ids[EXPRESSWAY_CODE], "a": 15 * B}).scalar_one()
    conn.execute(text(
        "INSERT INTO disbursements (project_id, year, amount_vnd, reverses_id, disbursed_on,"
        " source, voucher_no, note) VALUES (:p, 2025, :a, :r, '2025-05-28',"
        " 'Ngân sách trung ương', 'GN-2025-TRUNG', 'Đảo bút toán nhập trùng')"),
        {"p": project_ids[EXPRESSWAY_CODE], "a": -15 * B, "r": dup})
    for year, rates in NATIONAL.items():
        for month, rate in enumerate(rates, start=1):
            published = _month_end(year, month) + dt.timedelta(days=6)
            if published > today:
                continue
            revisions = [(rate, published)]
            if (year, month) == (2025, 6):
                revisions = [(FIRST_NATIONAL_JUNE_2025, published),
                             (rate, published + dt.timedelta(days=30))]
            for rev, (value, on) in enumerate(revisions, start=1):
                conn.execute(text(
                    "INSERT INTO national_disbursement_rates (year, month, revision, rate_pct,"
                    " published_on, source) VALUES (:y, :m, :r, :v, :on,"
                    " 'Bộ Tài chính (số liệu minh hoạ)')"),
                    {"y": year, "m": month, "r": rev, "v": value, "on": on})
    return n + 2
