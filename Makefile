# Carolina — `make run` to chat, `make test` to prove it. `make help` lists the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Two environments (README, "Two environments"): the assistant's (Rasa server,
# action server, NLU components: Rasa 3.6 and its pins, Python 3.10) and the
# hub's (maintained aiohttp, SQLAlchemy 2, Python 3.12). uv installs both from
# their locks in requirements/.
VENV     := .venv
PY       := $(VENV)/bin/python
RASA     := $(VENV)/bin/rasa
HUB_VENV := .venv-hub
HUB_PY   := $(HUB_VENV)/bin/python
UV       := $(HUB_VENV)/bin/uv
UV_VERSION := $(shell sed -n "s/^uv==\([^ ]*\).*/\1/p" requirements/hub.txt)
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

.PHONY: help setup run test test-fast train validate kb lint lock clean bench audit cluster

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

run: $(MODEL) ## set up, train if needed, start Rasa, the action server and the hub (Ctrl-C stops all)
	$(HUB_VENV)/bin/honcho start

# Cluster mode on one machine (docs/scaling.md): PostgreSQL and Redis running
# locally, HAProxy installed (Debian: apt-get install haproxy).
cluster: $(MODEL) ## two hubs behind HAProxy, two Rasa servers, the action server, on PostgreSQL and Redis
	scripts/cluster.sh

# pytest runs in the hub's environment; tests/assistant, which imports Rasa and
# the actions in process, runs in the assistant's, started by tests/test_assistant.py
# so that both share one Rasa server.
test: $(MODEL) ## set up, train if needed, then lint, type-check, validate the data and run the whole test suite
	$(HUB_VENV)/bin/ruff check bot actions common components channels rasa_sdk_plugins tests bench scripts
	$(HUB_VENV)/bin/mypy
	$(HUB_PY) -m pytest $(PYTEST_ARGS)

# The fast layer: tests that need no trained model, start no process, drive no
# browser and reach no PostgreSQL or Redis (the markers tests/conftest.py sets
# from their fixtures; pyproject.toml lists them). So no $(MODEL) prerequisite,
# and CAROLINA_TEST_FAST_ONLY fails a test that asks for the model or starts a
# process, instead of training or starting Rasa (its marker is missing).
# One layer: `make test PYTEST_ARGS="-m browser"` (or -m model, processes, cluster).
FAST_LAYER := not model and not processes and not browser and not cluster
test-fast: $(HUB_VENV)/.installed ## units and in-process hubs only: no model, processes, browser, PostgreSQL or Redis
	CAROLINA_TEST_FAST_ONLY=1 $(HUB_PY) -m pytest -m "$(FAST_LAYER)" $(PYTEST_ARGS)

bench: $(MODEL) ## every benchmark (stop `make run` first): bench/results/report.md
	$(HUB_PY) -m bench all

train: $(MODEL) ## train the model if its training data or config changed

setup: $(VENV)/.installed $(HUB_VENV)/.installed ## make both environments (.venv, .venv-hub) from their locks

validate: $(VENV)/.installed $(KB_GENERATED) ## rasa data validate (tests/test_data_validation.py says which warnings are expected)
	$(RASA) data validate --domain domain.yml --data data

kb: $(KB_GENERATED) ## regenerate the FAQ training data if an article in data/kb changed

lint: $(HUB_VENV)/.installed ## ruff on the Python code, mypy on the hub and the shared package
	$(HUB_VENV)/bin/ruff check bot actions common components channels rasa_sdk_plugins tests bench scripts
	$(HUB_VENV)/bin/mypy

# The hub's environment first: it carries uv, which then installs both.
# `uv pip sync` installs exactly the lock (hashes checked) and removes the rest.
$(HUB_VENV)/.installed: requirements/hub.txt scripts/find-python
	@python=$$(scripts/find-python hub) && echo "The hub's environment: $$python" && \
	  { [ -x $(HUB_PY) ] || $$python -m venv $(HUB_VENV); }
	[ -x $(UV) ] || $(HUB_PY) -m pip install --quiet uv==$(UV_VERSION)
	$(UV) pip sync --quiet --python $(HUB_PY) --require-hashes requirements/hub.txt
	touch $@

$(VENV)/.installed: requirements/assistant.txt scripts/find-python | $(HUB_VENV)/.installed
	@python=$$(scripts/find-python) && echo "The assistant's environment: $$python" && \
	  { [ -x $(PY) ] || $(UV) venv --quiet --python $$python $(VENV); }
	$(UV) pip sync --quiet --python $(PY) --require-hashes requirements/assistant.txt
	touch $@

$(KB_GENERATED) &: $(KB_ARTICLES) common/kb/articles.py common/kb/training_data.py | $(HUB_VENV)/.installed
	$(HUB_PY) -m common.kb build
	touch $(KB_GENERATED)

# One thread and deterministic ops, with the random seeds in config.yml: the same
# data gives the same model on every machine, so CI measures what we measured.
$(MODEL): $(KB_GENERATED) $(TRAINING_INPUTS) | $(VENV)/.installed
	TF_DETERMINISTIC_OPS=1 TF_INTER_OP_PARALLELISM_THREADS=1 TF_INTRA_OP_PARALLELISM_THREADS=1 \
	  $(RASA) train --domain domain.yml --data data --config config.yml --out models --fixed-model-name carolina
	touch $@

# The assistant's lock keeps what requirements/assistant.txt already pins (Rasa's
# resolution was tested as it is); delete a line there to let it move.
lock: $(HUB_VENV)/.installed ## re-resolve requirements/*.in into the locks requirements/*.txt
	$(UV) pip compile --quiet --universal --python-version 3.11 --generate-hashes --no-header \
	  requirements/hub.in -o requirements/hub.txt
	$(UV) pip compile --quiet --python-version 3.10 --python-platform x86_64-unknown-linux-gnu --generate-hashes \
	  --no-header requirements/assistant.in -c requirements/assistant.txt -o requirements/assistant.txt

# pip-audit on both locks, the accepted advisories in requirements/audit-allow.yml;
# ADVISORIES=<advisory-database>/vulns reads a local copy of the data instead
# (for an index that serves no vulnerability data).
audit: $(HUB_VENV)/.installed ## known vulnerabilities in both environments' locks
	$(HUB_PY) scripts/audit.py requirements/hub.txt requirements/assistant.txt \
	  --allow requirements/audit-allow.yml $(if $(ADVISORIES),--advisories $(ADVISORIES))

clean: ## remove trained models and caches (keeps .venv)
	rm -rf models/*.tar.gz .rasa results .pytest_cache
