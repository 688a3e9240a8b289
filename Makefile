# Two commands for newcomers: `make run` (local stack with demo data) and `make test` (every test).
# Setup is incremental: stamps make a second run skip what has not changed.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PY_STAMP   := $(VENV)/.setup-stamp
NODE_STAMP := node_modules/.setup-stamp
WEB_STAMP  := web/vendor/.setup-stamp
PYTEST_ARGS ?=

.PHONY: setup run test test-fast bench lint clean

setup: $(PY_STAMP) $(NODE_STAMP) $(WEB_STAMP)

$(PY_STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(WEB_STAMP): $(NODE_STAMP) scripts/vendor_web.py
	$(PY) scripts/vendor_web.py
	@touch $@

run: setup
	$(PY) -m devhost --demo

test: setup
	$(PY) -m ruff check .
	$(PY) -m pytest -q $(PYTEST_ARGS)

test-fast: setup
	$(PY) -m pytest -q tests/unit

bench: setup
	$(PY) bench/run_all.py

lint: setup
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) node_modules web/vendor test-artifacts .pytest_cache
