-- Import batches: one row per import of a surveyor's file (parcels, alignment, households),
-- whether it was applied or rejected, with the file's SHA-256 so a re-import is recognised.
-- import_batch_changes lists the rows each applied batch created or changed, so the history
-- of a parcel (or case, land user, alignment) can point to the batch. Both are append-only.
CREATE TABLE import_batches (
    id           bigserial   PRIMARY KEY,
    kind         text        NOT NULL CHECK (kind IN ('parcels', 'alignment', 'households')),
    status       text        NOT NULL CHECK (status IN ('applied', 'rejected')),
    file_name    text        NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    sha256       char(64)    NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes   bigint      NOT NULL CHECK (size_bytes >= 0),
    project_id   integer     REFERENCES projects (id),
    survey_id    integer     REFERENCES surveys (id),
    crs          text,
    actor        text        NOT NULL,
    imported_at  timestamptz NOT NULL DEFAULT now(),
    created      integer     NOT NULL DEFAULT 0 CHECK (created >= 0),
    updated      integer     NOT NULL DEFAULT 0 CHECK (updated >= 0),
    unchanged    integer     NOT NULL DEFAULT 0 CHECK (unchanged >= 0),
    rejected     integer     NOT NULL DEFAULT 0 CHECK (rejected >= 0),
    note         text
);
CREATE INDEX ix_import_batches_sha256 ON import_batches (sha256, kind);
CREATE INDEX ix_import_batches_imported_at ON import_batches (imported_at);

CREATE TABLE import_batch_changes (
    batch_id  bigint  NOT NULL REFERENCES import_batches (id),
    entity    text    NOT NULL
        CHECK (entity IN ('parcel', 'alignment', 'land_user', 'parcel_land_user', 'clearance_case')),
    entity_id bigint  NOT NULL,
    action    char(1) NOT NULL CHECK (action IN ('I', 'U', 'D')),
    PRIMARY KEY (batch_id, entity, entity_id)
);
CREATE INDEX ix_import_batch_changes_entity ON import_batch_changes (entity, entity_id);

CREATE TRIGGER tr_import_batches_append_only BEFORE UPDATE OR DELETE ON import_batches
    FOR EACH ROW EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_import_batches_no_truncate BEFORE TRUNCATE ON import_batches
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_import_batch_changes_append_only BEFORE UPDATE OR DELETE ON import_batch_changes
    FOR EACH ROW EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_import_batch_changes_no_truncate BEFORE TRUNCATE ON import_batch_changes
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_forbid_change();
