-- GPMB schema, revision 0001. Frozen: later changes go into new revisions.
-- The database enforces what must never be wrong: valid geometries in EPSG:9215,
-- unique parcel identifiers per survey, non-negative integer VND, foreign keys and
-- append-only history.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TYPE unit_type AS ENUM ('xa', 'phuong');
CREATE TYPE investment_form AS ENUM ('public_budget', 'ppp_bot', 'non_budget');
CREATE TYPE land_group AS ENUM ('agricultural', 'non_agricultural', 'unused');
CREATE TYPE land_user_kind AS ENUM ('household', 'individual', 'organisation', 'community');
CREATE TYPE case_step AS ENUM (
    'not_started', 'notified', 'inventoried', 'plan_posted', 'plan_approved',
    'decided', 'paid', 'decided_paid', 'handed_over');
CREATE TYPE event_kind AS ENUM (
    'step', 'compulsory_inventory', 'complaint_filed', 'complaint_resolved',
    'enforcement_decided', 'enforcement_executed', 'note');
CREATE TYPE payment_method AS ENUM ('cash', 'transfer', 'treasury_deposit');
CREATE TYPE user_role AS ENUM ('admin', 'staff', 'leader', 'field');

-- Append-only history: rows may be added, never changed or removed.
CREATE FUNCTION gpmb_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'GP001',
              HINT = 'Record a new entry (e.g. a reversing payment) instead of changing history.';
END $$;

-- Every update or delete of an audited table leaves its before/after image in audit_log.
-- The acting user comes from the transaction setting gpmb.actor.
CREATE FUNCTION gpmb_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- password hashes never leave the users table
    old_row jsonb := CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN to_jsonb(OLD) - 'password_hash' END;
    new_row jsonb := CASE WHEN TG_OP IN ('UPDATE', 'INSERT') THEN to_jsonb(NEW) - 'password_hash' END;
BEGIN
    INSERT INTO audit_log (table_name, row_key, action, before, after, actor)
    VALUES (TG_TABLE_NAME,
            COALESCE(new_row, old_row) ->> (TG_ARGV[0]),
            left(TG_OP, 1),
            old_row, new_row,
            NULLIF(current_setting('gpmb.actor', true), ''));
    RETURN NULL;
END $$;

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    table_name  text        NOT NULL,
    row_key     text,
    action      char(1)     NOT NULL CHECK (action IN ('I', 'U', 'D')),
    before      jsonb,
    after       jsonb,
    actor       text,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_audit_log_table_row ON audit_log (table_name, row_key, id);
CREATE INDEX ix_audit_log_actor ON audit_log (actor, at);

CREATE TABLE land_use_types (
    code        varchar(3) PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
    name_vi     text       NOT NULL,
    name_en     text       NOT NULL,
    land_group  land_group NOT NULL
);

CREATE TABLE land_use_legacy_codes (
    legacy_code varchar(3) PRIMARY KEY CHECK (legacy_code ~ '^[A-Z]{3}$'),
    code        varchar(3) NOT NULL REFERENCES land_use_types (code)
);

CREATE TABLE communes (
    code                    varchar(5)   PRIMARY KEY CHECK (code ~ '^[0-9]{5}$'),
    name                    text         NOT NULL CHECK (btrim(name) <> ''),
    unit_type               unit_type    NOT NULL,
    former_codes            varchar(5)[] NOT NULL DEFAULT '{}',
    former_names            text[]       NOT NULL DEFAULT '{}',
    official_area_km2       numeric(9, 2) CHECK (official_area_km2 > 0),
    centre                  geometry(Point, 9215) NOT NULL,
    boundary                geometry(MultiPolygon, 9215)
        CHECK (boundary IS NULL OR (ST_IsValid(boundary) AND NOT ST_IsEmpty(boundary))),
    boundary_is_approximate boolean      NOT NULL DEFAULT true,
    boundary_source         text
);
CREATE INDEX ix_communes_centre ON communes USING gist (centre);
CREATE INDEX ix_communes_boundary ON communes USING gist (boundary);

CREATE TABLE users (
    id                   serial PRIMARY KEY,
    username             varchar(64) NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
    full_name            text        NOT NULL DEFAULT '',
    role                 user_role   NOT NULL,
    password_hash        text        NOT NULL,
    is_active            boolean     NOT NULL DEFAULT true,
    must_change_password boolean     NOT NULL DEFAULT false,
    failed_logins        integer     NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until         timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    version              integer     NOT NULL DEFAULT 1 CHECK (version > 0)
);

