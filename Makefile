# distcalc. The Docker stack: make build, make start, make test, make logs, make stop.
# Without Docker: make dev (local processes) and make check (the test suite). make help lists them.

# Compose v2 is a docker plugin; v1 is the docker-compose program. Use whichever is here.
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)
BALANCER_URL ?= http://127.0.0.1:9000
# Workers beyond server1 and server2: make start WORKERS=2
WORKERS ?= 0
# How long make start waits for every worker to register.
START_TIMEOUT ?= 90

.DEFAULT_GOAL := help
.PHONY: help build start stop logs test dev check install docker node

help: ## This list
	@echo "distcalc: make <target>"
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-7s %s\n", $$1, $$2}'
	@echo "Variables: WORKERS=N (make start), BALANCER_URL=$(BALANCER_URL) (make start, make test)"

docker:
	@command -v docker >/dev/null 2>&1 || { echo "make: Docker is not installed; see https://docs.docker.com/engine/install/ (without Docker: make dev)"; exit 1; }
	@docker info >/dev/null 2>&1 || { echo "make: Docker is installed but its engine is not running or not reachable (try: sudo systemctl start docker)"; exit 1; }
	@$(COMPOSE) version >/dev/null 2>&1 || { echo "make: Docker Compose is missing (apt-get install docker-compose, or the docker compose plugin)"; exit 1; }

node:
	@command -v node >/dev/null 2>&1 || { echo "make: Node.js is not installed; it needs 20.18.1 or later (https://nodejs.org)"; exit 1; }
	@node -e 'const [a, b, c] = process.versions.node.split(".").map(Number); if (a < 20 || (a === 20 && (b < 18 || (b === 18 && c < 1)))) { console.error(`make: Node.js ${process.version} is too old; it needs 20.18.1 or later (https://nodejs.org)`); process.exit(1); }'

build: docker ## Build the balancer and worker images
	$(COMPOSE) build

start: docker ## Start loadbalancer, server1, server2 (and WORKERS=N more); returns when all are registered
	$(COMPOSE) up -d --scale worker=$(WORKERS)
	@command -v curl >/dev/null 2>&1 || { echo "distcalc is starting (no curl here to wait with): $(BALANCER_URL)/is_prime/524287"; exit 0; }; \
	want=$$((2 + $(WORKERS))); printf "make: waiting for %s workers to register" "$$want"; \
	for i in $$(seq 1 $(START_TIMEOUT)); do \
	  active=$$(curl -fsS $(BALANCER_URL)/health_check 2>/dev/null | sed -n 's/.*"active_servers":\([0-9]*\).*/\1/p'); \
	  if [ "$${active:-0}" -ge "$$want" ]; then echo; echo "distcalc is up: $$active workers. Try: curl $(BALANCER_URL)/is_prime/524287   (logs: docker logs server1)"; exit 0; fi; \
	  printf "."; sleep 1; \
	done; \
	echo; echo "make: after $(START_TIMEOUT) s $${active:-no} workers are registered, not $$want; see make logs"; exit 1

stop: docker ## Stop and remove the containers
	$(COMPOSE) down

logs: docker ## Follow every container's logs
	$(COMPOSE) logs -f

test: node node_modules ## The phase load test against the Docker stack (stops and starts server2)
	npm run load-test -- --target docker --balancer $(BALANCER_URL)

# A fresh clone has no dependencies yet: make test and make dev install them first.
node_modules: package-lock.json
	npm ci
	@touch node_modules

install: node
	npm ci

dev: node install ## The same system as local processes: balancer :9000, workers :5001 and :5002
	npm start

check: node install ## The whole test suite, as CI runs it
	npm test
