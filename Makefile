# distcalc. The Docker stack: make build, make start, make test, make logs, make stop.
# Without Docker: make dev (local processes) and make check (the test suite).

# Compose v2 is a docker plugin; v1 is the docker-compose program. Use whichever is here.
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)
BALANCER_URL ?= http://127.0.0.1:9000
# Workers beyond server1 and server2: make start WORKERS=2
WORKERS ?= 0

.PHONY: build start stop logs test dev check install

build: ## Build the balancer and worker images
	$(COMPOSE) build

start: ## Start loadbalancer, server1, server2 (and WORKERS=N more) in the background
	$(COMPOSE) up -d --scale worker=$(WORKERS)
	@echo "distcalc is starting: curl $(BALANCER_URL)/is_prime/524287   (logs: docker logs server1)"

stop: ## Stop and remove the containers
	$(COMPOSE) down

logs: ## Follow every container's logs
	$(COMPOSE) logs -f

test: ## The phase load test against the Docker stack (stops and starts server2)
	npm run load-test -- --target docker --balancer $(BALANCER_URL)

install:
	npm ci

dev: install ## The same system as local processes: balancer :9000, workers :5001 and :5002
	npm start

check: install ## The whole test suite, as CI runs it
	npm test