CREATE TABLE projects (
    id                      serial PRIMARY KEY,
    code                    varchar(32) NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]*$'),
    name                    text        NOT NULL CHECK (btrim(name) <> ''),
    investment_form         investment_form NOT NULL,
    owner                   text        NOT NULL,
    contracting_authority   text,
    legal_basis             text,
    compensation_budget_vnd bigint      NOT NULL DEFAULT 0 CHECK (compensation_budget_vnd >= 0),
    start_date              date,
    is_demo                 boolean     NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    version                 integer     NOT NULL DEFAULT 1 CHECK (version > 0)
);

CREATE TABLE project_milestones (
    id           serial PRIMARY KEY,
    project_id   integer NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    kind         text    NOT NULL
        CHECK (kind IN ('handover_all', 'handover_share', 'payment_all', 'plan_approval', 'other')),
    title        text    NOT NULL,
    due_date     date    NOT NULL,
    target_share numeric(5, 4) CHECK (target_share > 0 AND target_share <= 1),
    note         text
);
CREATE INDEX ix_project_milestones_project ON project_milestones (project_id, due_date);

CREATE TABLE alignments (
    id               serial PRIMARY KEY,
    project_id       integer NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    code             varchar(32) NOT NULL,
    name             text    NOT NULL,
    centreline       geometry(LineString, 9215)
        CHECK (centreline IS NULL OR (ST_IsValid(centreline) AND ST_Length(centreline) > 0)),
    start_chainage_m numeric(10, 2) NOT NULL DEFAULT 0,
    row_width_m      numeric(7, 2) CHECK (row_width_m > 0 AND row_width_m <= 2000),
    footprint        geometry(MultiPolygon, 9215) NOT NULL
        CHECK (ST_IsValid(footprint) AND NOT ST_IsEmpty(footprint)),
    UNIQUE (project_id, code)
);
CREATE INDEX ix_alignments_centreline ON alignments USING gist (centreline);
CREATE INDEX ix_alignments_footprint ON alignments USING gist (footprint);

