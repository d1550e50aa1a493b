# PayFlow: build, test and run natively (redis-server + PostgreSQL on 127.0.0.1).
# `make help` lists the targets.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Swift from /opt/swift when it is not on PATH already.
ifeq ($(shell command -v swift),)
export PATH := /opt/swift/usr/bin:$(PATH)
endif

SWIFT ?= swift
# Extra flags for every swift build/test, e.g. SWIFTPM_FLAGS="--scratch-path .build-me".
SWIFTPM_FLAGS ?=
# How many tests Swift Testing runs at once. Unbounded by default, it starts
# every suite together; on 2 cores that starved the tests that wait on a clock
# (a claim's idle time, a webhook's timeout) until one missed now and then. At
# 8 the whole suite also ran faster here (251 s against ~300 s).
TEST_WIDTH ?= 8
LOCAL_SERVERS := scripts/local-servers
RUN_DIR := var/run
TEST_SERVERS_DIR := var/test-servers
PYTHON ?= python3
# Compose v2 (`docker compose`) where installed, else Compose 1.29 (`docker-compose`).
# Debian's docker CLI first: a docker in /usr/local/bin may lack the buildx plugin
# that its BuildKit builds need.
DOCKER ?= $(shell if [ -x /usr/bin/docker ]; then echo /usr/bin/docker; else echo docker; fi)
COMPOSE ?= $(shell if $(DOCKER) compose version >/dev/null 2>&1; then echo "$(DOCKER) compose"; else echo docker-compose; fi)
.PHONY: help build test test-faults test-compose bench soak run stop up up-cluster down logs ps compose-check monitoring-check clean

help: ## List the targets
	@echo "Targets:"
	@awk 'BEGIN { FS = ":.*## " } /^[a-zA-Z_-]+:.*## / { printf "  %-14s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

build: ## Debug build (swift build)
	$(SWIFT) build $(SWIFTPM_FLAGS)

# With REDIS_URL and DATABASE_URL set, the tests use those servers. Otherwise a
# throw-away redis-server + PostgreSQL pair on free ports under var/test-servers
# is started, and stopped whatever the outcome (also if make is killed: the
# watchdog of --watch removes them once this shell exits). Shell lines for the
# start of a recipe of `test` and `test-faults`.
define start_test_servers_unless_given
if [[ -z "$${REDIS_URL:-}" || -z "$${DATABASE_URL:-}" ]]; then \
	    mkdir -p $(TEST_SERVERS_DIR); \
	    dir="$$(mktemp -d $(TEST_SERVERS_DIR)/run.XXXXXX)"; \
	    trap '$(LOCAL_SERVERS) stop --purge "$$dir"' EXIT; \
	    trap 'exit 130' INT; trap 'exit 143' TERM; \
	    $(LOCAL_SERVERS) start --free-ports --throwaway --watch $$$$ "$$dir"; \
	    set -a; source "$$dir/urls.env"; set +a; \
	fi;
endef

test: compose-check monitoring-check ## Build and run the tests (own throw-away servers unless REDIS_URL and DATABASE_URL are set)
	@set -euo pipefail; \
	$(start_test_servers_unless_given) \
	echo "make test: REDIS_URL=$$REDIS_URL DATABASE_URL=$$DATABASE_URL"; \
	$(SWIFT) build $(SWIFTPM_FLAGS); \
	SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=$(TEST_WIDTH) $(SWIFT) test $(SWIFTPM_FLAGS)

# The fault suite alone (it also runs within `make test`): the whole platform as
# processes, with kill -9, SIGTERM, Redis and PostgreSQL restarts and poison
# entries injected, each case ending with the same invariant check.
test-faults: ## Run the fault suite only (Tests/PayFlowFaultTests)
	@set -euo pipefail; \
	$(start_test_servers_unless_given) \
	$(SWIFT) build --build-tests $(SWIFTPM_FLAGS); \
	SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=$(TEST_WIDTH) $(SWIFT) test --skip-build $(SWIFTPM_FLAGS) --filter PayFlowFaultTests

bench: ## Benchmark: raw XADD, end to end, event->alert, scaling, runtime (release); table + var/bench/results.json
	@scripts/bench

# Not in CI: SOAK_MINUTES (30) at SOAK_RATE (200) events/s with a kill -9 every
# SOAK_KILL_EVERY_S (180) s rotating over the services, a Redis and a PostgreSQL
# restart; memory per process over time, the lag, and the invariant check.
SOAK_MINUTES ?= 30
soak: ## Soak test: SOAK_MINUTES (30) at a fixed rate with kill -9s and server restarts, then the invariant check
	@SOAK_MINUTES=$(SOAK_MINUTES) scripts/soak

