# The two commands: `make run` and `make test`. Both create the environment first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: setup run test dev demo validate-demo benchmark clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

setup: $(STAMP)

## Load the inbox (demo batches on a fresh clone), rebuild the marts and the reports, open them.
run: setup
	$(BIN)/outcomes run --open

## Every test: unit, SQL models, assets, end to end, notebook, R cross-check, browser.
test: setup
	$(BIN)/pytest

## The Dagster UI on the same definitions (http://127.0.0.1:3000).
dev: setup
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/dagster dev -w workspace.yaml

demo: setup
	$(BIN)/outcomes demo

benchmark: setup
	$(BIN)/python benchmarks/run_benchmark.py

clean:
	rm -rf data reports .dagster_home .pytest_cache
