-- GPMB schema, revision 0008: compensation per household (hồ sơ bồi thường theo hộ).
-- Frozen once landed. A household record is one land user (household or organisation)
-- within one project, covering all of its affected cases; its approved plan is a set of
-- line items, each belonging to an approval decision; payments name a payee.

CREATE TYPE compensation_item_kind AS ENUM (
    'land', 'structures', 'crops', 'support_life', 'support_job', 'support_rent',
    'support_other', 'resettlement', 'early_handover_bonus');
CREATE TYPE compensation_decision_kind AS ENUM ('approval', 'amendment', 'supplement', 'migrated');
CREATE TYPE payee_kind AS ENUM ('land_user', 'authorised', 'heir');
CREATE TYPE ledger_kind AS ENUM ('payment', 'deposit');

CREATE TABLE compensation_households (
    id           bigserial PRIMARY KEY,
    project_id   integer NOT NULL REFERENCES projects (id),
    land_user_id bigint  NOT NULL REFERENCES land_users (id),
    needs_review boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    version      integer NOT NULL DEFAULT 1 CHECK (version > 0),
    CONSTRAINT uq_compensation_households_project_id UNIQUE (project_id, land_user_id)
);
CREATE INDEX ix_compensation_households_land_user ON compensation_households (land_user_id);

CREATE TABLE compensation_household_cases (
    household_id bigint NOT NULL REFERENCES compensation_households (id),
    case_id      bigint NOT NULL REFERENCES clearance_cases (id),
    PRIMARY KEY (household_id, case_id)
);
CREATE INDEX ix_compensation_household_cases_case ON compensation_household_cases (case_id);

CREATE TABLE compensation_decisions (
    id                 bigserial PRIMARY KEY,
    household_id       bigint  NOT NULL REFERENCES compensation_households (id),
    kind               compensation_decision_kind NOT NULL,
    amends_decision_id bigint  UNIQUE REFERENCES compensation_decisions (id),
    decision_no        text    NOT NULL CHECK (btrim(decision_no) <> ''),
    decision_date      date    NOT NULL,
    signer             text    NOT NULL CHECK (btrim(signer) <> ''),
    total_vnd          bigint  NOT NULL CHECK (total_vnd >= 0),
    zero_ground        text    CHECK (zero_ground IS NULL OR btrim(zero_ground) <> ''),
    needs_review       boolean NOT NULL DEFAULT false,
    note               text,
    recorded_by        integer REFERENCES users (id),
    recorded_at        timestamptz NOT NULL DEFAULT now(),
    idempotency_key    text    UNIQUE,
    CONSTRAINT ck_compensation_decisions_amends
        CHECK ((kind = 'amendment') = (amends_decision_id IS NOT NULL)),
    -- A plan of 0 VND is a decision too, and says on what legal ground.
    CONSTRAINT ck_compensation_decisions_zero
        CHECK (total_vnd > 0 OR zero_ground IS NOT NULL OR needs_review)
);
CREATE INDEX ix_compensation_decisions_household
    ON compensation_decisions (household_id, decision_date, id);

CREATE TABLE compensation_line_items (
    id               bigserial PRIMARY KEY,
    decision_id      bigint  NOT NULL REFERENCES compensation_decisions (id),
    case_id          bigint  NOT NULL REFERENCES clearance_cases (id),
    kind             compensation_item_kind NOT NULL,
    description      text    NOT NULL CHECK (btrim(description) <> ''),
    quantity         numeric(16, 3) NOT NULL CHECK (quantity >= 0),
    unit             text    NOT NULL CHECK (btrim(unit) <> ''),
    unit_price_vnd   bigint  NOT NULL CHECK (unit_price_vnd >= 0),
    amount_vnd       bigint  NOT NULL CHECK (amount_vnd >= 0),
    legal_ground     text    NOT NULL CHECK (btrim(legal_ground) <> ''),
    created_on       date,
    illegal          boolean NOT NULL DEFAULT false,
    exception_ground text    CHECK (exception_ground IS NULL OR btrim(exception_ground) <> ''),
    -- amount = quantity × unit price, rounded half up to the đồng (docs/compensation.md).
    CONSTRAINT ck_compensation_line_items_amount
        CHECK (amount_vnd = round(quantity * unit_price_vnd)),
    CONSTRAINT ck_compensation_line_items_illegal
        CHECK (NOT illegal OR amount_vnd = 0 OR exception_ground IS NOT NULL)
);
CREATE INDEX ix_compensation_line_items_decision ON compensation_line_items (decision_id);
CREATE INDEX ix_compensation_line_items_case ON compensation_line_items (case_id);

