# Every target sets up .venv itself, so `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench docs clean ci-local screenshot

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/gldash demo

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check gldash_static tests bench
	$(BIN)/ruff format --check gldash_static tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format gldash_static tests bench
	$(BIN)/ruff check --fix gldash_static tests bench

docs: $(STAMP)
	$(BIN)/python -m gldash_static.config.docs > docs/configuration.md
	$(BIN)/python -m gldash_static.snapshot_schema > docs/snapshot.schema.json

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) public .pytest_cache build dist *.egg-info

# The .gitlab-ci.yml job scripts, run as written against the simulator (see docs/deploy.md).
ci-local: $(STAMP)
	$(BIN)/python -m pytest -q -s tests/ci
