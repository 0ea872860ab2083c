-- GPMB schema, revision 0007: each open case's next legal deadline, kept up to date by
-- triggers, so the map's vector tiles flag overdue cases with a primary-key join
-- (due_on < today) instead of receiving the list of overdue case ids on every request.
--
-- The rules are those of gis.workflow.overdue (the earliest open obligation of a case,
-- ties broken in DeadlineKind order). Deadlines depend only on the step history, the
-- case's step, its resettlement allocation and the rule tables, never on today: the
-- workflow refuses events dated in the future, so "overdue" is just due_on < today.

CREATE TABLE case_next_deadlines (
    case_id      bigint PRIMARY KEY REFERENCES clearance_cases (id) ON DELETE CASCADE,
    what         text   NOT NULL CHECK (what IN ('notice_expiry', 'plan_approval',
                                                  'recovery_decision', 'payment')),
    due_on       date   NOT NULL,
    rule_version text   REFERENCES rule_sets (version)
);
CREATE INDEX ix_case_next_deadlines_due ON case_next_deadlines (due_on);

-- A project's tile joins its cases to the parcels in the tile: from this index alone.
CREATE INDEX ix_clearance_cases_project_parcel ON clearance_cases (project_id, parcel_id)
    INCLUDE (id, step);

-- Recompute the next deadline of the given cases (NULL: of every case).
CREATE FUNCTION gpmb_refresh_case_deadlines(p_ids bigint[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    IF p_ids IS NULL THEN
        DELETE FROM case_next_deadlines;
        p_ids := ARRAY(SELECT id FROM clearance_cases
                       WHERE step IN ('notified', 'inventoried', 'plan_posted',
                                      'plan_approved', 'decided', 'paid'));
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
        WHERE c.step IN ('notified', 'inventoried', 'plan_posted', 'plan_approved',
                         'decided', 'paid')
    ), d AS (
        SELECT e.case_id,
            max(COALESCE(e.decision_date, e.occurred_on))
                FILTER (WHERE e.step_from = 'not_started' AND e.step_to = 'notified')
                AS notice_on,
            max(e.occurred_on)
                FILTER (WHERE e.step_from = 'inventoried' AND e.step_to = 'plan_posted')
                AS posted_on,
            max(COALESCE(e.decision_date, e.occurred_on))
                FILTER (WHERE e.step_from = 'plan_posted' AND e.step_to = 'plan_approved')
                AS approved_on
        FROM case_events e JOIN c ON c.id = e.case_id
        WHERE e.kind = 'step'
        GROUP BY e.case_id
    ), r AS (
        SELECT a.case_id, min(a.allocated_on) AS ready_on
        FROM resettlement_allocations a JOIN c ON c.id = a.case_id
        WHERE a.released_on IS NULL
        GROUP BY a.case_id
    )
    SELECT c.id, x.what, x.due, x.rule_version
    FROM c JOIN d ON d.case_id = c.id LEFT JOIN r ON r.case_id = c.id
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
    ) x;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

-- New step events (payments and notes do not move deadlines).
CREATE FUNCTION gpmb_case_deadlines_after_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gpmb_refresh_case_deadlines(
        ARRAY(SELECT DISTINCT case_id FROM new_rows WHERE kind = 'step'));
    RETURN NULL;
END $$;
CREATE TRIGGER tr_case_events_deadlines AFTER INSERT ON case_events
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_case_deadlines_after_events();

-- A case's step or its need for resettlement changed.
CREATE FUNCTION gpmb_case_deadlines_after_cases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gpmb_refresh_case_deadlines(ARRAY(
        SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.step IS DISTINCT FROM o.step
           OR n.resettlement_needed IS DISTINCT FROM o.resettlement_needed));
    RETURN NULL;
END $$;
CREATE TRIGGER tr_clearance_cases_deadlines AFTER UPDATE ON clearance_cases
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_case_deadlines_after_cases();

-- A resettlement plot allocated or released (the decision is due once it is ready).
CREATE FUNCTION gpmb_case_deadlines_after_allocations() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM gpmb_refresh_case_deadlines(ARRAY(SELECT DISTINCT case_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM gpmb_refresh_case_deadlines(ARRAY(SELECT DISTINCT case_id FROM old_rows));
    ELSE
        PERFORM gpmb_refresh_case_deadlines(ARRAY(
            SELECT case_id FROM new_rows UNION SELECT case_id FROM old_rows));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER tr_resettlement_allocations_deadlines_ins AFTER INSERT
    ON resettlement_allocations REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_case_deadlines_after_allocations();
CREATE TRIGGER tr_resettlement_allocations_deadlines_upd AFTER UPDATE
    ON resettlement_allocations REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_case_deadlines_after_allocations();
CREATE TRIGGER tr_resettlement_allocations_deadlines_del AFTER DELETE
    ON resettlement_allocations REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_case_deadlines_after_allocations();

-- A new rule set or time limit (append-only tables) can move every deadline.
CREATE FUNCTION gpmb_case_deadlines_after_rules() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM new_rows) THEN
        PERFORM gpmb_refresh_case_deadlines(NULL);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER tr_rule_sets_deadlines AFTER INSERT ON rule_sets
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_case_deadlines_after_rules();
CREATE TRIGGER tr_time_limits_deadlines AFTER INSERT ON time_limits
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_case_deadlines_after_rules();

SELECT gpmb_refresh_case_deadlines(NULL);
