-- GPMB schema, revision 0002: versioned legal time limits. Frozen: later changes go into
-- new revisions (a new law is a new rule set, never an edit of an old one).

CREATE TABLE rule_sets (
    version        text PRIMARY KEY CHECK (version ~ '^[A-Za-z0-9][A-Za-z0-9._-]*$'),
    effective_from date NOT NULL UNIQUE,
    title_vi       text NOT NULL CHECK (btrim(title_vi) <> ''),
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE time_limits (
    id              serial PRIMARY KEY,
    rule_version    text       NOT NULL REFERENCES rule_sets (version),
    rule_key        text       NOT NULL CHECK (rule_key IN (
        'notice_min', 'notice_validity', 'plan_posting', 'plan_appraisal',
        'decision_after_approval', 'payment_after_approval',
        'complaint_first', 'complaint_second', 'complaint_second_remote')),
    land_category   land_group CHECK (land_category IS DISTINCT FROM 'unused'),
    amount          integer    NOT NULL CHECK (amount > 0),
    unit            text       NOT NULL DEFAULT 'day' CHECK (unit IN ('day', 'month')),
    legal_reference text       NOT NULL CHECK (btrim(legal_reference) <> ''),
    CONSTRAINT uq_time_limits_rule UNIQUE NULLS NOT DISTINCT (rule_version, rule_key, land_category)
);

-- Decisions keep the rule version they were checked against; it must exist.
ALTER TABLE case_events ADD CONSTRAINT fk_case_events_rule_version_rule_sets
    FOREIGN KEY (rule_version) REFERENCES rule_sets (version);

-- Rules are history too: recorded decisions refer to them.
CREATE TRIGGER tr_rule_sets_append_only BEFORE UPDATE OR DELETE ON rule_sets
    FOR EACH ROW EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_rule_sets_no_truncate BEFORE TRUNCATE ON rule_sets
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_time_limits_append_only BEFORE UPDATE OR DELETE ON time_limits
    FOR EACH ROW EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_time_limits_no_truncate BEFORE TRUNCATE ON time_limits
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_forbid_change();

-- The rule version in force on a day (NULL before the first one).
CREATE FUNCTION gpmb_rule_version_on(on_day date) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT version FROM rule_sets WHERE effective_from <= on_day
    ORDER BY effective_from DESC LIMIT 1
$$;

-- The last day of a period of kind p_key starting on p_start, under the rule version in
-- force on p_rule_day, for land group p_group (NULL: the general limit). Unused land takes
-- the agricultural periods, as gis.workflow.rules.land_category does.
CREATE FUNCTION gpmb_time_limit_due(p_key text, p_group land_group, p_start date,
                                    p_rule_day date) RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT (p_start + CASE t.unit WHEN 'month' THEN make_interval(months => t.amount)
                                  ELSE make_interval(days => t.amount) END)::date
    FROM time_limits t
    WHERE t.rule_version = gpmb_rule_version_on(p_rule_day)
      AND t.rule_key = p_key
      AND (t.land_category IS NULL OR t.land_category =
           CASE WHEN p_group = 'non_agricultural' THEN 'non_agricultural'::land_group
                WHEN p_group IS NULL THEN NULL ELSE 'agricultural'::land_group END)
    ORDER BY t.land_category NULLS LAST
    LIMIT 1
$$;

INSERT INTO rule_sets (version, effective_from, title_vi) VALUES
    ('LD2024', '2024-01-01', 'Luật Đất đai 2024; Nghị định 88/2024/NĐ-CP, 102/2024/NĐ-CP'),
    ('NQ254-2026', '2026-01-01',
     'Nghị quyết 254/2025/QH15 (rút ngắn thời hạn thông báo và niêm yết từ 01/01/2026)');

INSERT INTO time_limits (rule_version, rule_key, land_category, amount, unit, legal_reference)
SELECT v.version, c.rule_key, c.land_category::land_group, c.amount, c.unit, c.legal_reference
FROM (VALUES ('LD2024'), ('NQ254-2026')) AS v (version)
CROSS JOIN (VALUES
    ('notice_validity', NULL, 12, 'month', 'Luật Đất đai 2024, Điều 85'),
    ('plan_appraisal', NULL, 30, 'day', 'Luật Đất đai 2024, Điều 87; Nghị định 88/2024/NĐ-CP'),
    ('decision_after_approval', NULL, 10, 'day', 'Luật Đất đai 2024, Điều 87'),
    ('payment_after_approval', NULL, 30, 'day', 'Luật Đất đai 2024, Điều 94'),
    ('complaint_first', NULL, 90, 'day', 'Luật Khiếu nại 2011, Điều 9'),
    ('complaint_second', NULL, 30, 'day', 'Luật Khiếu nại 2011, Điều 33'),
    ('complaint_second_remote', NULL, 45, 'day',
     'Luật Khiếu nại 2011, Điều 33 (vùng sâu, vùng xa, đi lại khó khăn)')
) AS c (rule_key, land_category, amount, unit, legal_reference);

INSERT INTO time_limits (rule_version, rule_key, land_category, amount, unit, legal_reference)
VALUES
    ('LD2024', 'notice_min', 'agricultural', 90, 'day', 'Luật Đất đai 2024, Điều 85'),
    ('LD2024', 'notice_min', 'non_agricultural', 180, 'day', 'Luật Đất đai 2024, Điều 85'),
    ('LD2024', 'plan_posting', NULL, 30, 'day', 'Luật Đất đai 2024, Điều 87'),
    ('NQ254-2026', 'notice_min', 'agricultural', 60, 'day', 'Nghị quyết 254/2025/QH15'),
    ('NQ254-2026', 'notice_min', 'non_agricultural', 120, 'day', 'Nghị quyết 254/2025/QH15'),
    ('NQ254-2026', 'plan_posting', NULL, 10, 'day', 'Nghị quyết 254/2025/QH15');