CREATE TABLE compensation_payees (
    id            bigserial PRIMARY KEY,
    household_id  bigint  NOT NULL REFERENCES compensation_households (id),
    kind          payee_kind NOT NULL,
    land_user_id  bigint  REFERENCES land_users (id),
    full_name     text    NOT NULL CHECK (btrim(full_name) <> ''),
    citizen_id    varchar(12) CHECK (citizen_id ~ '^[0-9]{12}$'),
    document_kind text,
    document_no   text,
    document_date date,
    share_parts   integer NOT NULL DEFAULT 1 CHECK (share_parts > 0),
    recorded_by   integer REFERENCES users (id),
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_compensation_payees_who CHECK (
        (kind = 'land_user' AND land_user_id IS NOT NULL)
        OR (kind <> 'land_user' AND document_kind IS NOT NULL AND document_no IS NOT NULL
            AND document_date IS NOT NULL))
);
CREATE INDEX ix_compensation_payees_household ON compensation_payees (household_id);

-- Late-payment interest rate (Land Law 2024 Art. 94(2) → the late-payment rate of the Tax
-- Administration Law), versioned like the time limits: a new rate is a new row.
CREATE TABLE late_payment_rates (
    id              serial  PRIMARY KEY,
    effective_from  date    NOT NULL UNIQUE,
    rate_ppm_per_day integer NOT NULL CHECK (rate_ppm_per_day > 0),
    legal_reference text    NOT NULL CHECK (btrim(legal_reference) <> ''),
    created_at      timestamptz NOT NULL DEFAULT now()
);
INSERT INTO late_payment_rates (effective_from, rate_ppm_per_day, legal_reference) VALUES
    ('2020-07-01', 300, 'Luật Đất đai 2024 Điều 94 khoản 2; Luật Quản lý thuế 2019 Điều 59 '
                        'khoản 2 điểm a (0,03 %/ngày)');

-- The ledger learns who was paid, and deposits become their own kind of entry.
ALTER TABLE payments
    ADD COLUMN household_id    bigint REFERENCES compensation_households (id),
    ADD COLUMN payee_id        bigint REFERENCES compensation_payees (id),
    ADD COLUMN kind            ledger_kind NOT NULL DEFAULT 'payment',
    ADD COLUMN deposit_account text,
    ADD COLUMN needs_review    boolean NOT NULL DEFAULT false;
CREATE INDEX ix_payments_household ON payments (household_id, payee_id);

-- Existing ledger rows: the kind follows the method (the payee is set by the migration).
ALTER TABLE payments DISABLE TRIGGER tr_payments_append_only;
UPDATE payments SET kind = 'deposit' WHERE method = 'treasury_deposit';
ALTER TABLE payments ENABLE TRIGGER tr_payments_append_only;

-- Household records, their cases, a land-user payee, and the approved amounts of each case
-- as line items under a migrated decision of the case's first land user. Idempotent: run by
-- the migration (p_review: flagged for review) and by the demo loader.
CREATE FUNCTION gpmb_backfill_households(p_review boolean) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    INSERT INTO compensation_households (project_id, land_user_id, needs_review)
    SELECT DISTINCT c.project_id, pu.land_user_id, p_review
    FROM clearance_cases c JOIN parcel_land_users pu ON pu.parcel_id = c.parcel_id
    ON CONFLICT (project_id, land_user_id) DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;

    INSERT INTO compensation_household_cases (household_id, case_id)
    SELECT h.id, c.id
    FROM clearance_cases c JOIN parcel_land_users pu ON pu.parcel_id = c.parcel_id
    JOIN compensation_households h
        ON h.project_id = c.project_id AND h.land_user_id = pu.land_user_id
    ON CONFLICT DO NOTHING;

    INSERT INTO compensation_payees (household_id, kind, land_user_id, full_name)
    SELECT h.id, 'land_user', u.id, u.full_name
    FROM compensation_households h JOIN land_users u ON u.id = h.land_user_id
    WHERE NOT EXISTS (SELECT 1 FROM compensation_payees y WHERE y.household_id = h.id);

    CREATE TEMP TABLE gpmb_first_holder ON COMMIT DROP AS
    SELECT c.id AS case_id, h.id AS household_id, c.approved_land_vnd,
           c.approved_structures_vnd, c.approved_crops_vnd, c.approved_support_vnd,
           c.approved_resettlement_vnd, c.approved_total_vnd,
           COALESCE(e.decision_no, 'Chưa rõ (dữ liệu cũ)') AS decision_no,
           COALESCE(e.decision_date, e.occurred_on, c.step_changed_on, c.created_at::date)
               AS decision_date,
           COALESCE(e.signer, 'Chưa rõ (dữ liệu cũ)') AS signer
    FROM clearance_cases c
    JOIN LATERAL (SELECT pu.land_user_id FROM parcel_land_users pu
                  WHERE pu.parcel_id = c.parcel_id
                  ORDER BY pu.share_pct DESC, pu.land_user_id LIMIT 1) f ON true
    JOIN compensation_households h
        ON h.project_id = c.project_id AND h.land_user_id = f.land_user_id
    LEFT JOIN LATERAL (SELECT ev.decision_no, ev.decision_date, ev.occurred_on, ev.signer
                       FROM case_events ev
                       WHERE ev.case_id = c.id AND ev.kind = 'step'
                         AND ev.step_to = 'plan_approved'
                       ORDER BY ev.occurred_on DESC, ev.id DESC LIMIT 1) e ON true
    WHERE c.approved_total_vnd > 0
      AND NOT EXISTS (SELECT 1 FROM compensation_line_items li WHERE li.case_id = c.id);

    INSERT INTO compensation_decisions (household_id, kind, decision_no, decision_date, signer,
                                        total_vnd, needs_review, note, idempotency_key)
    SELECT household_id, 'migrated', decision_no, decision_date, signer, approved_total_vnd,
           p_review, CASE WHEN p_review THEN 'Chuyển từ giá trị phương án của hồ sơ thửa đất;'
                          ' cần đối chiếu quyết định phê duyệt.' END,
           'migrated:' || case_id
    FROM gpmb_first_holder;

    INSERT INTO compensation_line_items (decision_id, case_id, kind, description, quantity,
                                         unit, unit_price_vnd, amount_vnd, legal_ground)
    SELECT d.id, f.case_id, v.kind::compensation_item_kind, v.description, 1, 'khoản',
           v.amount, v.amount,
           CASE WHEN p_review THEN 'Giá trị phương án đã duyệt trước khi có hồ sơ theo hộ'
                ELSE v.ground END
    FROM gpmb_first_holder f
    JOIN compensation_decisions d ON d.idempotency_key = 'migrated:' || f.case_id
    CROSS JOIN LATERAL (VALUES
        ('land', 'Bồi thường về đất', f.approved_land_vnd,
         'Luật Đất đai 2024 Điều 95, 96; bảng giá đất tỉnh Lạng Sơn'),
        ('structures', 'Bồi thường nhà, công trình', f.approved_structures_vnd,
         'Luật Đất đai 2024 Điều 102; Nghị định 88/2024 Điều 14'),
        ('crops', 'Bồi thường cây trồng, vật nuôi', f.approved_crops_vnd,
         'Luật Đất đai 2024 Điều 103; Nghị định 88/2024 Điều 20'),
        ('support_other', 'Các khoản hỗ trợ', f.approved_support_vnd,
         'Luật Đất đai 2024 Điều 108; Nghị định 88/2024 Điều 19–22'),
        ('resettlement', 'Tái định cư', f.approved_resettlement_vnd,
         'Luật Đất đai 2024 Điều 111')) AS v(kind, description, amount, ground)
    WHERE v.amount > 0;
    DROP TABLE gpmb_first_holder;
    RETURN n;
