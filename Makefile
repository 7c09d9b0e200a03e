# The two commands: `make run` and `make test`. Everything else is a step they call.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
STAMP := $(VENV)/.installed
MODEL := models/current.tar.gz
# The pretrained sentence encoder's files (pinned wheel, sha256-checked; bot/nlu/encoder.py).
ENCODER := $(VENV)/encoder/all-MiniLM-L6-v2/model.safetensors
# pip prints a warning for each configured local index folder that does not exist here.
QUIET_PIP := grep -v --line-buffered '^WARNING: Location' || true

export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 2
# Rasa 3.6's dependencies print many deprecation warnings that say nothing about this project.
export PYTHONWARNINGS := ignore

TRAIN_INPUTS := config.yml domain.yml $(shell find data bot/nlu -name '*.yml' -o -name '*.py' 2>/dev/null)

.PHONY: help setup system train run test lint validate test-stories pytest eval clean

help:
	@echo "make run    set up if needed, train if needed, start the assistant"
	@echo "make test   set up if needed, run every check"
	@echo "make eval   entity extraction scores, and held-out questions against a live bot"
	@echo "make check  lint and the fast tests (the inner loop, under a minute)"

setup: system $(STAMP) $(ENCODER)

# Debian packages (chromium for browser tests, nginx for the production profile), as root.
system:
	@scripts/install-system-packages

$(ENCODER): scripts/install-encoder | $(STAMP)
	@$(PY) scripts/install-encoder $(PY) $(VENV)/encoder/all-MiniLM-L6-v2
	@touch $@

$(STAMP): pyproject.toml scripts/find-python310
	@echo "==> Setting up Python 3.10 virtual environment in $(VENV) (first time: about 3 minutes)"
	@test -x $(PY) || "$$(scripts/find-python310)" -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip 'setuptools>=70.3,<70.4' 'wheel<0.46' 2>&1 | $(QUIET_PIP)
	@echo "==> Installing dependencies from pyproject.toml"
	@$(PY) -m pip install -q -e '.[dev]' 2>&1 | $(QUIET_PIP)
	@$(PY) -m pip check
	@touch $@

# The public page's chat widget: socket.io-client (served) and axe-core (browser tests) from
# npm, pinned by web/widget/package-lock.json; nothing is fetched at run time (docs/widget.md).
WIDGET_ASSETS := bot/web/public/vendor/socket.io.min.js
.PHONY: widget
widget: $(WIDGET_ASSETS)

$(WIDGET_ASSETS): web/widget/package.json web/widget/package-lock.json scripts/install-widget-assets
	@scripts/install-widget-assets
	@touch $@

train: $(MODEL)

# The venv is an order-only prerequisite: reinstalling packages alone does not retrain.
$(MODEL): $(TRAIN_INPUTS) | $(STAMP) $(ENCODER)
	@echo "==> Training the assistant (first time: about 4 minutes; later only what changed)"
	@$(RASA) train --fixed-model-name current
	@touch $@

run: system $(STAMP) $(ENCODER) $(MODEL) $(WIDGET_ASSETS)
	@$(PY) -m bot run

# Production profile on this machine: PostgreSQL + Redis stores, 2 Rasa and 2 action server
# replicas behind nginx on LB_PORT (8000). Settings: docs/kubernetes.md. Ctrl-C stops it all.
.PHONY: run-prod
run-prod: system $(STAMP) $(ENCODER) $(MODEL) $(WIDGET_ASSETS)
	@ASSISTANT_PROFILE=production $(PY) -m bot run

lint: $(STAMP)
	@echo "==> ruff (lint, format) and mypy"
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy bot actions evaluation

