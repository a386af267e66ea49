"""Two-step sign-in: a TOTP secret per person and single-use recovery codes.

The secret is hidden from the runtime role like the password hash (column grants in
app/db/migrate.py): it reads one active account's secret through `account_totp_secret`.
`recovery_codes` is global like `users` (a person signs in to any of their missions with
the same second factor); only the codes' hashes are stored, hidden too, and a code is used
up through `use_recovery_code`.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("totp_secret", sa.String(64), nullable=True))
    op.add_column("users", sa.Column("second_factor_at", sa.DateTime(timezone=True),
                                     nullable=True))
    op.add_column("users", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.create_table(
        "recovery_codes",
        sa.Column("user_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_recovery_codes_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    op.create_index(op.f("ix_recovery_codes_user_id"), "recovery_codes", ["user_id"])
    op.execute("""
CREATE FUNCTION account_totp_secret(p_user uuid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT totp_secret FROM users WHERE id = p_user AND status = 'active'
$$""")
    # A recovery code is used up by its hash, in one step: true when it was unused.
    op.execute("""
CREATE FUNCTION use_recovery_code(p_user uuid, p_hash text) RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH used AS (
    UPDATE recovery_codes SET used_at = now()
     WHERE id = (SELECT id FROM recovery_codes
                  WHERE user_id = p_user AND code_hash = p_hash AND used_at IS NULL
                  LIMIT 1 FOR UPDATE)
    RETURNING 1)
  SELECT EXISTS (SELECT 1 FROM used)
$$""")
    op.execute("REVOKE ALL ON FUNCTION account_totp_secret(uuid) FROM PUBLIC")
    op.execute("REVOKE ALL ON FUNCTION use_recovery_code(uuid, text) FROM PUBLIC")


def downgrade() -> None:
    op.execute("DROP FUNCTION use_recovery_code(uuid, text)")
    op.execute("DROP FUNCTION account_totp_secret(uuid)")
    op.drop_index(op.f("ix_recovery_codes_user_id"), table_name="recovery_codes")
    op.drop_table("recovery_codes")
    op.drop_column("users", "totp_last_step")
    op.drop_column("users", "second_factor_at")
    op.drop_column("users", "totp_secret")
