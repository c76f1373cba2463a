# Every target sets itself up from nothing: a virtual environment, the Python
# package, the front-end assets from the npm registry, then does its job.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps

.DEFAULT_GOAL := help
.PHONY: help run test lint format bench setup assets browser clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

run: setup ## Set up, migrate SQLite, load the statement bank and the demo area, serve on http://127.0.0.1:8000
	$(BIN)/coproduce migrate
	$(BIN)/coproduce statements load
	$(BIN)/coproduce demo
	$(BIN)/coproduce serve

test: setup browser ## Set up and run the whole suite (unit, web, browser)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup ## ruff check, format check, mypy (strict) on app/, and every statements/ file checked
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app
	$(BIN)/coproduce statements check

format: setup ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: setup ## Benchmark real servers under load into bench/results.json (BENCH_DATABASE_URL adds PostgreSQL)
	$(BIN)/python -m bench.run

setup: $(STAMPS)/python $(STAMPS)/assets

$(STAMPS)/python: pyproject.toml
	@mkdir -p $(STAMPS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

$(STAMPS)/assets: package.json package-lock.json scripts/build-assets.mjs static/scss/app.scss
	@mkdir -p $(STAMPS)
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build
	@touch $@

# Debian's Chromium for the browser tests; tests skip loudly without it (and fail under CI=true).
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "!! /usr/bin/chromium is missing and this is not root: browser tests will be skipped"; fi

clean: ## Remove everything the targets built (keeps data/)
	rm -rf $(VENV) node_modules static/vendor $(STAMPS)
