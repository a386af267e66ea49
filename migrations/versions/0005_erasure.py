"""Erasure of a person from the audit trail.

The runtime role may not change audit events (append-only), yet the right to erasure
requires the person's email to leave them. This one function does only that: in the current
mission's events about one person it rewrites the actor label, forgets the address they
acted from, and drops the keys that can carry personal data ('email', 'filename',
'reason', 'name') from before/after. SECURITY DEFINER lets it update as the owner; FORCE row-level security still
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
CREATE FUNCTION erase_person_from_audit(p_user uuid, p_email text, p_label text,
                                        p_objects text[])
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE changed integer;
BEGIN
  UPDATE audit_events
     SET actor_label = CASE WHEN actor_id = p_user OR lower(actor_label) = lower(p_email)
                            THEN p_label ELSE actor_label END,
         ip = CASE WHEN actor_id = p_user OR lower(actor_label) = lower(p_email)
                   THEN '' ELSE ip END,
         actor_id = CASE WHEN actor_id = p_user THEN NULL ELSE actor_id END,
         before = before - ARRAY['email', 'filename', 'reason', 'name'],
         after = after - ARRAY['email', 'filename', 'reason', 'name']
   WHERE tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
     AND (actor_id = p_user OR lower(actor_label) = lower(p_email)
          OR lower(after ->> 'email') = lower(p_email)
          OR lower(before ->> 'email') = lower(p_email)
          OR object_id = ANY(p_objects));
  GET DIAGNOSTICS changed = ROW_COUNT;
  RETURN changed;
END $$""")
    # Only the runtime role gets to call it (granted with the other runtime privileges).
    op.execute("REVOKE ALL ON FUNCTION erase_person_from_audit(uuid, text, text, text[]) "
               "FROM PUBLIC")


def downgrade() -> None:
    op.execute("DROP FUNCTION erase_person_from_audit(uuid, text, text, text[])")
