# Two commands on a fresh machine: `make run` and `make test`. Both create .venv when it is
# missing and reinstall only when pyproject.toml or constraints.txt changed.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CORPUS ?= corpus
PYTEST_ARGS ?=

.PHONY: run test test-quick ingest eval bench load install clean-store

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first, from its CPU wheel: any other order lets pip pull a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,browser]'
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m ingest $(CORPUS)
	$(PY) ui.py

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# The quick subset: no model, no browser, no servers.
test-quick: $(STAMP)
	$(PY) -m pytest -m "not slow and not browser and not server and not crash and not fault" $(PYTEST_ARGS)

ingest: $(STAMP)
	$(PY) -m ingest $(CORPUS)

eval: $(STAMP)
	$(PY) -m evals run --report reports/dev

bench: $(STAMP)
	$(PY) -m evals bench

clean-store:
	rm -rf data/chroma
