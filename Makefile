# spectral_inr — every target does its own set-up (venv + editable install).
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
PROFILE ?= quick
STAMP   := $(VENV)/.installed

.PHONY: setup test test-all docs wheel-check demo bench bench-gpu device-check exp-all exp-kodak-gpu tables clean

setup: $(STAMP)

$(STAMP): pyproject.toml spectral_inr/_version.py
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: setup
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

test-all: setup
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m ''

# API reference + guides (mkdocs.yml) into site/, offline, warnings as errors; open site/index.html
DOCS_STAMP := $(VENV)/.docs-installed

$(DOCS_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[docs]'
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs build --strict

# sdist + wheel, the wheel installed into a fresh venv (not editable) and run from outside the tree
wheel-check:
	bash scripts/wheel_check.sh

demo: setup
	$(BIN)/spectral-inr demo --out results/demo

# Benchmarks (PyTorch reference is a benchmark-only extra: the CPU wheel of torch 2.13.0)
bench: setup
	$(BIN)/pip install --quiet torch==2.13.0
	MPLBACKEND=Agg $(BIN)/python -m benchmarks.run $(BENCH_ARGS)

# One GPU (e.g. an H200 with jax+CUDA and torch, no network): step vs torch CUDA, TF32, K=5000 fields, Kodak time
bench-gpu:
	bash benchmarks/gpu.sh $(DATA)

# One GPU, ten minutes (docs/device_check.md): pytest -m device, step vs torch, TF32, K=5000 fields, Kodak probe
device-check:
	bash scripts/device_check.sh $(DATA)

# Reproductions: make exp-kodak PROFILE=quick|official|paper|cpu (profiles: spectral_inr/protocols; data: $$SPECTRAL_INR_DATA, else ../shared/data)
DATA ?= $(or $(SPECTRAL_INR_DATA),$(abspath ../shared/data))
EXPERIMENTS := kodak audio mnist dft spectra video volume poisson

exp-%: setup
	SPECTRAL_INR_DATA=$(DATA) MPLBACKEND=Agg $(BIN)/python -m experiments.$* --profile $(PROFILE)

exp-all: $(addprefix exp-,$(EXPERIMENTS))

# One GPU (e.g. an H200 with jax+CUDA, no network): official TUNER protocol on all 24 Kodak images
exp-kodak-gpu:
	bash experiments/gpu_kodak.sh $(DATA)

# Every results table of README.md and docs/*.md, regenerated from results/*.json (tests/test_docs_tables.py checks them)
tables: setup
	$(BIN)/python -m experiments.tables

clean:
	rm -rf $(VENV) .pytest_cache build dist site *.egg-info
