"""Background jobs: one mechanism, procrastinate's job queue in the portal's PostgreSQL.

- app.jobs.queue: the procrastinate App, the names of the tasks, and defer(), which writes a
  job in the caller's SQLAlchemy transaction (a rolled-back change enqueues nothing).
- app/tasks.py: the tasks. Each carries the mission's `tenant_id` and runs in its scope;
  a periodic sweep turns the transactional outboxes (mail, search) into jobs. They call
  into the domains, so they live at the top of the layers, beside app/main.py.
- app/worker.py: running workers (`portal worker`, in-process for `portal run`, tests).
- app.jobs.services / controllers: a mission admin's page of its queued, running and failed
  jobs, with a retry.
"""
