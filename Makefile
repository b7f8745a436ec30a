# flowgraph — the two commands a newcomer runs: `make report` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
SAMPLE := data/sample

.PHONY: report test lint clean sample bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files re-run the install when pyproject.toml changes.
$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,spark,leiden]'
	touch $@ $(VENV)/.installed-base

report: $(VENV)/.installed-base
	$(BIN)/flowgraph analyze $(SAMPLE)/logs --inventory $(SAMPLE)/inventory.csv --out reports/sample

test: $(VENV)/.installed-test
	bash tests/setup_system.sh
	$(BIN)/python -m pytest -q --numprocesses=auto --maxprocesses=2

lint: $(VENV)/.installed-test
	$(BIN)/ruff check flowgraph tests benchmarks
	$(BIN)/mypy flowgraph

clean:
	rm -rf $(VENV) reports .pytest_cache
