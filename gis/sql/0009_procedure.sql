-- GPMB schema, revision 0009: the procedure the province's inspection checks — each
-- step's documents, the issuing authority, consultation, renewed notices, recorded
-- exceptions, the complaint register, the enforcement blackout calendar and new limits.
-- Frozen once landed. See docs/procedure.md for the articles behind each rule.

-- New kinds of history entries. (ADD VALUE inside the migration's transaction: the new
-- labels are not used before it commits.)
ALTER TYPE event_kind ADD VALUE IF NOT EXISTS 'consultation';
ALTER TYPE event_kind ADD VALUE IF NOT EXISTS 'notice_renewed';
ALTER TYPE event_kind ADD VALUE IF NOT EXISTS 'recovery_exception';
ALTER TYPE event_kind ADD VALUE IF NOT EXISTS 'owner_complied';

-- Who issued a decision: the level of the People's Committee and its name.
ALTER TABLE case_events
    ADD COLUMN issuer_level text CHECK (issuer_level IN ('province', 'district', 'commune')),
    ADD COLUMN issuer_unit  text CHECK (btrim(issuer_unit) <> ''),
    ADD CONSTRAINT ck_case_events_issuer CHECK ((issuer_level IS NULL) = (issuer_unit IS NULL));

-- Existing free-text signers move forward: the issuer is read from "… UBND tỉnh/huyện/xã
-- NAME" when the text says so; the signer text itself is kept as it was. The history is
-- append-only, so the guard is lifted for this one backfill of new columns only.
ALTER TABLE case_events DISABLE TRIGGER tr_case_events_append_only;
UPDATE case_events e SET issuer_level = m.level, issuer_unit = m.unit
FROM (
    SELECT id,
        CASE lower(x[1]) WHEN 'tỉnh' THEN 'province' WHEN 'huyện' THEN 'district'
             WHEN 'thành phố' THEN 'district' WHEN 'thị xã' THEN 'district'
             ELSE 'commune' END AS level,
        'UBND ' || x[1] || ' ' || btrim(x[2]) AS unit
    FROM (SELECT id, regexp_match(signer,
              'UBND\s+(tỉnh|huyện|thành phố|thị xã|xã|phường|thị trấn)\s+(.+)$', 'i') AS x
          FROM case_events WHERE signer IS NOT NULL) s
    WHERE x IS NOT NULL
) m
WHERE m.id = e.id;
ALTER TABLE case_events ENABLE TRIGGER tr_case_events_append_only;

-- An owner complying after the enforcement decision (Art. 89) is a stage of its own.
ALTER TABLE clearance_cases DROP CONSTRAINT clearance_cases_enforcement_stage_check;
ALTER TABLE clearance_cases ADD CONSTRAINT clearance_cases_enforcement_stage_check
    CHECK (enforcement_stage IN ('decided', 'executed', 'complied'));

-- The documents a step or side event rests on, beside its main document
-- (case_events.decision_no / decision_date): the notice's delivery proof, the posting
-- end minutes, the e-portal posting, the persuasion, posting and delivery records of an
-- enforcement, the payee-signed receipt…
CREATE TABLE event_documents (
    id        bigserial PRIMARY KEY,
    event_id  bigint NOT NULL REFERENCES case_events (id),
    case_id   bigint NOT NULL REFERENCES clearance_cases (id),
    kind      text   NOT NULL CHECK (kind ~ '^[a-z_]{3,40}$'),
    doc_no    text   NOT NULL CHECK (btrim(doc_no) <> ''),
    doc_date  date   NOT NULL,
    signed_by text   CHECK (btrim(signed_by) <> ''),
    CONSTRAINT uq_event_documents_kind UNIQUE (event_id, kind)
);
CREATE INDEX ix_event_documents_case ON event_documents (case_id);
CREATE TRIGGER tr_event_documents_append_only BEFORE UPDATE OR DELETE ON event_documents
    FOR EACH ROW EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_event_documents_no_truncate BEFORE TRUNCATE ON event_documents
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_forbid_change();

