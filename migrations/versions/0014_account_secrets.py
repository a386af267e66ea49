"""Account secrets out of the runtime role's bulk reach.

The runtime role may not read `users.password_hash` nor `user_sessions.token_hash` (column
privileges, granted in app/db/migrate.py): a stolen runtime connection or an injected query
cannot dump them. Sign-in reads one person's hash through `account_password_hash`, and a
session cookie finds its row through `session_for_token`, which needs the token's hash and so
cannot enumerate sessions. `users.has_password` says whether an account has a password
without reading it.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column(
        "has_password", sa.Boolean(), sa.Computed("password_hash IS NOT NULL", persisted=True),
        nullable=False))
    op.execute("""
CREATE FUNCTION account_password_hash(p_user uuid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT password_hash FROM users WHERE id = p_user AND status = 'active'
$$""")
    op.execute("""
CREATE FUNCTION session_for_token(p_hash text) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT id FROM user_sessions WHERE token_hash = p_hash
$$""")
    # Only the runtime role gets to call them (granted with the other runtime privileges).
    op.execute("REVOKE ALL ON FUNCTION account_password_hash(uuid) FROM PUBLIC")
    op.execute("REVOKE ALL ON FUNCTION session_for_token(text) FROM PUBLIC")


def downgrade() -> None:
    op.execute("DROP FUNCTION session_for_token(text)")
    op.execute("DROP FUNCTION account_password_hash(uuid)")
    op.drop_column("users", "has_password")
