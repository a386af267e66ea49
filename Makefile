# The two commands of the README. Everything they need is installed by scripts/bootstrap.
# `make run` is local development: PORTAL_DEBUG=1 (plain-http cookies, /dev/mail) unless set.
.PHONY: run test

run:
	@scripts/bootstrap
	PORTAL_DEBUG=$${PORTAL_DEBUG:-1} .venv/bin/portal run $(ARGS)

test:
	@scripts/bootstrap --test
	scripts/test
