# Two commands for a newcomer: `make demo` and `make test`. Both set up the virtualenvs themselves.
# `make test` lints once, then runs the suite on both lines of the Functions Python library that Flex Consumption
# runs: PYTHON (3.11 or 3.12, azure-functions 1.x) and PYTHON313 (azure-functions 2.x, where tests/runtime313 runs
# the app inside the real worker library and must not be skipped).
PYTHON ?= python3
# pyenv's newest 3.13.x (pyenv need not be on PATH), else a python3.13 on PATH that runs (pyenv's shim for a version
# that is not selected does not).
ifndef PYTHON313
PYENV_ROOT_DIR := $(shell pyenv root 2>/dev/null || echo "$${PYENV_ROOT:-$$HOME/.pyenv}")
PYTHON313 := $(or $(shell ls -d "$(PYENV_ROOT_DIR)"/versions/3.13.*/bin/python3.13 2>/dev/null \
	| grep -E '/versions/3\.13\.[0-9]+/' | sort -V | tail -n 1),$(shell python3.13 -c 'import sys; print(sys.executable)' 2>/dev/null))
endif
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENV313 := $(VENV)/py313
STAMP313 := $(VENV313)/.installed
NODE_DEPS := node_modules/.package-lock.json
CHECKOV := $(VENV)/checkov/bin/checkov

.PHONY: demo test lint bench clean python313

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

$(STAMP313): requirements.txt requirements-dev.txt
	@test -n "$(PYTHON313)" || { echo "error: no Python 3.13 found (pyenv versions, python3.13 on PATH): run 'pyenv install 3.13' or pass PYTHON313=/path/to/python3.13" >&2; exit 2; }
	@$(PYTHON313) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' || { echo "error: PYTHON313=$(PYTHON313) is not Python 3.13" >&2; exit 2; }
	$(PYTHON313) -m venv $(VENV313)
	$(VENV313)/bin/python -m pip install --quiet --upgrade pip
	$(VENV313)/bin/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP313)

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
	$(BIN)/python -m demo

lint: $(STAMP) $(CHECKOV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(CHECKOV) -d infra --framework bicep --quiet --compact --skip-download

test: lint $(NODE_DEPS) $(STAMP313)
	@$(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] >= (3, 13))' || { echo "error: $(VENV) runs Python 3.13, so azure-functions 1.x would go untested: make clean, then make test PYTHON=python3.11" >&2; exit 2; }
	$(BIN)/python -m pytest
	TESTS_REQUIRE_WORKER_RUNTIME=1 $(VENV313)/bin/python -m pytest

# The interpreter `make test` uses for its 3.13 run (empty when none is found); .ci/run asks before installing one.
python313:
	@echo $(PYTHON313)

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) node_modules .demo .pytest_cache .mypy_cache .ruff_cache .hypothesis
