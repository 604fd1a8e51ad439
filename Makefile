# Haven — the two commands a new user needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: run test lint fmt bench seed messages clean help

help:
	@echo "make run    – set up and serve the demo on http://127.0.0.1:$(PORT)/"
	@echo "make test   – set up and run the whole test suite (DATABASE_URL picks the database)"
	@echo "make lint   – ruff, mypy and the migrations check"
	@echo "make bench  – benchmarks (see docs/BENCHMARKS.md)"

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
	HAVEN_ENV=development $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(VENV)/.installed-test
	HAVEN_ENV=test $(BIN)/pytest $(PYTEST_ARGS)

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

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
