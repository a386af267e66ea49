"""Database access: the server and its roles (server.py), engines and sessions (session.py),
the declarative base (base.py) and Alembic entry points (migrate.py)."""
