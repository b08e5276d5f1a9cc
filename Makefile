# The two commands. Each installs what is missing first (see scripts/lib.sh).
.PHONY: run test

## make run: build and start lanyard with the demo IdP on http://127.0.0.1:3000
run:
	@bash scripts/run.sh

## make test: every check and test, as CI runs it
test:
	@bash scripts/test.sh
