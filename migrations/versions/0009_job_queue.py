"""The job queue: procrastinate's tables, types and functions (app.jobs).

The schema is procrastinate's own SQL (procrastinate.schema.SchemaManager.get_schema()), of
the version pyproject.toml pins. Its tables are global, with no row-level security: a job
names its mission in its arguments (`tenant_id`), and the job itself runs in that mission's
scope. tests/test_rls.py lists them as the exemption they are. One index of ours finds a
mission's jobs for the admin page.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op
from procrastinate.schema import SchemaManager
from sqlalchemy.util import await_only

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _execute_script(sql: str) -> None:
    """Several statements with $$-quoted function bodies: sent as one simple query on the
    driver's connection (a prepared statement takes one statement only)."""
    await_only(op.get_bind().connection.driver_connection.execute(sql))


def upgrade() -> None:
    _execute_script(SchemaManager.get_schema())
    op.execute("CREATE INDEX ix_procrastinate_jobs_tenant_id ON procrastinate_jobs "
               "((args ->> 'tenant_id'), id)")


def downgrade() -> None:
    _execute_script("""
        DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers,
            procrastinate_jobs, procrastinate_workers CASCADE;
        DO $$
        DECLARE f record;
        BEGIN
            FOR f IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
                     JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'
            LOOP
                EXECUTE 'DROP FUNCTION ' || f.signature;
            END LOOP;
        END
        $$;
        DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type,
            procrastinate_job_status;
    """)
