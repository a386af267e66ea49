"""The read-only JSON API for integrators, under /api/v1/<mission>/, with API tokens."""
