# The two commands of the README. Everything they need is installed by scripts/bootstrap.
.PHONY: run test

run:
	@scripts/bootstrap
	.venv/bin/portal run $(ARGS)

test:
	@scripts/bootstrap --test
	scripts/test
