# AMPER assistant. Two commands for a newcomer: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
PY      := $(VENV)/bin/python
RASA    := $(VENV)/bin/rasa
STAMP   := $(VENV)/.installed
MODEL   := models/amper.tar.gz
TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) \
                   bot/nlu/faq_gate.py bot/nlu/linear_classifier.py bot/nlu/linear_model.py \
                   bot/nlu/sentence_encoder.py \
                   bot/faq/topics.py
# Rasa's telemetry stays off in everything we run (training, servers, tests).
export RASA_TELEMETRY_ENABLED := false

.PHONY: help install train run test test-fast test-redis test-cluster validate eval bench lock clean

help:
	@echo "make run    installe tout si besoin, entraîne si besoin, puis lance l'assistant"
	@echo "make test   installe et entraîne si besoin, puis lance toute la suite de tests"
	@echo "make eval   mesures de compréhension (validation croisée en minutes, trois jeux réservés)"
	@echo "make bench  mesures de vitesse et de mémoire"

# --- installation: only when pyproject/constraints changed -----------------
install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt scripts/find-python.sh
	@py310=$$(scripts/find-python.sh) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
	  echo "Création de $(VENV) avec $$py310"; rm -rf $(VENV); "$$py310" -m venv $(VENV) || exit 1; \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip==24.2"
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	$(PY) -m pip check
	@touch $@

# --- training: only when config, domain, data or our NLU components changed -
train: $(MODEL)

$(MODEL): $(STAMP) $(TRAINING_INPUTS)
	@mkdir -p models
	$(RASA) train --fixed-model-name amper --out models --quiet
	@touch $@

validate: $(STAMP)
	$(RASA) data validate --fail-on-warnings

# Demo mode (demo planning and logins in an empty store, local secret); a production start
# is `amper run` without AMPER_DEMO (README, « En production »).
run: $(MODEL)
	AMPER_DEMO=$${AMPER_DEMO:-1} $(VENV)/bin/amper run

# --- tests: everything, including a throwaway PostgreSQL and a throwaway Redis ---
# Two workers (pytest-xdist), a module's tests kept together so that a module's stack
# starts once; TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= auto
test: $(MODEL)
	scripts/ensure-chromium.sh
	scripts/ensure-nginx.sh
	scripts/with-postgres.sh scripts/with-redis.sh \
	  $(PY) -m pytest tests --durations=15 -n $(TEST_WORKERS) --dist loadscope
	$(MAKE) --no-print-directory test-cluster

# The gateways' shared state in Redis (two gateways on one throwaway Redis), no model needed.
test-redis: $(STAMP)
	scripts/with-redis.sh $(PY) -m pytest tests/integration/test_gateway_cluster*.py -q

# The whole cluster on loopback (issue 23, docs/deploy.md): PostgreSQL, Redis, nginx from
# Debian's packages, 2 Rasa, 2 action servers, 2 gateways.
test-cluster: $(MODEL)
	scripts/ensure-nginx.sh
	AMPER_TEST_CLUSTER=1 scripts/with-postgres.sh scripts/with-redis.sh \
	  $(PY) -m pytest tests/cluster -v -p no:randomly

# The inner loop: unit tests and SQLite integration tests, no trained model, no servers.
test-fast: $(STAMP)
	$(PY) -m pytest tests/unit tests/integration -q -m "not slow and not postgres" -n $(TEST_WORKERS)

eval: $(MODEL)
	$(PY) -m bot.entrypoints.evaluate

bench: $(MODEL)
	$(PY) -m bot.entrypoints.bench
	$(PY) -m bot.entrypoints.bench_clients --append reports/bench.md
	scripts/ensure-nginx.sh
	scripts/with-postgres.sh scripts/with-redis.sh sh -c '$(PY) -m bot.entrypoints.bench_cluster \
	  --postgres "$$AMPER_TEST_POSTGRES_URL" --redis "$$AMPER_TEST_REDIS_URL" --append reports/bench.md'

# Regenerate the pinned set after changing dependencies in pyproject.toml.
lock:
	@py310=$$(scripts/find-python.sh) || exit 1; rm -rf /tmp/amper-lock; \
	"$$py310" -m venv /tmp/amper-lock && /tmp/amper-lock/bin/pip install -q "pip==24.2" && \
	/tmp/amper-lock/bin/pip install -q -e '.[test]' && \
	( echo "# Full pinned set (Python 3.10, Linux x86_64). Regenerate with: make lock"; \
	  /tmp/amper-lock/bin/pip freeze --exclude-editable | grep -v '^-e' ) > constraints.txt

clean:
	rm -rf models .rasa results reports var/run