END $$;

SELECT gpmb_backfill_households(true);

-- Existing payments: the first land user of the case's parcel is the payee, for review.
ALTER TABLE payments DISABLE TRIGGER tr_payments_append_only;
UPDATE payments p SET household_id = f.household_id, payee_id = f.payee_id, needs_review = true
FROM (SELECT c.id AS case_id, h.id AS household_id,
             (SELECT min(y.id) FROM compensation_payees y WHERE y.household_id = h.id) AS payee_id
      FROM clearance_cases c
      JOIN LATERAL (SELECT pu.land_user_id FROM parcel_land_users pu
                    WHERE pu.parcel_id = c.parcel_id
                    ORDER BY pu.share_pct DESC, pu.land_user_id LIMIT 1) u ON true
      JOIN compensation_households h
          ON h.project_id = c.project_id AND h.land_user_id = u.land_user_id) f
WHERE p.case_id = f.case_id;
UPDATE payments SET needs_review = true WHERE household_id IS NULL;
ALTER TABLE payments ENABLE TRIGGER tr_payments_append_only;

ALTER TABLE payments
    ADD CONSTRAINT ck_payments_kind_method
        CHECK ((kind = 'deposit') = (method = 'treasury_deposit')),
    ADD CONSTRAINT ck_payments_payee
        CHECK (needs_review OR (household_id IS NOT NULL AND payee_id IS NOT NULL)),
    ADD CONSTRAINT ck_payments_deposit_account
        CHECK (kind = 'payment' OR deposit_account IS NOT NULL OR needs_review);

-- Decisions, line items, payees and rates are history: corrections are new rows.
CREATE TRIGGER tr_compensation_decisions_append_only
    BEFORE UPDATE OR DELETE ON compensation_decisions
    FOR EACH ROW EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_compensation_decisions_no_truncate BEFORE TRUNCATE ON compensation_decisions
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_compensation_line_items_append_only
    BEFORE UPDATE OR DELETE ON compensation_line_items
    FOR EACH ROW EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_compensation_line_items_no_truncate BEFORE TRUNCATE ON compensation_line_items
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_compensation_payees_append_only BEFORE UPDATE OR DELETE ON compensation_payees
    FOR EACH ROW EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_compensation_payees_no_truncate BEFORE TRUNCATE ON compensation_payees
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_late_payment_rates_append_only BEFORE UPDATE OR DELETE ON late_payment_rates
    FOR EACH ROW EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_late_payment_rates_no_truncate BEFORE TRUNCATE ON late_payment_rates
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_audit AFTER UPDATE OR DELETE ON compensation_households
    FOR EACH ROW EXECUTE FUNCTION gpmb_audit('id');
