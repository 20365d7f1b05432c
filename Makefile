# The commands of the README: `make run`, `make test` and `make check`.
# Everything else here exists to make those work on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PY_SRC := gateway schema tests examples $(wildcard bench)

.PHONY: run test check install lint typecheck schema settings-doc bench bench-plot clean

# Fragments under mk/ add their own targets and append to TEST_DEPS / RUN_DEPS
# (GraphiQL assets, redis-server, chromium), so each concern stays in one file.
.DEFAULT_GOAL := run
TEST_DEPS :=
RUN_DEPS :=
-include mk/*.mk

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP) $(RUN_DEPS)
	$(BIN)/session-gateway serve --sandbox

lint: $(STAMP)
	$(BIN)/ruff check $(PY_SRC)
	$(BIN)/ruff format --check $(PY_SRC)

typecheck: $(STAMP)
	$(BIN)/mypy

schema: $(STAMP)
	$(BIN)/session-gateway export-schema > schema/schema.graphql

# The settings table of docs/configuration.md, rendered from gateway/config.py
# (a unit test fails when the two differ).
settings-doc: $(STAMP)
	$(BIN)/python -m gateway.settings_doc docs/configuration.md

test: $(STAMP) $(TEST_DEPS)
	$(BIN)/ruff check $(PY_SRC)
	$(BIN)/ruff format --check $(PY_SRC)
	$(BIN)/mypy
	$(BIN)/pytest

# After every change, in under a minute: lint, types and the tests marked inprocess.
check: $(STAMP)
	$(BIN)/ruff check $(PY_SRC)
	$(BIN)/ruff format --check $(PY_SRC)
	$(BIN)/mypy
	$(BIN)/pytest -m inprocess

# Benchmarks print tables (not tests): a few minutes each, on loopback only.
bench: $(STAMP)
	$(BIN)/python bench/overhead.py
	$(BIN)/python bench/hop.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/payloads.py
	$(BIN)/python bench/subscriptions.py
	$(BIN)/python bench/plot.py

bench-plot: $(STAMP)
	$(BIN)/python bench/plot.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
