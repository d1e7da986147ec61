# signlang: the two commands are `make notebook` (the study) and `make test`.
# Both set the project up first (scripts/setup.sh: idempotent, project-local).

SHELL := /bin/bash
PY := .venv/bin/python
# The project's own venv comes first, so cargo's build scripts and Jupyter find it.
export PATH := $(CURDIR)/.venv/bin:$(PATH)
# Jupyter's runtime files and settings stay inside the project too.
export JUPYTER_RUNTIME_DIR := $(CURDIR)/.venv/share/jupyter/runtime
export JUPYTER_CONFIG_DIR := $(CURDIR)/.venv/etc/jupyter-config

.PHONY: setup notebook test lint lab release clean-cache structure

setup:
	@bash scripts/setup.sh

release: setup
	cargo build --release -p signlang-cli

# Field photos for the notebook's field check (measuring only), when the folder exists.
FIELD_DIR := $(abspath $(CURDIR)/../shared/field/roboflow-handcrop)
FIELD_ENV := $(if $(wildcard $(FIELD_DIR)/*),SIGNLANG_FIELD_DIR=$(FIELD_DIR),)

# Real training photos for the app notebook's learning curve (adapting only), when the folder exists.
ADAPT_DIR := $(abspath $(CURDIR)/../shared/field/roboflow-train-handcrop)
ADAPT_ENV := $(if $(wildcard $(ADAPT_DIR)/*),SIGNLANG_ADAPT_DIR=$(ADAPT_DIR),)

## The study: execute notebooks/assignment.ipynb, then notebooks/app.ipynb (real photos, the
## unsure rule, the learning curve; same study folder and budget) headless, in place, with HTML.
## Sets SIGNLANG_FIELD_DIR and SIGNLANG_ADAPT_DIR to the ../shared/field folders when they exist.
notebook: setup
	$(FIELD_ENV) $(PY) scripts/run_notebook.py notebooks/assignment.ipynb --html notebooks/assignment.html --in-place
	$(FIELD_ENV) $(ADAPT_ENV) $(PY) scripts/run_notebook.py notebooks/app.ipynb --html notebooks/app.html --in-place

lint: setup
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	# The library as the notebook kernel builds it (without the polars feature).
	cargo clippy -p signlang --no-default-features -- -D warnings
	# No import cycle between the library's files or top-level modules, no file over 400
	# lines of code, no function over 60 (issue 21; `make structure` lists them).
	python3 scripts/check_structure.py --modules

## The tests: formatting, lints, unit and integration tests, and a quick-mode notebook run.
test: lint
	cargo test --workspace
	# Tests that need the project venv's Python (ignored by a plain `cargo test`).
	# --workspace keeps the features of the build above: `-p signlang` alone
	# resolves other features and rebuilt 26 crates (4 min in CI).
	cargo test --workspace --test export_torchscript -- --ignored
	SIGNLANG_QUICK=1 $(PY) scripts/run_notebook.py notebooks/assignment.ipynb \
		--html target/notebook-smoke/assignment.html --check
	SIGNLANG_QUICK=1 $(FIELD_ENV) $(ADAPT_ENV) $(PY) scripts/run_notebook.py notebooks/app.ipynb \
		--html target/notebook-smoke/app.html --check

## The library's structure: import cycles between files and modules, files over 400 lines
## of code, functions over 60 (scripts/check_structure.py, Python stdlib only). Report mode;
## `lint` fails on any of them (`--modules`).
structure:
	python3 scripts/check_structure.py --self-test
	python3 scripts/check_structure.py --report

## Deletes the evaluation caches (runs/*/cache, runs/cache): entries of older library builds are
## never read again but stay on disk. The studies' ledgers and weights are kept.
clean-cache:
	rm -rf runs/*/cache runs/cache

## JupyterLab on the project's kernel.
lab: setup
	.venv/bin/jupyter lab notebooks/
