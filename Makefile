# Every target sets up .venv itself, so `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
CODE := gldash_static tests bench scripts

.PHONY: demo test lint format bench docs clean ci-local screenshot

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

# axe-core and the Nu HTML checker for the browser tests; skipped where npm is missing.
$(NODE_STAMP): package-lock.json
	if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --loglevel=error && touch $(NODE_STAMP); \
	fi

demo: $(STAMP)
	$(BIN)/gldash demo

test: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest -n 2 --dist worksteal -q

lint: $(STAMP)
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format $(CODE)
	$(BIN)/ruff check --fix $(CODE)

docs: $(STAMP)
	$(BIN)/python -m gldash_static.config.docs > docs/configuration.md
	$(BIN)/python -m gldash_static.snapshot_schema > docs/snapshot.schema.json

bench: $(STAMP)
	$(BIN)/python -m bench

# docs/screenshots/: the pages of a demo organisation with a week of history (issue 16).
screenshot: $(STAMP)
	rm -rf .demo-shots
	$(BIN)/gldash demo --no-serve --dir .demo-shots --days 7
	$(BIN)/python scripts/screenshot.py --site .demo-shots/public

clean:
	rm -rf $(VENV) node_modules public .demo .demo-shots .pytest_cache build dist *.egg-info

# The .gitlab-ci.yml job scripts, run as written against the simulator (see docs/deploy.md).
ci-local: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest -q -s tests/ci
	$(BIN)/python scripts/ci_local.py
