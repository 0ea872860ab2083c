"""Deadlines of many cases at once, in SQL: the same rules as ``gis.workflow.deadlines``,
computed by the database with the ``gpmb_time_limit_due`` function of revision 0002, so a
project with tens of thousands of cases is one query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core.domain import CaseStep
from gis.workflow.deadlines import DeadlineKind

# Mirrors deadlines.pending_deadlines: the earliest open obligation per case (ties broken
# in DeadlineKind order). Steps without obligations are left out early.
_SQL = """
WITH c AS (
    SELECT c.id, c.parcel_id, c.step, c.resettlement_needed
    FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
    WHERE c.step IN ('notified', 'inventoried', 'plan_posted', 'plan_approved', 'decided', 'paid')
      AND (CAST(:project_id AS integer) IS NULL OR c.project_id = :project_id)
      AND (CAST(:commune AS text) IS NULL OR p.commune_code = :commune)
      AND (CAST(:case_id AS bigint) IS NULL OR c.id = :case_id)
), d AS (
    SELECT e.case_id,
        max(COALESCE(e.decision_date, e.occurred_on))
            FILTER (WHERE (e.step_from = 'not_started' AND e.step_to = 'notified')
                           OR e.kind = 'notice_renewed') AS notice_on,
        max(e.occurred_on)
            FILTER (WHERE e.step_from = 'inventoried' AND e.step_to = 'plan_posted') AS posted_on,
        max(COALESCE(e.decision_date, e.occurred_on))
            FILTER (WHERE e.step_from = 'plan_posted' AND e.step_to = 'plan_approved')
            AS approved_on
    FROM case_events e JOIN c ON c.id = e.case_id
    WHERE e.kind IN ('step', 'notice_renewed') AND e.occurred_on <= :today
    GROUP BY e.case_id
), r AS (
    SELECT a.case_id, min(a.allocated_on) AS ready_on
    FROM resettlement_allocations a JOIN c ON c.id = a.case_id
    WHERE a.released_on IS NULL
    GROUP BY a.case_id
)
SELECT c.id AS case_id, c.parcel_id, c.step, x.what, x.due, x.rule_version
FROM c JOIN d ON d.case_id = c.id LEFT JOIN r ON r.case_id = c.id
-- With resettlement needed, the decision is due 10 days after it is ready (none before).
CROSS JOIN LATERAL (SELECT CASE WHEN NOT c.resettlement_needed THEN d.approved_on
                                WHEN r.ready_on IS NOT NULL
                                THEN greatest(d.approved_on, r.ready_on) END
                           AS decision_from) AS s
CROSS JOIN LATERAL (
    SELECT v.what, v.due, gpmb_rule_version_on(v.start_on) AS rule_version
    FROM (VALUES
        (1, 'notice_expiry', d.notice_on,
         CASE WHEN c.step <> 'decided' THEN gpmb_time_limit_due(
             'notice_validity', NULL, d.notice_on, d.notice_on) END),
        (2, 'plan_approval', d.posted_on,
         CASE WHEN c.step = 'plan_posted' THEN gpmb_time_limit_due('plan_appraisal', NULL,
             gpmb_time_limit_due('plan_posting', NULL, d.posted_on, d.posted_on),
             d.posted_on) END),
        (3, 'recovery_decision', s.decision_from,
         CASE WHEN c.step IN ('plan_approved', 'paid') THEN gpmb_time_limit_due(
             'decision_after_approval', NULL, s.decision_from, s.decision_from) END),
        (4, 'payment', d.approved_on,
         CASE WHEN c.step IN ('plan_approved', 'decided') THEN gpmb_time_limit_due(
             'payment_after_approval', NULL, d.approved_on, d.approved_on) END)
    ) AS v (ord, what, start_on, due)
    WHERE v.due IS NOT NULL
    ORDER BY v.due, v.ord
    LIMIT 1
) x
WHERE NOT :overdue_only OR x.due < :today
ORDER BY x.due, c.id
LIMIT :limit
"""


@dataclass(frozen=True)
class CaseDeadline:
    """A case's next obligation (``days_left`` < 0: overdue by that many days)."""

    case_id: int
    parcel_id: int
    step: CaseStep
    what: DeadlineKind
    due_date: dt.date
    rule_version: str
    days_left: int

    @property
    def is_overdue(self) -> bool:
        """True when the due date has passed."""
        return self.days_left < 0


def case_deadlines(session: Session, today: dt.date, *, project_id: int | None = None,
                   commune_code: str | None = None, case_id: int | None = None,
                   overdue_only: bool = False, limit: int = 100_000) -> list[CaseDeadline]:
    """The next obligation of every open case (optionally of one project, commune or case),
    earliest due first."""
    rows = session.execute(text(_SQL), {
        "project_id": project_id, "commune": commune_code, "case_id": case_id,
        "today": today, "overdue_only": overdue_only, "limit": limit,
    }).all()
    return [CaseDeadline(r.case_id, r.parcel_id, CaseStep(r.step), DeadlineKind(r.what),
                         r.due, r.rule_version, (r.due - today).days) for r in rows]


def overdue_cases(session: Session, project_id: int, today: dt.date, *,
                  commune_code: str | None = None,
                  limit: int = 100_000) -> list[CaseDeadline]:
    """Cases of a project with an obligation due before ``today``, most overdue first."""
    return case_deadlines(session, today, project_id=project_id, commune_code=commune_code,
                          overdue_only=True, limit=limit)