-- Exceptions that let a recovery decision come early (Land Law 2024 Art. 85(2)) or
-- before the plan's approval / the resettlement (Resolution 254/2025/QH15 Art. 3.3).
CREATE TABLE recovery_exceptions (
    id            bigserial PRIMARY KEY,
    event_id      bigint NOT NULL UNIQUE REFERENCES case_events (id),
    case_id       bigint NOT NULL REFERENCES clearance_cases (id),
    kind          text   NOT NULL CHECK (kind IN (
        'early_consent', 'before_plan_approval', 'before_resettlement')),
    project_kind  text   CHECK (project_kind IN (
        'national_important', 'urgent_public_investment', 'onsite_resettlement',
        'main_route_resettlement', 'other')),
    consent_pct   numeric(5, 2) CHECK (consent_pct BETWEEN 0 AND 100),
    granted_on    date   NOT NULL
);
CREATE INDEX ix_recovery_exceptions_case ON recovery_exceptions (case_id);
CREATE TRIGGER tr_recovery_exceptions_append_only BEFORE UPDATE OR DELETE
    ON recovery_exceptions FOR EACH ROW EXECUTE FUNCTION gpmb_forbid_change();

-- The complaint register: every complaint received, late ones too (flagged), and its
-- outcome. Only the outcome may be filled in, once.
CREATE TABLE complaints (
    id                   bigserial PRIMARY KEY,
    case_id              bigint  NOT NULL REFERENCES clearance_cases (id),
    filed_event_id       bigint  NOT NULL UNIQUE REFERENCES case_events (id),
    complainant          text    CHECK (btrim(complainant) <> ''),
    received_on          date    NOT NULL,
    against              text    NOT NULL CHECK (btrim(against) <> ''),
    decision_received_on date    NOT NULL CHECK (decision_received_on <= received_on),
    round                smallint NOT NULL CHECK (round IN (1, 2)),
    due_on               date    NOT NULL,
    late_days            integer NOT NULL CHECK (late_days >= 0),
    is_late              boolean GENERATED ALWAYS AS (late_days > 0) STORED,
    rule_version         text    NOT NULL REFERENCES rule_sets (version),
    outcome              text    CHECK (outcome IN (
        'upheld', 'partly_upheld', 'rejected', 'withdrawn', 'not_accepted')),
    outcome_on           date,
    resolved_event_id    bigint  UNIQUE REFERENCES case_events (id),
    CONSTRAINT ck_complaints_outcome CHECK (
        (outcome IS NULL) = (outcome_on IS NULL)
        AND (outcome IS NULL) = (resolved_event_id IS NULL)),
    CONSTRAINT ck_complaints_outcome_after CHECK (outcome_on >= received_on)
);
CREATE INDEX ix_complaints_case ON complaints (case_id);

CREATE FUNCTION gpmb_complaints_outcome_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.outcome IS NOT NULL
       OR (to_jsonb(NEW) - ARRAY['outcome', 'outcome_on', 'resolved_event_id', 'is_late'])
          IS DISTINCT FROM
          (to_jsonb(OLD) - ARRAY['outcome', 'outcome_on', 'resolved_event_id', 'is_late'])
    THEN
        RAISE EXCEPTION 'complaints: only the outcome may be recorded, once'
            USING ERRCODE = 'GP001';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER tr_complaints_outcome_once BEFORE UPDATE OR DELETE ON complaints
    FOR EACH ROW EXECUTE FUNCTION gpmb_complaints_outcome_once();
CREATE TRIGGER tr_complaints_no_truncate BEFORE TRUNCATE ON complaints
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_audit AFTER UPDATE OR DELETE ON complaints
    FOR EACH ROW EXECUTE FUNCTION gpmb_audit('id');

-- Days no enforcement may start beside the statutory ones (nights, holidays, Tết): the
-- festivals of Lạng Sơn's ethnic communities and days the province blacks out by hand.
-- commune_code NULL: the whole province.
CREATE TABLE enforcement_blackouts (
    id           serial PRIMARY KEY,
    first_day    date NOT NULL,
    last_day     date NOT NULL,
    name_vi      text NOT NULL CHECK (btrim(name_vi) <> ''),
    kind         text NOT NULL CHECK (kind IN ('festival', 'manual')),
    commune_code varchar(5) REFERENCES communes (code),
    created_by   integer REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_enforcement_blackouts_days CHECK (last_day >= first_day)
);
CREATE INDEX ix_enforcement_blackouts_days ON enforcement_blackouts (first_day, last_day);
CREATE TRIGGER tr_audit AFTER UPDATE OR DELETE ON enforcement_blackouts
    FOR EACH ROW EXECUTE FUNCTION gpmb_audit('id');

