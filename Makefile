# Two commands do everything on a fresh machine: `make demo` and `make test`.
# Each installs what it needs first into a project-local .venv, from pinned versions.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export AIRFLOW_HOME := $(CURDIR)/.airflow
export DDSS_HOME := $(CURDIR)

help:
	@echo "make demo    - install, generate the feeds, run the Airflow DAG end to end, publish public/"
	@echo "make test    - install and run the whole test suite"
	@echo "make lint    - ruff (lint + format), mypy, sqlfluff on dbt_project/ (CI runs it first)"
	@echo "make fast    - the tests not marked slow (the inner loop, about 15 s)"
	@echo "make bench   - throughput of ingest, dbt, validation and publish; validation vs SQL floor"
	@echo "make chaos   - the fault and attack campaign: cases tried / held / failed, rows lost (0)"
	@echo "make demo-lake - the demo on DuckLake (PostgreSQL catalog, Parquet data) instead of the DuckDB file"
	@echo "make airflow - airflow standalone on 127.0.0.1:8080 with the project's DAGs"
	@echo "make serve   - the portal and the read-only query API (/api/v1/) on http://127.0.0.1:8000"
	@echo "make steward - the steward workspace on http://127.0.0.1:8001 (demo accounts printed)"

$(STAMP): pyproject.toml demo/pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip==25.3"
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]" -e ./demo
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/ddss demo

test: $(STAMP) browser postgres
	$(BIN)/python -m pytest tests

fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -q tests

# The dbt templater compiles the project: it needs a profile target, not data.
SQLFLUFF_WAREHOUSE := $(CURDIR)/dbt_project/target/sqlfluff.duckdb
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	mkdir -p dbt_project/target
	DDSS_WAREHOUSE=$(SQLFLUFF_WAREHOUSE) $(BIN)/sqlfluff lint dbt_project

# Debian's chromium and chromium-driver for the portal's browser test (root, or sudo).
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null \
	  || echo "could not install chromium: the browser test will be skipped (it fails under CI)"; \
	fi

# Debian's PostgreSQL 15 for the lake mode's catalog and Airflow's metadata in the tests.
postgres:
	@if ! command -v initdb >/dev/null && [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql-15 >/dev/null \
	  || echo "could not install postgresql-15: the lake tests will be skipped (they fail under CI)"; \
	fi

# The demo on DuckLake: a local PostgreSQL (catalog) and Parquet files (data) under data/lake/.
demo-lake: $(STAMP) postgres
	DDSS_MODE=lake $(BIN)/ddss demo

# The fault and attack campaign: cases tried / held / failed per group, then the totals.
chaos: $(STAMP) browser
	$(BIN)/python -m pytest tests/chaos -q -p no:cacheprovider -m "slow or not slow"

bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/publish_bench.py
	$(BIN)/python bench/dbt_bench.py --scale 10
	$(BIN)/python bench/api_latency.py

airflow: $(STAMP)
	$(BIN)/ddss airflow-ui

serve: $(STAMP)
	$(BIN)/ddss serve

# The steward workspace on 127.0.0.1:8001, a demo account per department printed at start;
# deadlines judged as of the demo's run date unless DDSS_STEWARD_AS_OF says otherwise.
steward: $(STAMP)
	DDSS_STEWARD_AS_OF=$${DDSS_STEWARD_AS_OF:-2022-08-11} $(BIN)/ddss steward --demo-accounts

# Published versions and raw files are read-only by design: make them writable first, so
# that clean works for a non-root owner too.
clean:
	for d in data/landing data/raw data/warehouse data/reports public .airflow; do \
	  [ -e "$$d" ] && chmod -R u+w "$$d"; rm -rf "$$d"; done; true

.PHONY: help install demo demo-lake test fast lint bench chaos airflow serve steward clean browser postgres
