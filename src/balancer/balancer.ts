import type { RequestListener, Server } from 'node:http';
import { createHttpServer } from '../shared/http-server.js';
import { pinoAccessLogger, type AccessLogger, type Logger } from '../shared/logger.js';
import { AdmissionQueue } from './admission.js';
import { createBalancerHandler } from './app.js';
import { createHostAllowList } from './host-allow-list.js';
import type { BalancerConfig } from './config.js';
import { createUpstream, type Upstream } from './forward.js';
import { createHealthChecker, type HealthChecker } from './health-checker.js';
import { attachFastLane } from './fast-lane.js';
import { createMetrics } from './metrics.js';
import { createPrimeHandler, type PrimeHandler } from './proxy.js';
import { Registry } from './registry.js';
import { createSelector } from './round-robin.js';

export interface Balancer {
  /** Every request on Node's HTTP server. */
  handler: RequestListener;
  /** `/is_prime` requests, from Node's server or the fast lane. */
  prime: PrimeHandler;
  admission: AdmissionQueue;
  registry: Registry;
  healthChecker: HealthChecker;
  upstream: Upstream;
}

/**
 * Wires the balancer's parts from its configuration: the one place that knows how registry,
 * selection, HTTP client, health checks and metrics fit together. Starts nothing; main.ts
 * (and the tests) listen and start the health checker.
 */
export function buildBalancer(
  config: BalancerConfig,
  logger: Logger,
  { processMetrics = true, accessLog = pinoAccessLogger(logger) }: { processMetrics?: boolean; accessLog?: AccessLogger } = {},
): Balancer {
  const registry = new Registry({
    maxServers: config.maxServers,
    maxInFlightPerServer: config.maxInFlightPerServer,
    failureThreshold: config.failureThreshold,
    recoveryThreshold: config.recoveryThreshold,
    onTransition: ({ server, from, to, reason }) =>
      logger.info({ server: server.name, address: server.address, from, to, reason }, `server ${server.name} is ${to}`),
  });
  const upstream = createUpstream({
    requestTimeoutMs: config.requestTimeoutMs,
    probeTimeoutMs: config.healthCheckTimeoutMs,
  });
  const admission = new AdmissionQueue({
    registry,
    select: createSelector(config.selection, registry),
    maxQueue: config.maxQueue,
    queueTimeoutMs: config.queueTimeoutMs,
  });
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
  const proxyDeps = {
    accessLog,
    registry,
    admission,
    upstream,
    metrics,
    logger,
    maxDigits: config.maxDigits,
    requestTimeoutMs: config.requestTimeoutMs,
    requestDeadlineMs: config.requestDeadlineMs,
    maxTries: config.maxTries,
    hedgeAfterMs: config.hedgeAfterMs,
    hedgeBudgetPercent: config.hedgeBudgetPercent,
    retryAfterSeconds: Math.max(1, Math.ceil(config.healthCheckIntervalMs / 1000)),
  };
  const prime = createPrimeHandler(proxyDeps);
  const handler = createBalancerHandler({
    ...proxyDeps,
    prime,
    registrationToken: config.registrationToken,
    allowHost: createHostAllowList(config.allowedServerHosts),
  });
  return { handler, prime, registry, healthChecker, upstream, admission };
}

/**
 * The balancer's HTTP server: Node's, with the fast lane ahead of it for simple `/is_prime`
 * requests (fast-lane.ts). Does not listen.
 */
export function createBalancerServer({ handler, prime }: Pick<Balancer, 'handler' | 'prime'>): Server {
  const server = createHttpServer(handler);
  attachFastLane(server, prime);
  return server;
}
