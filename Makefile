# Welfare Point: `make run` to try it, `make test` to check it. See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app welfarepoint
INSTALLED := $(VENV)/.installed
VENDORED := static/vendor/.installed
CHROMIUM ?= /usr/bin/chromium
HOST ?= 127.0.0.1
PORT ?= 5000
PO_FILES := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: install run test test-fast test-postgres lint format translations chromium redis postgresql wrk bench resilience clean

install: $(INSTALLED) $(VENDORED) $(MO_FILES) ## set up everything: venv, package, assets, translations, database
	$(FLASK) setup

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

$(VENDORED): node_modules/.package-lock.json tools/vendor_assets.py | $(BIN)/python
	$(BIN)/python tools/vendor_assets.py
	touch $@

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | $(INSTALLED)
	$(BIN)/pybabel compile -d translations -l $* >/dev/null

translations: $(INSTALLED) ## extract new strings and merge them into the catalogs
	$(FLASK) translate update

run: install ## serve the site on http://127.0.0.1:5000 (demo data loaded into an empty database), with the job runner (imports, e-mail to <instance>/outbox)
	$(FLASK) seed-demo --if-empty
	trap 'kill 0' EXIT; $(FLASK) jobs run --workers 1 & $(FLASK) run --host $(HOST) --port $(PORT)

chromium: ## Debian's Chromium for the browser tests (installed when run as root with apt)
	@if [ -x "$(CHROMIUM)" ]; then exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || exit 1; \
	else \
	  echo "The browser tests need Debian's Chromium at $(CHROMIUM): run 'sudo apt-get install chromium' (or set CHROMIUM=/path)."; exit 1; \
	fi

redis: ## Debian's redis-server, the shared rate-limit store the multiprocess tests start (installed when run as root with apt)
	@if command -v redis-server >/dev/null; then exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's redis-server for the multiprocess tests..."; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null) || exit 1; \
	else \
	  echo "The multiprocess tests need Debian's redis-server: run 'sudo apt-get install redis-server'."; exit 1; \
	fi

postgresql: ## Debian's PostgreSQL, the database make resilience and the outage tests stop and start (installed when run as root with apt)
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's postgresql for the resilience suite and the outage tests..."; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) || exit 1; \
	else \
	  echo "The resilience suite needs Debian's postgresql: run 'sudo apt-get install postgresql'."; exit 1; \
	fi

lint: $(INSTALLED) ## ruff, as CI runs it
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install chromium redis postgresql ## the whole suite, browser tests and the short resilience run included, plus the linter
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	WELFAREPOINT_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install redis ## the linter and the tests that need no browser, no other process and no long run, on every core
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n auto -m "not browser and not multiprocess and not slow" $(PYTEST_ARGS)

test-postgres: install redis ## the tests that use a database, again on a throwaway PostgreSQL server (Debian's); no browser
	tools/test_postgres.sh $(BIN)/python -m pytest -m "database and not browser" $(PYTEST_ARGS)

wrk: ## Debian's wrk, the load generator of make bench (installed when run as root with apt; else a Python one is used)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null); } || true

bench: install chromium wrk ## measure search, matching, HTTP, page weight and memory at 10,000 and 100,000 listings into docs/performance.md (SIZES=10000 for one; QUICK=1 checks the script and writes nothing); not part of make test
	$(BIN)/python tools/bench.py $(if $(SIZES),--sizes $(SIZES)) $(if $(QUICK),--quick,--markdown docs/performance.md)

resilience: install redis postgresql ## the production set-up (PostgreSQL, Redis, 4 gunicorn workers, the job runner) under load through every fault, judged and written to docs/resilience.md (SHORT=1: the short run make test makes, writes nothing)
	$(BIN)/python -m tools.resilience $(if $(SHORT),--short,--markdown docs/resilience.md)

clean:
	rm -rf $(VENV) node_modules static/vendor translations/*/LC_MESSAGES/*.mo
