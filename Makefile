# ushadow-ops: the two commands people need are `make demo` and `make test`.
# `make conformance CORPUS=<folder>` checks the compose code against an external corpus (CI runs both).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test conformance corpus-given install lint unit bench clean-cluster

$(STAMP): pyproject.toml
	@echo "installing Python packages into $(VENV) (the first run takes 1-2 minutes; log: $(VENV)/install.log)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip > $(VENV)/install.log 2>&1 || { cat $(VENV)/install.log; exit 1; }
	@$(BIN)/python -m pip install --quiet -e '.[dev]' >> $(VENV)/install.log 2>&1 || { cat $(VENV)/install.log; exit 1; }
	@touch $(STAMP)
	@echo "Python packages installed"

# Our own modules' bytecode, written once here: where PYTHONDONTWRITEBYTECODE is set (as on CI), Python
# would otherwise compile every module it imports from source in every process (70 ms of `render`).
# Up-to-date files are skipped, so this costs a second when nothing changed.
install: $(STAMP)
	@$(BIN)/python -m compileall -q -j 0 core pages bench conformance dashboard.py serve.py > /dev/null

## Start the local control plane with sample infrastructure, register it, run the dashboard.
demo: install
	$(BIN)/python -m core.localcluster.demo
	$(BIN)/streamlit run serve.py

## Lint, type-check, build (or reuse) the control plane, and run every test.
test: install
	bash scripts/system-deps.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/ushadow-ops local-cluster build --real-node
	$(BIN)/pytest

## The conformance suite (conformance/): the compose loader, registry, catalog and compiler against an
## external compose corpus, e.g. `make conformance CORPUS=../shared/corpus`. Needs nothing else of `make test`.
## It also installs checkov (a second judge, PyPI, pinned; own virtualenv: its pins clash with ours)
## and builds kompose v1.38.0 from the Go module proxy's source (to compare with), once each.
CHECKOV_VERSION := 3.3.30
CHECKOV := $(VENV)/checkov/bin/checkov

conformance: corpus-given install $(CHECKOV)
	$(BIN)/ushadow-ops local-cluster build
	$(BIN)/python -c 'from conformance.judges import kompose_binary; print("kompose:", kompose_binary())'
	USHADOW_CORPUS="$(abspath $(CORPUS))" $(BIN)/pytest conformance

$(CHECKOV): Makefile
	@echo "installing checkov $(CHECKOV_VERSION) into $(VENV)/checkov (first run: a few minutes; log: $(VENV)/checkov-install.log)"
	@test -x $(VENV)/checkov/bin/python || $(PYTHON) -m venv $(VENV)/checkov
	@$(VENV)/checkov/bin/python -m pip install --quiet 'checkov==$(CHECKOV_VERSION)' > $(VENV)/checkov-install.log 2>&1 || { cat $(VENV)/checkov-install.log; exit 1; }
	@touch $(CHECKOV)

corpus-given:
	@if [ -z "$(CORPUS)" ]; then \
		echo "make conformance: CORPUS is not set; pass the corpus folder, e.g. make conformance CORPUS=../shared/corpus" >&2; \
		exit 2; \
	fi
	@if [ ! -d "$(CORPUS)" ]; then \
		echo "make conformance: CORPUS=$(CORPUS) is not a folder; pass the compose corpus folder, e.g. CORPUS=../shared/corpus" >&2; \
		exit 2; \
	fi

bench: install
	$(BIN)/python -m bench

clean-cluster:
	-$(BIN)/ushadow-ops local-cluster down
