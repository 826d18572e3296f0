# Two commands on a fresh machine: `make run` and `make test`. Both create .venv when it is
# missing and reinstall only when pyproject.toml or constraints.txt changed.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CORPUS ?= corpus
PYTEST_ARGS ?=

.PHONY: run test test-quick ingest eval eval-compare bench load install clean-store browser train cv

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

test: $(STAMP) browser
	$(PY) -m pytest $(PYTEST_ARGS)

# The browser tests drive Debian's chromium: installed here, so `make test` is the whole set-up.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then echo "installing Debian's chromium for the browser tests"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "The browser tests need Debian's chromium: run 'sudo apt-get install chromium', or skip them with PYTEST_ARGS='-m \"not browser\"'" >&2; exit 1; fi; }

# The quick subset: no model, no browser, no servers.
test-quick: $(STAMP)
	$(PY) -m pytest -m "not slow and not browser and not server and not crash and not fault" $(PYTEST_ARGS)

ingest: $(STAMP)
	$(PY) -m ingest $(CORPUS)

# Evaluation on the dev + train questions (evals/questions/) over the store `make ingest` builds:
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

# The answer model (assistant/answering/answer_model.json) from the dev + train questions, and
# its grouped 5-fold cross-validated figures (reports/cv).
train: $(STAMP)
	$(PY) -m ingest $(CORPUS) --quiet
	$(PY) -m evals train

cv: $(STAMP)
	$(PY) -m ingest $(CORPUS) --quiet
	$(PY) -m evals cv --report reports/cv

clean-store:
	rm -rf data/chroma
