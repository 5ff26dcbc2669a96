# Carolina — `make run` to chat, `make test` to prove it. `make help` lists the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
RASA   := $(VENV)/bin/rasa
MODEL  := models/carolina.tar.gz
# Everything the trained model is made from: when one of these is newer than the
# model, `make train` (and so `make run` / `make test`) retrains; otherwise it doesn't.
# (Articles reach the model only through the FAQ data generated from them.)
TRAINING_INPUTS := config.yml domain.yml $(shell find data components -path data/kb -prune -o -type f \( -name '*.yml' -o -name '*.py' \) -print 2>/dev/null)
KB_ARTICLES  := $(wildcard data/kb/*/*.md)
KB_GENERATED := data/nlu/pt/kb_faq.yml data/nlu/es/kb_faq.yml data/nlu/en/kb_faq.yml data/nlu/kb_responses.yml

export TF_CPP_MIN_LOG_LEVEL ?= 2
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1
export RASA_TELEMETRY_ENABLED ?= false

.PHONY: help setup run test train validate kb lint lock clean bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

run: $(MODEL) ## set up, train if needed, start Rasa, the action server and the hub (Ctrl-C stops all)
	$(VENV)/bin/honcho start

test: $(MODEL) ## set up, train if needed, then lint, validate the data and run the whole test suite
	$(VENV)/bin/ruff check bot actions common components channels rasa_sdk_plugins tests bench
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(MODEL) ## every benchmark (stop `make run` first): bench/results/report.md
	$(PY) -m bench all

train: $(MODEL) ## train the model if its training data or config changed

setup: $(VENV)/.installed ## make .venv with the pinned dependencies

validate: $(VENV)/.installed $(KB_GENERATED) ## rasa data validate (tests/test_data_validation.py says which warnings are expected)
	$(RASA) data validate --domain domain.yml --data data

kb: $(KB_GENERATED) ## regenerate the FAQ training data if an article in data/kb changed

lint: $(VENV)/.installed ## ruff on the Python code
	$(VENV)/bin/ruff check bot actions common components channels rasa_sdk_plugins tests bench

$(VENV)/.installed: requirements.txt constraints.txt scripts/find-python
	@python=$$(scripts/find-python) && echo "Using $$python" && \
	  { [ -x $(PY) ] || $$python -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip wheel
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

$(KB_GENERATED) &: $(KB_ARTICLES) bot/kb/articles.py bot/kb/training_data.py | $(VENV)/.installed
	$(PY) -m bot kb build
	touch $(KB_GENERATED)

# One thread and deterministic ops, with the random seeds in config.yml: the same
# data gives the same model on every machine, so CI measures what we measured.
$(MODEL): $(KB_GENERATED) $(TRAINING_INPUTS) | $(VENV)/.installed
	TF_DETERMINISTIC_OPS=1 TF_INTER_OP_PARALLELISM_THREADS=1 TF_INTRA_OP_PARALLELISM_THREADS=1 \
	  $(RASA) train --domain domain.yml --data data --config config.yml --out models --fixed-model-name carolina
	touch $@

lock: $(VENV)/.installed ## rewrite constraints.txt from the current .venv
	$(PY) -m pip freeze --exclude-editable > constraints.txt

clean: ## remove trained models and caches (keeps .venv)
	rm -rf models/*.tar.gz .rasa results .pytest_cache
