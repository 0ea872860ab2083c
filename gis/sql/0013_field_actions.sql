-- Field actions sent from the tablets (handover on site, notes, photos, inventory checks),
-- one row per idempotency key: what the tablet did, on which version of the case, and
-- what the server made of it (applied, conflict, refused). A conflict or refusal is never
-- dropped: it waits on the staff conflict page until a person resolves it, which appends
-- one row to field_action_resolutions. Both tables are append-only.
CREATE TABLE field_actions (
    id              bigserial   PRIMARY KEY,
    idempotency_key text        NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 8 AND 200),
    user_id         integer     NOT NULL REFERENCES users (id),
    case_id         bigint      NOT NULL REFERENCES clearance_cases (id),
    kind            text        NOT NULL CHECK (kind IN ('handover', 'note', 'photo', 'inventory')),
    base_version    integer     NOT NULL CHECK (base_version > 0),
    base            jsonb       NOT NULL,
    payload         jsonb       NOT NULL,
    fingerprint     char(64)    NOT NULL,
    done_at         timestamptz NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    outcome         text        NOT NULL CHECK (outcome IN ('applied', 'conflict', 'refused')),
    reasons         jsonb       NOT NULL DEFAULT '[]',
    server          jsonb       NOT NULL,
    event_id        bigint      REFERENCES case_events (id),
    document_id     bigint      REFERENCES case_documents (id),
    CONSTRAINT ck_field_actions_applied_event CHECK ((outcome = 'applied') = (event_id IS NOT NULL))
);
CREATE INDEX ix_field_actions_case ON field_actions (case_id, received_at);
CREATE INDEX ix_field_actions_open ON field_actions (received_at) WHERE outcome <> 'applied';

CREATE TABLE field_action_resolutions (
    id          bigserial   PRIMARY KEY,
    action_id   bigint      NOT NULL UNIQUE REFERENCES field_actions (id),
    resolution  text        NOT NULL CHECK (resolution IN ('applied', 'discarded')),
    resolved_by integer     NOT NULL REFERENCES users (id),
    resolved_at timestamptz NOT NULL DEFAULT now(),
    edited      jsonb,
    note        text,
    event_id    bigint      REFERENCES case_events (id),
    CONSTRAINT ck_field_action_resolutions_event
        CHECK ((resolution = 'applied') = (event_id IS NOT NULL))
);

CREATE TRIGGER tr_field_actions_append_only BEFORE UPDATE OR DELETE ON field_actions
    FOR EACH ROW EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_field_actions_no_truncate BEFORE TRUNCATE ON field_actions
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_field_action_resolutions_append_only
    BEFORE UPDATE OR DELETE ON field_action_resolutions
    FOR EACH ROW EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_field_action_resolutions_no_truncate BEFORE TRUNCATE ON field_action_resolutions
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_forbid_change();
