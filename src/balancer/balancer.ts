import type { Express } from 'express';
import type { Logger } from '../shared/logger.js';
import { createBalancerApp } from './app.js';
import type { BalancerConfig } from './config.js';
import { createUpstream, type Upstream } from './forward.js';
import { createHealthChecker, type HealthChecker } from './health-checker.js';
import { createMetrics } from './metrics.js';
import { Registry } from './registry.js';
import { createRoundRobin } from './round-robin.js';

export interface Balancer {
  app: Express;
  registry: Registry;
  healthChecker: HealthChecker;
  upstream: Upstream;
}

/**
 * Wires the balancer's parts from its configuration: the one place that knows how registry,
 * selection, HTTP client, health checks and metrics fit together. Starts nothing; main.ts
 * (and the tests) listen and start the health checker.
 */
export function buildBalancer(config: BalancerConfig, logger: Logger, { processMetrics = true } = {}): Balancer {
  const registry = new Registry({
    maxServers: config.maxServers,
    onTransition: ({ server, from, to, reason }) =>
      logger.info({ server: server.name, address: server.address, from, to, reason }, `server ${server.name} is ${to}`),
  });
  const upstream = createUpstream({
    requestTimeoutMs: config.requestTimeoutMs,
    probeTimeoutMs: config.healthCheckTimeoutMs,
  });
  const metrics = createMetrics(registry, { defaults: processMetrics });
  const healthChecker = createHealthChecker({
    registry,
    probe: (address) => upstream.probe(address),
    logger,
    intervalMs: config.healthCheckIntervalMs,
    idleAfterMs: config.idleCheckAfterMs,
    onResult: (server, result) => metrics.healthCheck(server.name, result.ok),
  });
  const app = createBalancerApp({
    registry,
    select: createRoundRobin(),
    upstream,
    metrics,
    logger,
    maxDigits: config.maxDigits,
    registrationToken: config.registrationToken,
    retryAfterSeconds: Math.max(1, Math.ceil(config.healthCheckIntervalMs / 1000)),
  });
  return { app, registry, healthChecker, upstream };
}
