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
LOCAL_SERVERS := scripts/local-servers
RUN_DIR := var/run
TEST_SERVERS_DIR := var/test-servers
PYTHON ?= python3
# `make run`: the generator's rate (events/s) and the port of its REST API.
GENERATOR_RATE ?= 200
GENERATOR_PORT ?= 8080

# Shell code: exports each VAR=value of file $1 that the environment does not set
# already (the environment wins, as with docker compose). Values are literal,
# not shell-expanded (GROUP_START_ID=$ stays "$"); surrounding quotes are dropped.
define LOAD_ENV_FILE
load_env_file() { \
    local line key value; \
    while IFS= read -r line || [[ -n "$$line" ]]; do \
        [[ "$$line" =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$$ ]] || continue; \
        key="$${BASH_REMATCH[2]}"; value="$${BASH_REMATCH[3]}"; \
        [[ "$$value" =~ ^\"(.*)\"$$ || "$$value" =~ ^\'(.*)\'$$ ]] && value="$${BASH_REMATCH[1]}"; \
        [[ -n "$${!key+set}" ]] || export "$$key=$$value"; \
    done < "$$1"; \
}
endef

.PHONY: help build test run stop compose-check clean

help: ## List the targets
	@echo "Targets:"
	@awk 'BEGIN { FS = ":.*## " } /^[a-zA-Z_-]+:.*## / { printf "  %-14s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

build: ## Debug build (swift build)
	$(SWIFT) build $(SWIFTPM_FLAGS)

# With REDIS_URL and DATABASE_URL set, the tests use those servers. Otherwise a
# throw-away redis-server + PostgreSQL pair on free ports under var/test-servers
# is started, and stopped whatever the outcome (also if make is killed: the
# watchdog of --watch removes them once this shell exits).
test: ## Build and run the tests (own throw-away servers unless REDIS_URL and DATABASE_URL are set)
	@set -euo pipefail; \
	if [[ -n "$${REDIS_URL:-}" && -n "$${DATABASE_URL:-}" ]]; then \
	    echo "make test: REDIS_URL=$$REDIS_URL DATABASE_URL=$$DATABASE_URL"; \
	    $(SWIFT) build $(SWIFTPM_FLAGS); \
	    $(SWIFT) test $(SWIFTPM_FLAGS); \
	    exit 0; \
	fi; \
	mkdir -p $(TEST_SERVERS_DIR); \
	dir="$$(mktemp -d $(TEST_SERVERS_DIR)/run.XXXXXX)"; \
	trap '$(LOCAL_SERVERS) stop --purge "$$dir"' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM; \
	$(LOCAL_SERVERS) start --free-ports --throwaway --watch $$$$ "$$dir"; \
	set -a; source "$$dir/urls.env"; set +a; \
	echo "make test: REDIS_URL=$$REDIS_URL DATABASE_URL=$$DATABASE_URL"; \
	$(SWIFT) build $(SWIFTPM_FLAGS); \
	$(SWIFT) test $(SWIFTPM_FLAGS)

# The env comes from .env if present, else .env.example; REDIS_URL and
# DATABASE_URL are those of the servers of var/run (ports REDIS_PORT and
# POSTGRES_PORT). The servers keep running after Ctrl-C: `make stop`.
run: ## Start the servers of var/run, migrate, run the generator (port 8080) and demo-consumer (installs missing deps)
	@if ! command -v redis-server >/dev/null 2>&1 \
	    || ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 \
	    || ! pkg-config --exists hiredis libpq 2>/dev/null; then \
	    scripts/install-deps; \
	fi
	@set -euo pipefail; \
	$(LOAD_ENV_FILE); \
	if [[ -f .env ]]; then load_env_file .env; else load_env_file .env.example; fi; \
	$(LOCAL_SERVERS) start $(RUN_DIR) >/dev/null; \
	set -a; source $(RUN_DIR)/urls.env; set +a; \
	echo "make run: REDIS_URL=$$REDIS_URL DATABASE_URL=$$DATABASE_URL"; \
	$(SWIFT) build -c release $(SWIFTPM_FLAGS); \
	bin="$$($(SWIFT) build -c release $(SWIFTPM_FLAGS) --show-bin-path)/payflow"; \
	"$$bin" migrate; \
	HTTP_PORT=$(GENERATOR_PORT) "$$bin" generator --start --rate $(GENERATOR_RATE) & generator=$$!; \
	trap 'kill -TERM $$generator 2>/dev/null; wait $$generator 2>/dev/null || true' EXIT; \
	echo "make run: generator at $(GENERATOR_RATE) events/s, API on http://127.0.0.1:$(GENERATOR_PORT)/v1/generator"; \
	echo "make run: $$bin demo-consumer (Ctrl-C stops both; make stop stops the servers)"; \
	"$$bin" demo-consumer

stop: ## Stop the servers that make run started (data stays in var/run)
	@$(LOCAL_SERVERS) stop $(RUN_DIR)

compose-check: ## Check compose.yaml statically (subcommands, variables, depends_on)
	@$(PYTHON) scripts/check-compose.py

clean: ## Remove build products and leftover test servers (keeps var/run data)
	@for dir in $(TEST_SERVERS_DIR)/*/; do \
	    [[ -d "$$dir" ]] && $(LOCAL_SERVERS) stop --purge "$$dir"; \
	done; true
	$(SWIFT) package clean $(SWIFTPM_FLAGS)