# The inner loop: lint plus the fast tests (no live bot, browser, production profile, database
# server, web app, trained model, sentence encoder, training or other process; the selection is
# `--fast` in tests/conftest.py, marker exclusion from what each test uses). Measured
# 2026-12-01 on this 2-core machine: about 37 s of CPU (ruff 0.1 s and mypy 1.6 s with warm
# caches; pytest 1264 passed, 55 skipped as slow: 35 s, a third of it collecting), so under a
# minute when the cores are free; 1 min 55 s wall while other engineers' suites kept the load
# average at 10.
.PHONY: check
check: $(STAMP)
	@echo "==> ruff (lint, format), mypy and the fast tests"
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy bot actions evaluation
	@$(PY) -m pytest -q --fast

validate: $(STAMP)
	@echo "==> rasa data validate"
	@$(PY) -m pytest -q tests/test_data_validate.py

test-stories: $(MODEL)
	@echo "==> rasa test (test stories)"
	@mkdir -p var/log
	@$(RASA) test core --model $(MODEL) --stories tests/stories --fail-on-prediction-errors \
		--out var/results > var/log/rasa-test.log 2>&1 \
		|| { tail -n 40 var/log/rasa-test.log; echo 'rasa test failed: see var/results/failed_test_stories.yml'; exit 1; }
	@grep -hE 'Correct:|Accuracy:' var/log/rasa-test.log | head -n 4

# Two worker processes, each taking whole test files (its own live stack and ports:
# tests/conftest.py): one process mostly waits on the bot, so a second keeps both cores busy.
PYTEST_WORKERS ?= 2
pytest: $(ENCODER) $(MODEL) $(WIDGET_ASSETS)
	@echo "==> pytest (unit, live bot over HTTP, held-out questions; $(PYTEST_WORKERS) workers)"
	@$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile

test: system lint test-stories pytest

eval: $(MODEL)
	@echo "==> Entity extraction (tests/nlu/entity_testset.yml)"
	@$(PY) -m evaluation.entities
	@echo "==> Held-out patient questions against a live bot"
	@$(PY) -m evaluation.faq_heldout

# NLU 3-fold cross-validation over data/nlu (as RasaHQ's rasa-demo CI does): intent and
# response-selector reports in var/results/nlu-cv/. Trains three times (about 12 minutes on
# 2 cores); not in `make test`.
.PHONY: nlu-cv
nlu-cv: $(STAMP) $(ENCODER)
	@echo "==> NLU cross-validation (3 folds)"
	@mkdir -p var/results/nlu-cv
	@$(RASA) test nlu --nlu data --config config.yml --cross-validation --folds 3 \
		--out var/results/nlu-cv > var/results/nlu-cv/log.txt 2>&1 \
		|| { tail -n 30 var/results/nlu-cv/log.txt; exit 1; }
	@$(PY) -m evaluation.nlu_cv_report var/results/nlu-cv

# Load, start-up and training figures beside a stock `rasa init` bot (about 12 minutes;
# BENCH_SECONDS per load phase). Writes bench/RESULTS.md and bench/latency.png. Not in `make test`.
.PHONY: bench
bench: system $(STAMP) $(ENCODER) $(MODEL)
	@$(PY) -m bench.run

# Dependency CVEs: pip-audit in its own venv (it needs packaging>=23, Rasa 3.6 needs <21), over
# the exact versions installed in .venv. Needs PyPI's JSON API; not in `make test` (network).
.PHONY: audit
audit: $(STAMP)
	@test -x .venv-audit/bin/pip-audit || { "$$(scripts/find-python310)" -m venv .venv-audit \
		&& .venv-audit/bin/pip install -q 'pip-audit>=2.7,<3'; }
	@mkdir -p var
	@$(PY) -m pip freeze --exclude-editable | grep -v '@ file' > var/requirements-frozen.txt
	@.venv-audit/bin/pip-audit -r var/requirements-frozen.txt --no-deps --disable-pip --strict --desc on

# Bad input only (hypothesis; empty, huge, non-English, hostile messages; about 2 minutes).
# Also part of `make pytest`. See docs/bad-input.md.
.PHONY: test-bad-input
test-bad-input: $(MODEL)
	@$(PY) -m pytest -q tests/bad_input

clean:
	rm -rf var models results
