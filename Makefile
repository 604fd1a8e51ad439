# Haven — the two commands a new user needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: run test fuzz lint fmt bench load screenshots seed messages clean help

help:
	@echo "make run    – set up and serve the demo on http://127.0.0.1:$(PORT)/"
	@echo "make test   – set up and run the whole test suite (DATABASE_URL picks the database)"
	@echo "make fuzz   – the API fuzzing of make test at length, with a random seed"
	@echo "make lint   – ruff, mypy and the migrations check"
	@echo "make bench  – benchmarks (see docs/BENCHMARKS.md)"
	@echo "make load   – gunicorn + PostgreSQL under locust for 60 s (see docs/BENCHMARKS.md)"
	@echo "make screenshots – the demo in Chromium, one PNG per step (docs/WALKTHROUGH.md)"
	@echo "make messages – refresh and compile the Spanish catalogue"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip

$(VENV)/.installed-run: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e ".[test]"
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	HAVEN_ENV=development $(BIN)/python manage.py migrate --noinput -v0
	HAVEN_ENV=development $(BIN)/python manage.py seed_demo
	HAVEN_ENV=development $(BIN)/python manage.py ensure_org_keys
	HAVEN_ENV=development $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# axe-core for the browser tests' accessibility checks; without npm they are skipped.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the automated accessibility checks will be skipped"; fi

# Tests run on every core (pytest-xdist; each worker has its own test database).
PYTEST_WORKERS ?= auto
test: $(VENV)/.installed-test node_modules/.installed
	HAVEN_ENV=test $(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# API fuzzing (schemathesis, tests/fuzz/) at length: a random seed, printed so that a failure
# can be replayed (HAVEN_FUZZ_SEED=<seed> make fuzz), more generated cases per operation
# (HAVEN_FUZZ_EXAMPLES), and every boundary case for every role. `make test` runs the same
# tests, shorter and derandomised.
HAVEN_FUZZ_EXAMPLES ?= 100
fuzz: $(VENV)/.installed-test
	@seed=$${HAVEN_FUZZ_SEED:-$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}; \
	echo "fuzzing with seed $$seed"; \
	HAVEN_ENV=test HAVEN_FUZZ_SEED=$$seed HAVEN_FUZZ_EXAMPLES=$(HAVEN_FUZZ_EXAMPLES) \
		HAVEN_FUZZ_COVERAGE=all $(BIN)/pytest tests/fuzz -p no:cacheprovider -rP \
		--hypothesis-seed=$$seed $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	HAVEN_ENV=development $(BIN)/mypy .
	HAVEN_ENV=development $(BIN)/python manage.py makemigrations --check --dry-run

fmt: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed-test
	HAVEN_ENV=development $(BIN)/python -m bench $(BENCH_ARGS)

# Needs PostgreSQL and Redis on this machine (LOAD_DATABASE_URL, LOAD_REDIS_URL; see bench/load.py).
load: $(VENV)/.installed-test
	$(BIN)/python -m bench.load $(LOAD_ARGS)

# Needs Debian's chromium; writes docs/walkthrough/*.png and docs/WALKTHROUGH.md.
screenshots: $(VENV)/.installed-test
	$(BIN)/python docs/screenshots.py $(SCREENSHOTS_ARGS)

# Translations: refresh the catalogue from the code, then compile it (both are committed).
messages: $(VENV)/.installed-test
	HAVEN_ENV=development $(BIN)/python manage.py makemessages -l es --add-location=file \
		--no-wrap --ignore=.venv --ignore=var --ignore=node_modules --ignore=haven.egg-info
	HAVEN_ENV=development $(BIN)/python manage.py compilemessages -l es --ignore=.venv

clean:
	rm -rf $(VENV) var node_modules .pytest_cache .mypy_cache .ruff_cache
