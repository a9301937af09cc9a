# AI training portal — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMPS := .make
export FLASK_APP := wsgi.py

.PHONY: help setup run serve-prod test faults lint format messages bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMPS):
	@mkdir -p $(STAMPS)

$(STAMPS)/python: pyproject.toml | $(STAMPS)
	@echo "==> Python packages (virtual environment in $(VENV))"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

$(STAMPS)/npm: package.json package-lock.json | $(STAMPS)
	@echo "==> Front-end packages (npm) copied into portal/static/vendor"
	@npm ci --no-audit --no-fund --loglevel=error
	@bash scripts/vendor.sh
	@touch $@

$(STAMPS)/translations: $(STAMPS)/python $(wildcard portal/translations/*/LC_MESSAGES/messages.po) | $(STAMPS)
	@echo "==> Compiling translations"
	@$(BIN)/pybabel compile --use-fuzzy -d portal/translations >/dev/null
	@touch $@

setup: $(STAMPS)/python $(STAMPS)/npm $(STAMPS)/translations ## Install everything the portal needs (idempotent)

run: setup ## Install, migrate, sync courses/, seed demo data when the database is empty, serve on 127.0.0.1:$(PORT)
	@$(BIN)/flask db upgrade
	@$(BIN)/flask courses sync
	@if $(BIN)/flask db is-empty; then \
		echo "==> Empty database: creating the demo organisation and demo accounts (flask demo seed)"; \
		$(BIN)/flask demo seed; \
	fi
	@echo "==> Serving on http://127.0.0.1:$(PORT)  (demo accounts: see README.md; they exist only because 'flask demo seed' made them)"
	@$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

serve-prod: setup ## Production: check the settings (PostgreSQL, Redis, a real secret key), then gunicorn
	@PORTAL_ENV=production $(BIN)/python -m portal.preflight
	@PORTAL_ENV=production exec $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: setup ## Install everything (Chromium and nginx included) and run the whole test suite
	@bash scripts/ensure-chromium.sh
	@bash scripts/ensure-nginx.sh
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

faults: setup ## Fault scenarios against make serve-prod: PostgreSQL, Redis, SMTP, model, workers (needs initdb, redis-server)
	@$(BIN)/python -m tests.faults $(FAULTS)

lint: $(STAMPS)/python ## ruff check and ruff format --check
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .

format: $(STAMPS)/python ## Reformat the code with ruff
	@$(BIN)/ruff format .
	@$(BIN)/ruff check --fix .

messages: $(STAMPS)/python ## Extract translatable strings and update the English catalogue
	@$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --ignore-dirs='.* __pycache__ node_modules .venv' -o /tmp/portal-messages.pot .
	@$(BIN)/pybabel update -i /tmp/portal-messages.pot -d portal/translations -l en --no-fuzzy-matching

bench: setup ## Run the benchmarks; prints a table and writes bench/results.json
	@$(BIN)/python bench/run.py

clean: ## Remove the virtual environment, node_modules, vendored files and stamps
	rm -rf $(VENV) node_modules portal/static/vendor $(STAMPS)
