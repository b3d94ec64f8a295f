# Two commands for a newcomer: `make demo` and `make test`. Both set up the virtualenv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_DEPS := node_modules/.package-lock.json
CHECKOV := $(VENV)/checkov/bin/checkov

.PHONY: demo test lint bench clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

$(NODE_DEPS): package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $(NODE_DEPS)

# checkov lives in its own virtualenv: it pins packaging<24 and pycep-parser==0.5.1 (see infra/requirements-checkov.txt).
$(CHECKOV): infra/requirements-checkov.txt
	$(PYTHON) -m venv $(VENV)/checkov
	$(VENV)/checkov/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/checkov/bin/python -m pip install --quiet -r infra/requirements-checkov.txt
	touch $(CHECKOV)

demo: $(STAMP) $(NODE_DEPS)
	$(BIN)/python -m monitors demo

lint: $(STAMP) $(CHECKOV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(CHECKOV) -d infra --framework bicep --quiet --compact --skip-download

test: lint $(NODE_DEPS)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/scaleout.py

clean:
	rm -rf $(VENV) node_modules .demo .pytest_cache .mypy_cache .ruff_cache .hypothesis