CREATE TABLE surveys (
    id          serial PRIMARY KEY,
    name        text        NOT NULL UNIQUE,
    source      text,
    surveyed_on date,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE parcels (
    id                   bigserial PRIMARY KEY,
    survey_id            integer     NOT NULL REFERENCES surveys (id),
    commune_code         varchar(5)  NOT NULL REFERENCES communes (code),
    sheet_commune_code   varchar(5)  NOT NULL CHECK (sheet_commune_code ~ '^[0-9]{5}$'),
    sheet_no             integer     NOT NULL CHECK (sheet_no > 0),
    parcel_no            integer     NOT NULL CHECK (parcel_no > 0),
    land_use_code        varchar(3)  NOT NULL REFERENCES land_use_types (code),
    land_use_code_source varchar(16),
    legal_area_m2        numeric(14, 1) NOT NULL CHECK (legal_area_m2 > 0),
    address              text,
    geom                 geometry(MultiPolygon, 9215) NOT NULL
        CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    version              integer     NOT NULL DEFAULT 1 CHECK (version > 0),
    CONSTRAINT uq_parcels_identity
        UNIQUE (survey_id, commune_code, sheet_commune_code, sheet_no, parcel_no)
);
CREATE INDEX ix_parcels_geom ON parcels USING gist (geom);
CREATE INDEX ix_parcels_sheet ON parcels (commune_code, sheet_no, parcel_no);
CREATE INDEX ix_parcels_land_use ON parcels (land_use_code);

CREATE TABLE land_users (
    id           bigserial PRIMARY KEY,
    kind         land_user_kind NOT NULL DEFAULT 'household',
    full_name    text        NOT NULL CHECK (btrim(full_name) <> ''),
    citizen_id   varchar(12) UNIQUE CHECK (citizen_id ~ '^[0-9]{12}$'),
    phone        varchar(16) CHECK (phone ~ '^\+?[0-9]{9,15}$'),
    address      text,
    commune_code varchar(5)  REFERENCES communes (code),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_land_users_name_trgm ON land_users USING gin (lower(full_name) gin_trgm_ops);

CREATE TABLE parcel_land_users (
    parcel_id    bigint   NOT NULL REFERENCES parcels (id),
    land_user_id bigint   NOT NULL REFERENCES land_users (id),
    share_pct    smallint NOT NULL DEFAULT 100 CHECK (share_pct BETWEEN 1 AND 100),
    PRIMARY KEY (parcel_id, land_user_id)
);
CREATE INDEX ix_parcel_land_users_user ON parcel_land_users (land_user_id);

CREATE TABLE clearance_cases (
    id                        bigserial PRIMARY KEY,
    project_id                integer NOT NULL REFERENCES projects (id),
    parcel_id                 bigint  NOT NULL REFERENCES parcels (id),
    alignment_id              integer REFERENCES alignments (id),
    recovered_geom            geometry(MultiPolygon, 9215) NOT NULL
        CHECK (ST_IsValid(recovered_geom) AND NOT ST_IsEmpty(recovered_geom)),
    recovered_area_m2         numeric(14, 1) NOT NULL CHECK (recovered_area_m2 >= 0),
    is_whole_parcel           boolean NOT NULL DEFAULT false,
    step                      case_step NOT NULL DEFAULT 'not_started',
    step_changed_on           date,
    approved_land_vnd         bigint  NOT NULL DEFAULT 0 CHECK (approved_land_vnd >= 0),
    approved_structures_vnd   bigint  NOT NULL DEFAULT 0 CHECK (approved_structures_vnd >= 0),
    approved_crops_vnd        bigint  NOT NULL DEFAULT 0 CHECK (approved_crops_vnd >= 0),
    approved_support_vnd      bigint  NOT NULL DEFAULT 0 CHECK (approved_support_vnd >= 0),
    approved_resettlement_vnd bigint  NOT NULL DEFAULT 0 CHECK (approved_resettlement_vnd >= 0),
    approved_total_vnd        bigint  GENERATED ALWAYS AS (
        approved_land_vnd + approved_structures_vnd + approved_crops_vnd
        + approved_support_vnd + approved_resettlement_vnd) STORED,
    paid_vnd                  bigint  NOT NULL DEFAULT 0 CHECK (paid_vnd >= 0),
    resettlement_needed       boolean NOT NULL DEFAULT false,
    complaint_open            boolean NOT NULL DEFAULT false,
    enforcement_stage         text CHECK (enforcement_stage IN ('decided', 'executed')),
    handover_date             date,
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    version                   integer NOT NULL DEFAULT 1 CHECK (version > 0),
    CONSTRAINT uq_clearance_cases_project_parcel UNIQUE (project_id, parcel_id),
    CONSTRAINT ck_clearance_cases_handover_date
        CHECK ((step = 'handed_over') = (handover_date IS NOT NULL))
);
CREATE INDEX ix_clearance_cases_geom ON clearance_cases USING gist (recovered_geom);
CREATE INDEX ix_clearance_cases_project_step ON clearance_cases (project_id, step);
CREATE INDEX ix_clearance_cases_parcel ON clearance_cases (parcel_id);

CREATE TABLE case_events (
    id              bigserial PRIMARY KEY,
    case_id         bigint     NOT NULL REFERENCES clearance_cases (id),
    kind            event_kind NOT NULL,
    step_from       case_step,
    step_to         case_step,
    occurred_on     date       NOT NULL,
    decision_no     text,
    decision_date   date,
    signer          text,
    note            text,
    rule_version    text,
    recorded_by     integer    REFERENCES users (id),
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    idempotency_key text       UNIQUE,
    CONSTRAINT ck_case_events_step CHECK (
        (kind = 'step' AND step_from IS NOT NULL AND step_to IS NOT NULL AND step_from <> step_to)
        OR (kind <> 'step' AND step_from IS NULL AND step_to IS NULL))
);
CREATE INDEX ix_case_events_case ON case_events (case_id, occurred_on, id);
CREATE INDEX ix_case_events_occurred ON case_events (occurred_on);

CREATE TABLE payments (
    id                  bigserial PRIMARY KEY,
    case_id             bigint  NOT NULL REFERENCES clearance_cases (id),
    amount_vnd          bigint  NOT NULL CHECK (amount_vnd <> 0),
    reverses_payment_id bigint  UNIQUE REFERENCES payments (id),
    paid_on             date    NOT NULL,
    method              payment_method NOT NULL,
    voucher_no          text,
    note                text,
    recorded_by         integer REFERENCES users (id),
    recorded_at         timestamptz NOT NULL DEFAULT now(),
    idempotency_key     text    UNIQUE,
    CONSTRAINT ck_payments_reversal CHECK (amount_vnd > 0 OR reverses_payment_id IS NOT NULL)
);
CREATE INDEX ix_payments_case ON payments (case_id, paid_on);

-- paid_vnd is the ledger's sum, kept by the database itself.
CREATE FUNCTION gpmb_apply_payment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE clearance_cases SET paid_vnd = paid_vnd + NEW.amount_vnd WHERE id = NEW.case_id;
    RETURN NULL;
END $$;
CREATE TRIGGER tr_payments_apply AFTER INSERT ON payments
    FOR EACH ROW EXECUTE FUNCTION gpmb_apply_payment();

CREATE TABLE resettlement_areas (
    id           serial PRIMARY KEY,
    project_id   integer    REFERENCES projects (id),
    code         varchar(32) NOT NULL UNIQUE,
    name         text       NOT NULL,
    commune_code varchar(5) REFERENCES communes (code),
    geom         geometry(MultiPolygon, 9215) NOT NULL
        CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom))
);
CREATE INDEX ix_resettlement_areas_geom ON resettlement_areas USING gist (geom);

