"""Every key project's clearance and disbursement by day, in a few queries, for the board
and the pack's month-end series.

Clearance: a case counts as handed over from the day of its first step into a handed-over
step, a household as handed over from the first day one of its cases in the project reached
a handed-over step; a household compensation record (of a case in the project) counts as
paid on the days its payees had received or had deposited all of its approved amount (an
amending decision may make it unpaid again) — the same reading as ``gis.progress.timeline``'s
S-curve, so a month's point equals ``gis.progress.figures`` replayed to that month's end (a
test holds them together). Disbursement: the ledger (reversals included) to each month's end and
the capital plan revision in force on the day, as in ``gis.capital.figures``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.progress.state import HANDED, in_list
from gis.progress.timeline import paid_household_changes

_CLEARANCE_SQL = f"""
WITH ev AS (
    SELECT c.project_id, c.parcel_id, c.recovered_area_m2, min(e.occurred_on) AS handed_on
    FROM clearance_cases c JOIN case_events e ON e.case_id = c.id
    WHERE c.project_id = ANY(:ids) AND e.kind = 'step' AND e.occurred_on <= :as_of
      AND e.step_to IN {in_list(HANDED)}
    GROUP BY c.id, c.project_id, c.parcel_id, c.recovered_area_m2
), hh AS (
    SELECT ev.project_id, u.land_user_id, min(ev.handed_on) AS handed_on
    FROM ev JOIN parcel_land_users u ON u.parcel_id = ev.parcel_id
    GROUP BY ev.project_id, u.land_user_id
)
SELECT 'area' AS what, project_id, handed_on AS day, sum(recovered_area_m2) AS amount
    FROM ev GROUP BY project_id, handed_on
UNION ALL
SELECT 'handed', project_id, handed_on, count(*) FROM hh GROUP BY project_id, handed_on
"""

_RECORDS_SQL = """
WITH hh AS (
    -- Household records counted in a project: those of its cases, as in the figures.
    SELECT DISTINCT c.project_id, hc.household_id
    FROM compensation_household_cases hc JOIN clearance_cases c ON c.id = hc.case_id
    WHERE c.project_id = ANY(:ids)
)
SELECT 'decision' AS what, hh.project_id, d.decision_date AS on_day, d.total_vnd AS amount,
       d.household_id, d.id AS decision_id, d.amends_decision_id AS amends_id
FROM compensation_decisions d JOIN hh ON hh.household_id = d.household_id
WHERE d.decision_date <= :as_of
UNION ALL
SELECT 'entry', hh.project_id, y.paid_on, y.amount_vnd, y.household_id, NULL, NULL
FROM payments y JOIN hh ON hh.household_id = y.household_id WHERE y.paid_on <= :as_of
"""

_LEDGER_SQL = """
SELECT project_id, disbursed_on AS day, sum(amount_vnd) AS amount FROM disbursements
WHERE project_id = ANY(:ids) AND year = :year AND disbursed_on <= :as_of
GROUP BY project_id, disbursed_on
"""

_PLAN_SQL = """
SELECT DISTINCT ON (project_id) project_id, amount_vnd FROM capital_plans
WHERE project_id = ANY(:ids) AND year = :year AND decision_date <= :as_of
ORDER BY project_id, revision DESC
"""


Days = dict[dt.date, float]


@dataclass(frozen=True)
class Clearance:
    """One project's clearance by day: area handed over (m²) and households handed over,
    each counted on the day it happened; households paid as the day's change (+1 when a
    record becomes paid, −1 when it stops being paid), so ``upto`` gives the count."""

    area_m2: Days
    households_paid: Days
    households_handed_over: Days


@dataclass(frozen=True)
class Money:
    """One project's year: the capital plan in force and the ledger by day."""

    plan_vnd: int
    ledger: dict[dt.date, int]

    def disbursed_to(self, day: dt.date) -> int:
        """Disbursed (reversals included) to the end of ``day``."""
        return sum(v for d, v in self.ledger.items() if d <= day)


def upto(values: Days, day: dt.date) -> float:
    """The sum of the amounts dated on or before ``day``."""
    return sum(v for d, v in values.items() if d <= day)


def clearance_by_day(session: Session, as_of: dt.date, project_ids: list[int]
                     ) -> dict[int, Clearance]:
    """Per project, the clearance of each day up to ``as_of`` (two queries)."""
    params = {"ids": project_ids, "as_of": as_of}
    parts: dict[str, dict[int, Days]] = defaultdict(lambda: defaultdict(dict))
    for what, pid, day, amount in session.execute(text(_CLEARANCE_SQL), params):
        parts[what][pid][day] = float(amount)
    records: dict[int, list[Any]] = defaultdict(list)
    for row in session.execute(text(_RECORDS_SQL), params):
        records[row.project_id].append(row)
    for pid, rows in records.items():
        paid = parts["paid"][pid]
        for day, change in paid_household_changes(rows):
            paid[day] = paid.get(day, 0.0) + change
    return {pid: Clearance(parts["area"].get(pid, {}), parts["paid"].get(pid, {}),
                           parts["handed"].get(pid, {})) for pid in project_ids}


def money_by_day(session: Session, year: int, as_of: dt.date, project_ids: list[int]
                 ) -> dict[int, Money]:
    """Per project, the ``year``'s plan in force on ``as_of`` and the ledger to it (two
    queries)."""
    params = {"ids": project_ids, "as_of": as_of, "year": year}
    ledger: dict[int, dict[dt.date, int]] = defaultdict(dict)
    for pid, day, amount in session.execute(text(_LEDGER_SQL), params):
        ledger[pid][day] = int(amount)
    plans = {int(pid): int(v) for pid, v in session.execute(text(_PLAN_SQL), params)}
    return {pid: Money(plans.get(pid, 0), ledger.get(pid, {})) for pid in project_ids}
