# Daybook's developer commands. `make test` takes a bare clone with only Python 3.11+ to a
# passing suite: it bootstraps uv into .tools/, syncs the workspace into .venv/, runs pytest.
# Each target is declared .PHONY on its own line, so more can be appended below.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV ?= $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

# Only package registries are reachable: never let uv try to download a Python build.
export UV_PYTHON_DOWNLOADS := never

$(TOOLS)/bin/uv:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.PHONY: sync
sync: $(UV)  ## install the workspace and its dev tools into .venv, exactly as uv.lock says
	$(UV) sync --all-packages --frozen

.PHONY: test
test: sync  ## run every test (NATS and PostgreSQL: from NATS_URL/DATABASE_URL, else started)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

.PHONY: lint
lint: sync  ## ruff (lint and format) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared/src $(wildcard services/*/src) cli/src

.PHONY: help
help:  ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-zA-Z_-]+):.*## /\1\t/' | sort

.PHONY: bench-appraisal
bench-appraisal: sync  ## appraisal projection vs raw fetch+ack, and a rebuild from 1M events
	$(BIN)/python services/appraisal/bench/bench_appraisal.py

.PHONY: asyncapi
asyncapi: sync  ## write each service's AsyncAPI document to docs/asyncapi/<service>.json
	$(BIN)/python -m daybook_shared.runtime.asyncapi

.PHONY: schemas
schemas: sync  ## record new event versions in the contract snapshot (refuses breaking changes)
	$(BIN)/python -m daybook_shared.contracts.snapshot --write

.PHONY: demo
demo: sync  ## the whole system on this machine: a simulated month, its appraisal, build/demo/summary.json
	$(BIN)/daybook demo $(DEMO_ARGS)

.PHONY: bench
bench: sync  ## the benchmark suite against raw drivers, eventsourcing and bare FastAPI (BENCH_QUICK=1: a few minutes)
	$(BIN)/python bench/run.py

.PHONY: bench-kit
bench-kit: sync  ## the kit against raw asyncpg and raw nats-py, writing build/bench/kit.json
	$(BIN)/python bench/kit.py
