-- Revision 0011: idempotency keys belong to the user who sent them, and sign-in state
-- changes are announced so that every app process drops what it cached at once.

-- An Idempotency-Key is unique per user, not across users: another user's key must never
-- replay (or collide with) their request. Rows without a user (imports) share user 0.
ALTER TABLE case_events DROP CONSTRAINT case_events_idempotency_key_key;
CREATE UNIQUE INDEX uq_case_events_idempotency_key
    ON case_events (coalesce(recorded_by, 0), idempotency_key)
    WHERE idempotency_key IS NOT NULL;
ALTER TABLE payments DROP CONSTRAINT payments_idempotency_key_key;
CREATE UNIQUE INDEX uq_payments_idempotency_key
    ON payments (coalesce(recorded_by, 0), idempotency_key)
    WHERE idempotency_key IS NOT NULL;
ALTER TABLE disbursements DROP CONSTRAINT disbursements_idempotency_key_key;
CREATE UNIQUE INDEX uq_disbursements_idempotency_key
    ON disbursements (coalesce(recorded_by, 0), idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- NOTIFY gpmb_auth '<user id>' when a token is revoked or removed, an account is
-- disabled, enabled or changes role, or its assigned projects/communes change. The app
-- keeps recently checked sessions (with their scope) in memory for the tile endpoint and
-- drops them when it hears this; NOTIFY is delivered on commit, to every listener.
CREATE FUNCTION gpmb_notify_auth() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    row_ record := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
BEGIN
    IF TG_TABLE_NAME = 'users' THEN
        PERFORM pg_notify('gpmb_auth', row_.id::text);
    ELSE
        PERFORM pg_notify('gpmb_auth', row_.user_id::text);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER tr_auth_tokens_notify
    AFTER UPDATE OF revoked_at, expires_at OR DELETE ON auth_tokens
    FOR EACH ROW EXECUTE FUNCTION gpmb_notify_auth();
CREATE TRIGGER tr_users_notify
    AFTER UPDATE OF is_active, role OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION gpmb_notify_auth();
CREATE TRIGGER tr_user_projects_notify
    AFTER INSERT OR UPDATE OR DELETE ON user_projects
    FOR EACH ROW EXECUTE FUNCTION gpmb_notify_auth();
CREATE TRIGGER tr_user_communes_notify
    AFTER INSERT OR UPDATE OR DELETE ON user_communes
    FOR EACH ROW EXECUTE FUNCTION gpmb_notify_auth();
