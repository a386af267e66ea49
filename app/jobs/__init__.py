"""Background jobs: one mechanism, procrastinate's job queue in the portal's PostgreSQL.

- app.jobs.queue: the procrastinate App, the names of the tasks, and defer(), which writes a
  job in the caller's SQLAlchemy transaction (a rolled-back change enqueues nothing).
- app.jobs.tasks: the tasks. Each carries the mission's `tenant_id` and runs in its scope;
  a periodic sweep turns the transactional outboxes (mail, search) into jobs.
- app.jobs.worker: running workers (`portal worker`, in-process for `portal run`, tests).
- app.jobs.services / controllers: a mission admin's page of its queued, running and failed
  jobs, with a retry.
"""