CREATE TABLE resettlement_plots (
    id        serial PRIMARY KEY,
    area_id   integer      NOT NULL REFERENCES resettlement_areas (id),
    code      varchar(32)  NOT NULL,
    area_m2   numeric(10, 1) NOT NULL CHECK (area_m2 > 0),
    price_vnd bigint       NOT NULL CHECK (price_vnd >= 0),
    geom      geometry(Polygon, 9215) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
    UNIQUE (area_id, code)
);
CREATE INDEX ix_resettlement_plots_geom ON resettlement_plots USING gist (geom);

CREATE TABLE resettlement_allocations (
    id           bigserial PRIMARY KEY,
    plot_id      integer NOT NULL REFERENCES resettlement_plots (id),
    case_id      bigint  NOT NULL REFERENCES clearance_cases (id),
    allocated_on date    NOT NULL,
    decision_no  text,
    released_on  date CHECK (released_on IS NULL OR released_on >= allocated_on),
    recorded_by  integer REFERENCES users (id),
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX uq_resettlement_allocations_plot
    ON resettlement_allocations (plot_id) WHERE released_on IS NULL;
CREATE UNIQUE INDEX uq_resettlement_allocations_case
    ON resettlement_allocations (case_id) WHERE released_on IS NULL;

CREATE TABLE user_projects (
    user_id    integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id integer NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, project_id)
);

CREATE TABLE user_communes (
    user_id      integer    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    commune_code varchar(5) NOT NULL REFERENCES communes (code),
    PRIMARY KEY (user_id, commune_code)
);

-- History is append-only.
CREATE TRIGGER tr_case_events_append_only BEFORE UPDATE OR DELETE ON case_events
    FOR EACH ROW EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_case_events_no_truncate BEFORE TRUNCATE ON case_events
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_payments_append_only BEFORE UPDATE OR DELETE ON payments
    FOR EACH ROW EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_payments_no_truncate BEFORE TRUNCATE ON payments
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_forbid_change();

-- Changes to the working tables are audited (inserts are their own record).
CREATE TRIGGER tr_audit AFTER UPDATE OR DELETE ON communes
    FOR EACH ROW EXECUTE FUNCTION gpmb_audit('code');
CREATE TRIGGER tr_audit AFTER UPDATE OR DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION gpmb_audit('id');
CREATE TRIGGER tr_audit AFTER UPDATE OR DELETE ON project_milestones
    FOR EACH ROW EXECUTE FUNCTION gpmb_audit('id');
CREATE TRIGGER tr_audit AFTER UPDATE OR DELETE ON alignments
    FOR EACH ROW EXECUTE FUNCTION gpmb_audit('id');
CREATE TRIGGER tr_audit AFTER UPDATE OR DELETE ON parcels
    FOR EACH ROW EXECUTE FUNCTION gpmb_audit('id');
CREATE TRIGGER tr_audit AFTER UPDATE OR DELETE ON land_users
    FOR EACH ROW EXECUTE FUNCTION gpmb_audit('id');
CREATE TRIGGER tr_audit AFTER UPDATE OR DELETE ON parcel_land_users
    FOR EACH ROW EXECUTE FUNCTION gpmb_audit('parcel_id');
CREATE TRIGGER tr_audit AFTER UPDATE OR DELETE ON clearance_cases
    FOR EACH ROW EXECUTE FUNCTION gpmb_audit('id');
CREATE TRIGGER tr_audit AFTER UPDATE OR DELETE ON resettlement_areas
    FOR EACH ROW EXECUTE FUNCTION gpmb_audit('id');
CREATE TRIGGER tr_audit AFTER UPDATE OR DELETE ON resettlement_plots
    FOR EACH ROW EXECUTE FUNCTION gpmb_audit('id');
CREATE TRIGGER tr_audit AFTER UPDATE OR DELETE ON resettlement_allocations
    FOR EACH ROW EXECUTE FUNCTION gpmb_audit('id');
CREATE TRIGGER tr_audit AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION gpmb_audit('id');
