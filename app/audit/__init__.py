"""Append-only audit trail: who did what to which record, when, from where."""
