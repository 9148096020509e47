# The tasks developers and CI run: `.ci/run` is `make ci` on a clean clone.
# Run `make help` to list them.

PG_URL ?= postgresql+psycopg://root@127.0.0.1:5432/test

.PHONY: help install test test-postgresql test-browser lint format types layers check catalog ci

help:  ## list the tasks
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

install:  ## the package, editable, with its test tools
	pip install -e '.[test]'

test:  ## the README's test command: the whole suite on SQLite
	pip install -e '.[test]' && pytest

test-postgresql:  ## the suite on PostgreSQL ($$PG_URL): every test that has a database
	PUENTE_TEST_DATABASE_URL="$(PG_URL)" pytest -q -p no:cacheprovider

test-browser:  ## the browser tests (Debian's chromium, driven by Playwright)
	pytest -q -p no:cacheprovider -n 0 -m browser tests/browser

lint:  ## ruff's lint and format checks
	ruff check .
	ruff format --check .

format:  ## format and fix what ruff can
	ruff format .
	ruff check --fix .

types:  ## mypy, strict, on puente/
	mypy

layers:  ## the import-linter contracts: layers point one way
	lint-imports

check: lint types layers  ## everything but the tests

catalog:  ## add new messages to the Spanish catalog (then translate them)
	python tools/update_catalog.py

ci:  ## everything CI runs: .ci/run
	.ci/run
