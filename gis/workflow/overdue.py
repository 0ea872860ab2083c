"""Deadlines of many cases at once, in SQL: the rule tables of ``gis.workflow.deadlines``
(``START_DATES``, ``OBLIGATIONS``) rendered as SQL, computed by the database with the
``gpmb_time_limit_due`` function of revision 0002, so a project with tens of thousands of
cases is one query. The same rendering is the body of ``gpmb_refresh_case_deadlines``
(revision 0015: the trigger-kept ``case_next_deadlines``) and the as-of deadlines of
``gis.progress.state``; a test holds the installed function to ``REFRESH_FUNCTION_SQL``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core.domain import CaseStep, EventKind
from gis.workflow.deadlines import (
    DECISION_FROM,
    OBLIGATIONS,
    OPEN_STEPS,
    START_DATES,
    DeadlineKind,
    Obligation,
)
from gis.workflow.facts import MOVES

DueSql = Callable[[str, str, str], str]
"""(rule key, SQL date a period runs from, SQL day whose rule version applies) → SQL date."""


def in_list(steps: Iterable[CaseStep]) -> str:
    """``('a', 'b')`` for a SQL ``IN`` over step names (enum values, never user input)."""
    order = list(CaseStep)
    return "(" + ", ".join(f"'{s.value}'" for s in sorted(set(steps), key=order.index)) + ")"


OPEN_STEPS_SQL = in_list(OPEN_STEPS)
"""SQL ``IN`` list of the steps at which an obligation can be open."""
START_EVENT_KINDS_SQL = "(" + ", ".join(
    f"'{k.value}'" for k in (EventKind.STEP, *(s.renewed_by for s in START_DATES
                                              if s.renewed_by is not None))) + ")"
"""SQL ``IN`` list of the event kinds the start dates are read from."""


def start_dates_sql(e: str) -> str:
    """SQL select-list items ``max(…) FILTER (…) AS notice_on, …``: each of ``START_DATES``
    aggregated over the case events aliased ``e`` (of the kinds ``START_EVENT_KINDS_SQL``)."""
    items = []
    for start in START_DATES:
        moves = " OR ".join(f"({e}.step_from = '{a.value}' AND {e}.step_to = '{b.value}')"
                            for a, targets in MOVES.items() for b, action in targets.items()
                            if action == start.action)
        if start.renewed_by is not None:
            moves = f"{moves} OR {e}.kind = '{start.renewed_by.value}'"
        day = (f"COALESCE({e}.decision_date, {e}.occurred_on)" if start.uses_decision_date
               else f"{e}.occurred_on")
        items.append(f"max({day}) FILTER (WHERE {moves}) AS {start.name}")
    return ",\n        ".join(items)


def decision_from_sql(approved_on: str, resettlement_needed: str, ready_on: str) -> str:
    """SQL of ``deadlines.decision_from``: the start of the recovery decision's period."""
    return (f"CASE WHEN NOT {resettlement_needed} THEN {approved_on} WHEN {ready_on} IS NOT NULL"
            f" AND {approved_on} IS NOT NULL THEN greatest({approved_on}, {ready_on}) END")


def function_due(key: str, start: str, rule_day: str) -> str:
    """``gpmb_time_limit_due(key, NULL, start, rule_day)`` (revision 0002)."""
    return f"gpmb_time_limit_due('{key}', NULL, {start}, {rule_day})"


def obligation_dues(step: str, starts: Mapping[str, str],
                    due: DueSql = function_due) -> list[tuple[Obligation, str]]:
    """Each obligation (in tie-break order) with the SQL of its due date: NULL unless the
    case's ``step`` is one it is open at and its start date (``starts[name]``) is known."""
    found = []
    for obligation in OBLIGATIONS:
        start = starts[obligation.start]
        until = start
        for key in obligation.keys:
            until = due(key.value, until, start)
        found.append((obligation, f"CASE WHEN {step} IN {in_list(obligation.steps)}"
                                  f" AND {start} IS NOT NULL THEN {until} END"))
    return found


