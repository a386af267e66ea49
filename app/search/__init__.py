"""Keeping the search engine in step with PostgreSQL: the outbox written with every change
to an indexed entity, the documents built from the database, the job that drains the
outbox (app.jobs) and `portal reindex`."""
