"""What every domain shares and no domain owns: who is acting and what their role allows,
the one refusal, the clock, tokens, advisory locks, per-mission numbering and the Jinja
environment. It imports nothing from the domains (tests/test_architecture.py holds it)."""
