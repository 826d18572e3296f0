# Two commands on a fresh machine: `make run` and `make test`. Both create .venv when it is
# missing and reinstall only when pyproject.toml or constraints.txt changed.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CORPUS ?= corpus
PYTEST_ARGS ?=

.PHONY: run test test-quick ingest eval eval-compare bench load install clean-store

install: $(STAMP)

# torch first, from its CPU wheel: any other order lets pip pull a multi-GB CUDA build.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
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

# Evaluation on the dev set (evals/questions/dev.jsonl) over the store `make ingest` builds:
# reports/latest/{metrics.json,results.jsonl,report.html}. eval-compare adds the ablations.
eval: $(STAMP)
	$(PY) -m ingest $(CORPUS) --quiet
	$(PY) -m evals run --report reports/latest

eval-compare: $(STAMP)
	$(PY) -m ingest $(CORPUS) --quiet
	$(PY) -m evals run --compare --report reports/compare

# Builds its own temp stores; about 5-10 minutes on 2 cores (BENCH_ARGS=--quick for a smaller scale run).
BENCH_ARGS ?=
bench: $(STAMP)
	$(PY) -m evals bench --report reports/bench $(BENCH_ARGS)

# Bounded load test of a running server (`make run` in another terminal): 50 clients for 60 s by
# default, loopback only; prints requests, errors, p50/p95. LOAD_ARGS="--clients 10 --duration 20".
LOAD_ARGS ?=
load: $(STAMP)
	$(PY) scripts/load.py $(LOAD_ARGS)

clean-store:
	rm -rf data/chroma
