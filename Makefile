# The two commands: `make run` and `make test`. Everything else is a step they call.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
STAMP := $(VENV)/.installed
MODEL := models/current.tar.gz
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

setup: system $(STAMP)

# Debian packages (chromium for browser tests, nginx for the production profile), as root.
system:
	@scripts/install-system-packages

$(STAMP): pyproject.toml scripts/find-python310
	@echo "==> Setting up Python 3.10 virtual environment in $(VENV) (first time: about 3 minutes)"
	@test -x $(PY) || "$$(scripts/find-python310)" -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip setuptools wheel 2>&1 | $(QUIET_PIP)
	@echo "==> Installing dependencies from pyproject.toml"
	@$(PY) -m pip install -q -e '.[dev]' 2>&1 | $(QUIET_PIP)
	@$(PY) -m pip check
	@touch $@

train: $(MODEL)

$(MODEL): $(STAMP) $(TRAIN_INPUTS)
	@echo "==> Training the assistant (first time: about 4 minutes; later only what changed)"
	@$(RASA) train --fixed-model-name current
	@touch $@

run: system $(STAMP) $(MODEL)
	@$(PY) -m bot run

lint: $(STAMP)
	@echo "==> ruff (lint, format) and mypy"
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy bot actions

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

pytest: $(MODEL)
	@echo "==> pytest (unit, live bot over HTTP, held-out questions)"
	@$(PY) -m pytest

test: system lint test-stories pytest

eval: $(MODEL)
	@echo "==> Entity extraction (tests/nlu/entity_testset.yml)"
	@$(PY) -m bot.nlu.evaluate
	@echo "==> Held-out patient questions against a live bot"
	@$(PY) -m bot.heldout

clean:
	rm -rf var models results