# Everything in scripts/run-platform: servers of var/run, migrations, a release
# build, every service with its replica count (*_REPLICAS from the environment,
# .env or .env.example), the generator, and a live status; Ctrl-C stops it all
# gracefully and prints a summary. The servers keep running: `make stop`.
run: ## Run the whole platform natively with a live status (installs missing deps; Ctrl-C stops)
	@scripts/run-platform run

stop: ## Stop a run left in the background and the servers of var/run (data stays)
	@scripts/run-platform stop

# The container path (compose.yaml). Settings reach the containers from .env
# (PAYFLOW_ENV_FILE), a copy of .env.example made on the first `make up`;
# replicas from the *_REPLICAS there or in the environment.
# ADMIN_TOKEN: the environment's, the env file's, or the one of var/admin-token
# (generated and shown once when there is none: scripts/admin-token).
# The Redis users' and PostgreSQL roles' passwords: var/compose/, generated
# at the first `make up` and kept (scripts/compose-secrets).
# The Redis Cluster (compose.yaml's `cluster` profile) takes the profile and
# REDIS_CLUSTER_ENABLED=yes together: either one given here brings the other.
up: ## Start the platform in containers, detached (docker compose up -d; builds the image the first time)
	@test -f "$${PAYFLOW_ENV_FILE:-.env}" || cp .env.example "$${PAYFLOW_ENV_FILE:-.env}"
	@scripts/compose-secrets
	@set -euo pipefail; \
	from_file="$$(sed -n 's/^ADMIN_TOKEN=//p' "$${PAYFLOW_ENV_FILE:-.env}" | tail -n 1)"; \
	ADMIN_TOKEN="$$(ADMIN_TOKEN="$${ADMIN_TOKEN:-$$from_file}" scripts/admin-token)"; \
	export ADMIN_TOKEN; \
	if [[ ",$${COMPOSE_PROFILES:-}," == *,cluster,* || "$${REDIS_CLUSTER_ENABLED:-}" == yes ]]; then \
	    [[ ",$${COMPOSE_PROFILES:-}," == *,cluster,* ]] || COMPOSE_PROFILES="$${COMPOSE_PROFILES:+$$COMPOSE_PROFILES,}cluster"; \
	    export COMPOSE_PROFILES REDIS_CLUSTER_ENABLED=yes; \
	    echo "COMPOSE_PROFILES=$$COMPOSE_PROFILES REDIS_CLUSTER_ENABLED=yes $(COMPOSE) up -d"; \
	else \
	    echo "$(COMPOSE) up -d"; \
	fi; \
	$(COMPOSE) up -d

# Three Redis masters joined into a cluster, every payflow service on it with
# EVENT_SHARDS=3 (redis/compose-cluster-yes.env). From a single-Redis stack,
# `make down` first: a node holding data cannot join a cluster.
up-cluster: ## The same on a 3-master Redis Cluster (profile cluster, EVENT_SHARDS=3)
	@COMPOSE_PROFILES="$${COMPOSE_PROFILES:+$$COMPOSE_PROFILES,}cluster" REDIS_CLUSTER_ENABLED=yes $(MAKE) --no-print-directory up

# Compose reads the env files of var/compose for every command, so these make
# sure they exist (scripts/compose-secrets keeps any passwords already there).
down: ## Stop and remove the containers, network and volumes (docker compose down -v)
	@scripts/compose-secrets
	$(COMPOSE) --profile monitoring --profile cluster down -v --remove-orphans

logs: ## The last lines of every container's log (docker compose logs -f follows)
	@scripts/compose-secrets
	$(COMPOSE) logs --no-color --tail=50

ps: ## List the containers and their health
	@scripts/compose-secrets
	$(COMPOSE) ps

# Builds local base images (no registry needed), the image of the debug binary
# `make test` built, and runs the stack with faults: scripts/test-compose.
test-compose: ## Run the platform in Docker with replicas, kill, scaling and monitoring checks (root; installs Docker)
	@scripts/test-compose

compose-check: ## Check compose.yaml statically (subcommands, variables, depends_on)
	@$(PYTHON) scripts/check-compose.py

monitoring-check: ## Check the alert rules and replay their unit tests (promtool)
	@promtool check rules monitoring/alerts.yml
	@cd monitoring && promtool test rules alerts.test.yml

clean: ## Remove build products and leftover test servers (keeps var/run data)
	@for dir in $(TEST_SERVERS_DIR)/*/; do \
	    [[ -d "$$dir" ]] && $(LOCAL_SERVERS) stop --purge "$$dir"; \
	done; true
	$(SWIFT) package clean $(SWIFTPM_FLAGS)
