import type { RequestListener } from 'node:http';
import { createHttpLogger } from '../shared/http-logger.js';
import type { Logger } from '../shared/logger.js';
import type { BalancerConfig } from './config.js';
import { createApp } from './http/app.js';
import { createListener } from './http/listener.js';
import { createMetrics } from './http/metrics.js';
import { AdmissionQueue } from './routing/admission.js';
import { createHedging } from './routing/hedging.js';
import { createWorkerJudge } from './routing/judge.js';
import { createPrimeRoute } from './routing/prime-route.js';
import { createUpstreamClient, type UpstreamClient } from './upstream/client.js';
import { createHealthChecker, type HealthChecker } from './workers/health-checker.js';
import { createHostAllowList } from './workers/host-allow-list.js';
import { Registry } from './workers/registry.js';
import { createSelector } from './workers/selection.js';

export interface Balancer {
  /** Every request, for Node's HTTP server (http/listener.ts). */
  listener: RequestListener;
  registry: Registry;
  admission: AdmissionQueue;
  healthChecker: HealthChecker;
  upstream: UpstreamClient;
}

/**
 * Wires the balancer's parts from its configuration: the one place that knows how registry,
 * selection, admission, upstream client, health checks, metrics and routes fit together.
 * Starts nothing: main.ts (and the tests) listen and start the health checker.
 */
export function buildBalancer(config: BalancerConfig, logger: Logger, { processMetrics = true } = {}): Balancer {
  const registry: Registry = new Registry({
    maxServers: config.maxServers,
    maxInFlightPerServer: config.maxInFlightPerServer,
    failureThreshold: config.failureThreshold,
    recoveryThreshold: config.recoveryThreshold,
    onTransition: ({ server, from, to, reason }) => {
      logger.info({ server: server.name, address: server.address, from, to, reason }, `server ${server.name} is ${to}`);
      // Waiting requests may now have a worker, or none left to wait for.
      admission.workersChanged();
    },
  });
  const admission = new AdmissionQueue({
    registry,
    select: createSelector(config.selection, registry),
    maxQueue: config.maxQueue,
    queueTimeoutMs: config.queueTimeoutMs,
  });
  const upstream = createUpstreamClient({ probeTimeoutMs: config.healthCheckTimeoutMs });
  const metrics = createMetrics(registry, { defaults: processMetrics, queueDepth: () => admission.depth });
  const healthChecker = createHealthChecker({
    registry,
    probe: (address) => upstream.probe(address),
    logger,
    intervalMs: config.healthCheckIntervalMs,
    idleAfterMs: config.idleCheckAfterMs,
    forgetAfterMs: config.forgetAfterMs,
    onResult: (server, result) => metrics.healthCheck(server.name, result.ok),
  });
  const primeRoute = createPrimeRoute({
    registry,
    admission,
    upstream,
    metrics,
    logger,
    judgeWorker: createWorkerJudge({ registry, probe: (address) => upstream.probe(address) }),
    hedging: createHedging(config.hedgeAfterMs, config.hedgeBudgetPercent),
    maxDigits: config.maxDigits,
    maxTries: config.maxTries,
    requestTimeoutMs: config.requestTimeoutMs,
    requestDeadlineMs: config.requestDeadlineMs,
    retryAfterSeconds: Math.max(1, Math.ceil(config.healthCheckIntervalMs / 1000)),
  });
  const httpLogger = createHttpLogger(logger);
  const app = createApp({
    registry,
    admission,
    metrics,
    logger,
    httpLogger,
    registrationToken: config.registrationToken,
    allowHost: createHostAllowList(config.allowedServerHosts),
  });
  return { listener: createListener(app, primeRoute, httpLogger), registry, admission, healthChecker, upstream };
}
