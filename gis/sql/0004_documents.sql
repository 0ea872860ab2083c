-- Scanned documents (PDF/JPEG) attached to a case event. The bytes live outside the
-- database, content-addressed by SHA-256 under <data_dir>/documents/; rows are append-only.
CREATE TABLE case_documents (
    id           bigserial   PRIMARY KEY,
    case_id      bigint      NOT NULL REFERENCES clearance_cases (id),
    event_id     bigint      NOT NULL REFERENCES case_events (id),
    filename     text        NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
    media_type   text        NOT NULL CHECK (media_type IN ('application/pdf', 'image/jpeg')),
    size_bytes   integer     NOT NULL CHECK (size_bytes > 0 AND size_bytes <= 10485760),
    sha256       char(64)    NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    uploaded_by  integer     NOT NULL REFERENCES users (id),
    uploaded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_case_documents_event_id ON case_documents (event_id);
CREATE INDEX ix_case_documents_case_id ON case_documents (case_id);

CREATE TRIGGER tr_case_documents_append_only BEFORE UPDATE OR DELETE ON case_documents
    FOR EACH ROW EXECUTE FUNCTION gpmb_forbid_change();
CREATE TRIGGER tr_case_documents_no_truncate BEFORE TRUNCATE ON case_documents
    FOR EACH STATEMENT EXECUTE FUNCTION gpmb_forbid_change();