def _next_deadline_sql(events_until: str) -> tuple[str, str]:
    """(CTEs ``d``, ``r`` after a CTE ``c`` of cases with ``id``, ``step``,
    ``resettlement_needed``; the FROM clause giving each case ``x.what``, ``x.due``,
    ``x.rule_version``: its earliest open obligation, ties in ``DeadlineKind`` order)."""
    ctes = f"""d AS (
    SELECT e.case_id,
        {start_dates_sql("e")}
    FROM case_events e JOIN c ON c.id = e.case_id
    WHERE e.kind IN {START_EVENT_KINDS_SQL}{events_until}
    GROUP BY e.case_id
), r AS (
    SELECT a.case_id, min(a.allocated_on) AS ready_on
    FROM resettlement_allocations a JOIN c ON c.id = a.case_id
    WHERE a.released_on IS NULL
    GROUP BY a.case_id
)"""
    starts = {s.name: f"d.{s.name}" for s in START_DATES} | {DECISION_FROM: "s.decision_from"}
    values = ",\n        ".join(
        f"({n}, '{o.what.value}', {starts[o.start]}, {due})"
        for n, (o, due) in enumerate(obligation_dues("c.step", starts), start=1))
    joins = f"""c JOIN d ON d.case_id = c.id LEFT JOIN r ON r.case_id = c.id
CROSS JOIN LATERAL (SELECT {decision_from_sql("d.approved_on", "c.resettlement_needed",
                                              "r.ready_on")} AS decision_from) AS s
CROSS JOIN LATERAL (
    SELECT v.what, v.due, gpmb_rule_version_on(v.start_on) AS rule_version
    FROM (VALUES
        {values}
    ) AS v (ord, what, start_on, due)
    WHERE v.due IS NOT NULL
    ORDER BY v.due, v.ord
    LIMIT 1
) x"""
    return ctes, joins


_CTES, _JOINS = _next_deadline_sql(" AND e.occurred_on <= :today")
_SQL = f"""
WITH c AS (
    SELECT c.id, c.parcel_id, c.step, c.resettlement_needed
    FROM clearance_cases c JOIN parcels p ON p.id = c.parcel_id
    WHERE c.step IN {OPEN_STEPS_SQL}
      AND (CAST(:project_id AS integer) IS NULL OR c.project_id = :project_id)
      AND (CAST(:commune AS text) IS NULL OR p.commune_code = :commune)
      AND (CAST(:case_id AS bigint) IS NULL OR c.id = :case_id)
), {_CTES}
SELECT c.id AS case_id, c.parcel_id, c.step, x.what, x.due, x.rule_version
FROM {_JOINS}
WHERE NOT :overdue_only OR x.due < :today
ORDER BY x.due, c.id
LIMIT :limit
"""

_REFRESH_CTES, _REFRESH_JOINS = _next_deadline_sql("")
REFRESH_FUNCTION_BODY = f"""
DECLARE
    n integer;
BEGIN
    IF p_ids IS NULL THEN
        DELETE FROM case_next_deadlines;
        p_ids := ARRAY(SELECT id FROM clearance_cases WHERE step IN {OPEN_STEPS_SQL});
    ELSIF cardinality(p_ids) = 0 THEN
        RETURN 0;
    ELSE
        DELETE FROM case_next_deadlines WHERE case_id = ANY (p_ids);
    END IF;
    INSERT INTO case_next_deadlines (case_id, what, due_on, rule_version)
    WITH ids AS (
        SELECT DISTINCT unnest(p_ids) AS id
    ), c AS (
        SELECT c.id, c.step, c.resettlement_needed
        FROM clearance_cases c JOIN ids ON ids.id = c.id
        WHERE c.step IN {OPEN_STEPS_SQL}
    ), {_REFRESH_CTES}
    SELECT c.id, x.what, x.due, x.rule_version
    FROM {_REFRESH_JOINS};
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
"""
"""The body of ``gpmb_refresh_case_deadlines``: recompute the next deadline of the given
cases (NULL: of every case) into ``case_next_deadlines``. Deadlines depend only on the step
history, the case's step, its resettlement allocation and the rule tables, never on today:
the workflow refuses events dated in the future, so "overdue" is just ``due_on < today``."""
REFRESH_FUNCTION_SQL = ("CREATE OR REPLACE FUNCTION gpmb_refresh_case_deadlines(p_ids bigint[])"
                        f" RETURNS integer LANGUAGE plpgsql AS $${REFRESH_FUNCTION_BODY}$$;")
"""Installs ``REFRESH_FUNCTION_BODY`` (revision 0015; a later change of the rule tables
needs a revision that runs this again)."""


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
