"""Assignments: one expert on one assignment request, from the confirmed selection to the
evaluation. Models, the life-cycle table (states.py), services and pages."""
