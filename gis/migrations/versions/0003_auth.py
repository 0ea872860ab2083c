"""Sign-in state: opaque session/bearer tokens (stored hashed) and login attempts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE auth_tokens (
    id          bigserial   PRIMARY KEY,
    token_hash  char(64)    NOT NULL UNIQUE,
    user_id     integer     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        text        NOT NULL CHECK (kind IN ('session', 'bearer')),
    csrf_hash   char(64),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    CONSTRAINT ck_auth_tokens_csrf CHECK ((kind = 'session') = (csrf_hash IS NOT NULL))
);
CREATE INDEX ix_auth_tokens_user ON auth_tokens (user_id);

CREATE TABLE login_attempts (
    id        bigserial   PRIMARY KEY,
    username  text        NOT NULL,
    client_ip text        NOT NULL,
    ok        boolean     NOT NULL,
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_login_attempts_ip_at ON login_attempts (client_ip, at);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS login_attempts")
    op.execute("DROP TABLE IF EXISTS auth_tokens")
