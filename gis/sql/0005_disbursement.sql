-- Project capital disbursement (giải ngân vốn đầu tư công), revision 0005.
-- Every table here is append-only history: a revised plan, a corrected disbursement or a
-- newer national figure is a new row; the latest revision wins, the older ones stay.

-- The year's capital plan (kế hoạch vốn) of a project and each revision of it, with the
-- decision that assigned it. Revision n+1 is dated on or after revision n.
CREATE TABLE capital_plans (
    id              bigserial PRIMARY KEY,
    project_id      integer NOT NULL REFERENCES projects (id),
    year            integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    revision        integer NOT NULL CHECK (revision > 0),
    amount_vnd      bigint  NOT NULL CHECK (amount_vnd >= 0),
    decision_no     text    NOT NULL CHECK (btrim(decision_no) <> ''),
    decision_date   date    NOT NULL,
    note            text,
    recorded_by     integer REFERENCES users (id),
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_capital_plans_project_id UNIQUE (project_id, year, revision)
);

-- Money disbursed (giải ngân) against a year's plan; a mistake is corrected by a
-- reversing entry. The year's plan may be disbursed until 31 January of the next year.
CREATE TABLE disbursements (
    id              bigserial PRIMARY KEY,
    project_id      integer NOT NULL REFERENCES projects (id),
    year            integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    amount_vnd      bigint  NOT NULL CHECK (amount_vnd <> 0),
    reverses_id     bigint  UNIQUE REFERENCES disbursements (id),
    disbursed_on    date    NOT NULL,
    source          text,
    voucher_no      text,
    note            text,
    recorded_by     integer REFERENCES users (id),
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    idempotency_key text    UNIQUE,
    CONSTRAINT ck_disbursements_reversal CHECK (amount_vnd > 0 OR reverses_id IS NOT NULL),
    CONSTRAINT ck_disbursements_window CHECK (
        disbursed_on BETWEEN make_date(year, 1, 1) AND make_date(year + 1, 1, 31))
);
CREATE INDEX ix_disbursements_project_id ON disbursements (project_id, year, disbursed_on);

-- The investor's committed schedule: cumulative share (%) or amount (VND) to reach by the
-- end of each month. A new commitment is a new revision of the whole year's schedule.
CREATE TABLE disbursement_targets (
    id              bigserial PRIMARY KEY,
    project_id      integer NOT NULL REFERENCES projects (id),
    year            integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    revision        integer NOT NULL CHECK (revision > 0),
    month           integer NOT NULL CHECK (month BETWEEN 1 AND 12),
    cumulative_pct  numeric(5, 2) CHECK (cumulative_pct BETWEEN 0 AND 100),
    cumulative_vnd  bigint  CHECK (cumulative_vnd >= 0),
    committed_on    date    NOT NULL,
    note            text,
    recorded_by     integer REFERENCES users (id),
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_disbursement_targets_one_measure
        CHECK ((cumulative_pct IS NULL) <> (cumulative_vnd IS NULL)),
    CONSTRAINT uq_disbursement_targets_project_id UNIQUE (project_id, year, revision, month)
);

-- The national average disbursement (% of the year's plan, cumulative to the month's end)
-- as published and entered by staff; one figure per year-month, the latest revision wins.
CREATE TABLE national_disbursement_rates (
    id              bigserial PRIMARY KEY,
    year            integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    month           integer NOT NULL CHECK (month BETWEEN 1 AND 12),
    revision        integer NOT NULL CHECK (revision > 0),
    rate_pct        numeric(5, 2) NOT NULL CHECK (rate_pct BETWEEN 0 AND 100),
    published_on    date    NOT NULL,
    source          text,
    recorded_by     integer REFERENCES users (id),
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_national_disbursement_rates_year UNIQUE (year, month, revision)
);

CREATE TRIGGER tr_capital_plans_append_only BEFORE UPDATE OR DELETE ON capital_plans
    FOR EACH ROW EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_capital_plans_no_truncate BEFORE TRUNCATE ON capital_plans
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_disbursements_append_only BEFORE UPDATE OR DELETE ON disbursements
    FOR EACH ROW EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_disbursements_no_truncate BEFORE TRUNCATE ON disbursements
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_disbursement_targets_append_only BEFORE UPDATE OR DELETE
    ON disbursement_targets FOR EACH ROW EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_disbursement_targets_no_truncate BEFORE TRUNCATE ON disbursement_targets
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_national_disbursement_rates_append_only BEFORE UPDATE OR DELETE
    ON national_disbursement_rates FOR EACH ROW EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_national_disbursement_rates_no_truncate BEFORE TRUNCATE
    ON national_disbursement_rates FOR EACH STATEMENT EXECUTE FUNCTION gpmb_forbid_change();