-- Lễ hội Kỳ Cùng – Tả Phủ (22–27 tháng Giêng âm lịch), the province's festival; the
-- communes' Lồng tồng and other festivals are added by the office (API / page).
INSERT INTO enforcement_blackouts (first_day, last_day, name_vi, kind) VALUES
    ('2025-02-19', '2025-02-24', 'Lễ hội Kỳ Cùng – Tả Phủ (22–27 tháng Giêng âm lịch)', 'festival'),
    ('2026-03-10', '2026-03-15', 'Lễ hội Kỳ Cùng – Tả Phủ (22–27 tháng Giêng âm lịch)', 'festival'),
    ('2027-02-27', '2027-03-04', 'Lễ hội Kỳ Cùng – Tả Phủ (22–27 tháng Giêng âm lịch)', 'festival');

-- New time limits: added to the existing rule sets (append-only: new rows, no edits).
ALTER TABLE time_limits DROP CONSTRAINT time_limits_rule_key_check;
ALTER TABLE time_limits ADD CONSTRAINT time_limits_rule_key_check CHECK (rule_key IN (
    'notice_min', 'notice_validity', 'plan_posting', 'plan_appraisal',
    'decision_after_approval', 'payment_after_approval',
    'complaint_first', 'complaint_second', 'complaint_second_remote',
    'consultation_within', 'inventory_persuasion', 'handover_after_compliance'));

INSERT INTO time_limits (rule_version, rule_key, land_category, amount, unit, legal_reference)
VALUES
    ('LD2024', 'inventory_persuasion', NULL, 10, 'day',
     'Luật Đất đai 2024, Điều 88 (vận động, thuyết phục 10 ngày trước kiểm đếm bắt buộc)'),
    ('NQ254-2026', 'inventory_persuasion', NULL, 10, 'day',
     'Luật Đất đai 2024, Điều 88 (vận động, thuyết phục 10 ngày trước kiểm đếm bắt buộc)'),
    ('LD2024', 'handover_after_compliance', NULL, 30, 'day',
     'Luật Đất đai 2024, Điều 89 (chấp hành sau quyết định cưỡng chế: bàn giao trong 30 ngày)'),
    ('NQ254-2026', 'handover_after_compliance', NULL, 30, 'day',
     'Luật Đất đai 2024, Điều 89 (chấp hành sau quyết định cưỡng chế: bàn giao trong 30 ngày)'),
    ('NQ254-2026', 'consultation_within', NULL, 30, 'day',
     'Nghị quyết 254/2025/QH15, Điều 3 (đối thoại trong 30 ngày sau khi hết niêm yết)');

-- A renewed notice restarts the notice's 12 months: the next deadlines (revision 0007)
-- read the latest notice, first or renewed. (Same function as 0007 otherwise.)
CREATE OR REPLACE FUNCTION gpmb_refresh_case_deadlines(p_ids bigint[]) RETURNS integer
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
                FILTER (WHERE (e.step_from = 'not_started' AND e.step_to = 'notified')
                               OR e.kind = 'notice_renewed') AS notice_on,
            max(e.occurred_on)
                FILTER (WHERE e.step_from = 'inventoried' AND e.step_to = 'plan_posted')
                AS posted_on,
            max(COALESCE(e.decision_date, e.occurred_on))
                FILTER (WHERE e.step_from = 'plan_posted' AND e.step_to = 'plan_approved')
                AS approved_on
        FROM case_events e JOIN c ON c.id = e.case_id
        WHERE e.kind IN ('step', 'notice_renewed')
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

CREATE OR REPLACE FUNCTION gpmb_case_deadlines_after_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gpmb_refresh_case_deadlines(
        ARRAY(SELECT DISTINCT case_id FROM new_rows WHERE kind IN ('step', 'notice_renewed')));
    RETURN NULL;
END $$;
