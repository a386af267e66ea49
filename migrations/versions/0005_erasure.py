"""Erasure of a person from the audit trail.

The runtime role may not change audit events (append-only), yet the right to erasure
requires the person's email to leave them. This one function does only that: it rewrites
the actor label and drops 'email' from before/after of the current mission's events about
one person. SECURITY DEFINER lets it update as the owner; FORCE row-level security still
limits it to the mission set for the transaction.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE FUNCTION erase_person_from_audit(p_user uuid, p_email text, p_label text)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE changed integer;
BEGIN
  UPDATE audit_events
     SET actor_label = CASE WHEN actor_id = p_user OR lower(actor_label) = lower(p_email)
                            THEN p_label ELSE actor_label END,
         actor_id = CASE WHEN actor_id = p_user THEN NULL ELSE actor_id END,
         before = before - 'email',
         after = after - 'email'
   WHERE tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
     AND (actor_id = p_user OR lower(actor_label) = lower(p_email)
          OR lower(after ->> 'email') = lower(p_email)
          OR lower(before ->> 'email') = lower(p_email));
  GET DIAGNOSTICS changed = ROW_COUNT;
  RETURN changed;
END $$""")


def downgrade() -> None:
    op.execute("DROP FUNCTION erase_person_from_audit(uuid, text, text)")
