# spectral_inr — every target does its own set-up (venv + editable install).
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
PROFILE ?= quick
STAMP   := $(VENV)/.installed

.PHONY: setup test test-all demo clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: setup
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

test-all: setup
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m ''

demo: setup
	$(BIN)/spectral-inr demo --out results/demo

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
